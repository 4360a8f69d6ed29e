"""The results report: the document an association publishes, as an HTML page and as PDF.

Overview (survey, field period, responses, response rate, data as of), the response rate by Land
and by size class, the representativeness table, then every question of the questionnaire, page by
page in questionnaire order, with its chart, table, base and missing answers. Everything comes from
one snapshot (aggregation.snapshot) and passes small-cell protection (protection.py) before it is
rendered, under the publication rules (protection.publishable_table): no count below the survey's
minimum base — options, cross-classified responses by Land and size class, respondents in the
representativeness tables — and enough secondary suppressions that none can be computed back from
the totals. It holds no free text and nothing that names a municipality, so it may be published as it
is; the publication variant of the PDF is the PDF. When the survey has another wave, the report ends
with the comparison in time order (waves.compare), reworded questions flagged with both wordings.

The same template body serves the staff page (with print styles) and the PDF, which an export job
of format "pdf" renders (exports/formats/exporters/pdf.py).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from invitations.models import GROESSENKLASSEN, LAENDER, Invitation
from surveys.models import Survey
from surveys.structure import get_structure
from surveys.texts.in_words import condition_in_words

from . import aggregation, protection, suppression, waves
from .representativeness import representativeness


def _rate_rows(counts: dict[str, tuple[int, int]], order: list[tuple[str, str]], min_base: int) -> list[dict[str, Any]]:
    rows = []
    for code, label in order:
        invited, answered = counts.get(code, (0, 0))
        if not invited:
            continue
        rows.append({"code": code, "label": label, "invited": invited, "responses": answered,
                     "rate": answered / invited, "protected": protection.is_small(invited, min_base)})
    _suppress_counts(rows, "responses", min_base, ("rate",))
    return rows


def _suppress_counts(rows: list[dict[str, Any]], key: str, min_base: int, shares: tuple[str, ...]) -> bool:
    """Suppress the small counts `key` of rows that add up to a published total (one-way rule), with
    the shares computed from them; True if any is suppressed."""
    hidden, _total = suppression.one_way([r[key] for r in rows], sum(r[key] for r in rows), min_base,
                                         fixed=[False] * len(rows))
    for row, off in zip(rows, hidden, strict=True):
        if off:
            row[key] = None
            row.update(dict.fromkeys(shares), protected=True, suppressed=True)
    return any(hidden)


def response_rates(survey: Survey, include_partial: bool = False) -> dict[str, Any]:
    """Invited members and responses by Land and by size class (one GROUP BY, read in the caller's
    snapshot). A rate whose number of invited members is below the minimum base is protected."""
    counted = Q(response__status__in=aggregation.statuses(include_partial))
    rows = (Invitation.objects.filter(survey=survey).values_list("member__land", "member__groessenklasse")
            .annotate(invited=Count("id"), answered=Count("response", filter=counted)).order_by())
    by_land: dict[str, tuple[int, int]] = {}
    by_size: dict[str, tuple[int, int]] = {}
    for land, size, invited, answered in rows:
        for target, key in ((by_land, land), (by_size, str(size))):
            before = target.get(key, (0, 0))
            target[key] = (before[0] + invited, before[1] + answered)
    min_base = survey.min_base
    lands = [(land, land) for land in LAENDER] + [(k, k) for k in sorted(set(by_land) - set(LAENDER))]
    sizes = [(str(k), f"{k}: {v}") for k, v in sorted(GROESSENKLASSEN.items())]
    return {
        "land": _rate_rows(by_land, lands, min_base),
        "groessenklasse": _rate_rows(by_size, sizes, min_base),
    }


def _protect_representativeness(tables: dict[str, Any], min_base: int) -> dict[str, Any]:
    """Respondent shares are percentages of all respondents: below the minimum base they go."""
    for table in tables.values():
        small = protection.is_small(table["respondents_total"], min_base)
        table["protected"] = small
        for row in table["rows"]:
            row["protected"] = small
            if small:
                row["respondent_share"] = row["difference_points"] = None
        if small:
            table["chi2"] = table["p_value"] = None
            table["protected_note"] = protection.footnote(min_base, table["respondents_total"])
        elif _suppress_counts(table["rows"], "respondents", min_base, ("respondent_share", "difference_points")):
            # the test statistic is a function of every count: it could give a suppressed one away
            table["chi2"] = table["p_value"] = None
            table["protected_note"] = protection.suppressed_note(min_base)
    return tables


def _pages(survey: Survey, tables: list[dict[str, Any]]) -> list[dict[str, Any]]:
    structure = get_structure(survey)
    by_code = {t["code"]: protection.publishable_table(t, survey.min_base) for t in tables}
    pages = []
    for page in structure.pages:
        questions = []
        for q in page.questions:
            table = by_code[q.code]
            table["condition_words"] = condition_in_words(q.condition_node, structure)
            table["help_text"] = q.help_text
            questions.append(table)
        pages.append({"code": page.code, "title": page.title, "questions": questions,
                      "condition": condition_in_words(page.condition_node, structure)})
    return pages


def build(survey: Survey, include_partial: bool = False) -> dict[str, Any]:
    """Everything the report shows, from one consistent snapshot, protected."""
    with aggregation.snapshot():
        raw = aggregation.raw_counts(survey, include_partial)
        structure = get_structure(survey)
        questions = [aggregation.frequency_table(q, raw) for q in structure.questions]
        overview = aggregation.overview(survey)
        rates = response_rates(survey, include_partial)
        repr_tables = representativeness(survey, include_partial)
        as_of = timezone.now()
    overview["protected"] = protection.is_small(overview["invited"], survey.min_base)
    return {
        "survey": survey, "include_partial": include_partial, "respondents": raw.respondents,
        "overview": overview, "as_of": as_of, "min_base": survey.min_base, "rates": rates,
        "representativeness": _protect_representativeness(repr_tables, survey.min_base),
        "pages": _pages(survey, questions),
        "waves": waves.with_other_wave(survey, include_partial, publication=True),
    }
