"""Two waves of a survey side by side: per question and option the share in each wave, the
difference in percentage points and each base; questions that exist in one wave only are listed.

Waves share variable codes (a wave is a copy of a survey), so codes are the key. The older wave
(field period start, then creation) is always `first`, and a difference is later − earlier,
whichever wave the comparison is opened from; a question reworded between the waves carries its
old and new wording (`changed`), and so does a question whose text or option labels were changed
in either wave while answers were coming in (`field_changes`, from the change history: a change
after the wave's first response). Both sides are the ordinary frequency tables (`aggregation`,
counted in PostgreSQL) with small-cell protection applied — with `publication`, the publication
rules (protection.publishable_tables) — and a protected share is not compared either. The staff
page, the workbook's Wellen sheet and the report all show this one result.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Min

from responses.models import Response
from surveys.models import Question, Survey, SurveyChange

from . import aggregation, protection


def comparable_surveys(survey: Survey) -> list[Survey]:
    """Other surveys that share at least one question code with `survey` (candidates for a wave)."""
    codes = Question.objects.filter(survey=survey).values("code")
    return list(Survey.objects.exclude(pk=survey.pk).filter(questions__code__in=codes).distinct()
                .order_by("-created_at"))


def _variables(table: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]], float]]:
    """(variable, label, options, base) of a frequency table: the question, or each matrix row."""
    if table["type"] == "matrix":
        return [(r["code"], r["label"], r["options"], r["base"]) for r in table["rows"]]
    if "options" in table:
        return [(table["code"], "", table["options"], table["base"])]
    return []


def _points(a: float | None, b: float | None) -> float | None:
    return (b - a) * 100 if a is not None and b is not None else None


def compare_tables(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Compare two sets of (protected) frequency tables by code."""
    a = {t["code"]: t for t in first["questions"]}
    b = {t["code"]: t for t in second["questions"]}
    questions = []
    for code, ta in a.items():
        tb = b.get(code)
        if tb is None or tb["type"] != ta["type"]:
            continue
        rows_b = {v: (opts, base) for v, _, opts, base in _variables(tb)}
        variables = []
        for variable, label, opts_a, base_a in _variables(ta):
            opts_b, base_b = rows_b.get(variable, ([], 0))
            by_code_b = {o["code"]: o for o in opts_b}
            options = []
            for o in opts_a + [o for o in opts_b if o["code"] not in {x["code"] for x in opts_a}]:
                oa = next((x for x in opts_a if x["code"] == o["code"]), None)
                ob = by_code_b.get(o["code"])
                pa = oa["percent"] if oa else None
                pb = ob["percent"] if ob else None
                options.append({"code": o["code"], "label": o["label"], "first": pa, "second": pb,
                                "first_count": oa["count"] if oa else None, "second_count": ob["count"] if ob else None,
                                "difference_points": _points(pa, pb)})
            variables.append({"variable": variable, "label": label, "first_base": base_a, "second_base": base_b,
                              "options": options})
        if variables:
            questions.append({"code": code, "text": ta["text"], "type": ta["type"], "variables": variables,
                              "changed": wording_change(ta, tb)})
    only_first = [{"code": c, "text": t["text"]} for c, t in a.items() if c not in b]
    only_second = [{"code": c, "text": t["text"]} for c, t in b.items() if c not in a]
    different = [{"code": c, "text": t["text"]} for c, t in a.items() if c in b and b[c]["type"] != t["type"]]
    return {"questions": questions, "only_first": only_first, "only_second": only_second,
            "different_type": different, "first_respondents": first["respondents"],
            "second_respondents": second["respondents"]}


def _labels(table: dict[str, Any]) -> dict[str, str]:
    """{code: label} of the options and matrix rows ("row:<code>") of a frequency table."""
    labels = {o["code"]: o["label"] for o in table.get("options", [])}
    for row in table.get("rows", []):
        labels[f"row:{row['code']}"] = row["label"]
        labels.update({o["code"]: o["label"] for o in row.get("options", [])})
    return labels


def wording_change(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any] | None:
    """The old and new wording of a question whose text or option/row labels differ, else None:
    the shares are still compared by code, but a reader must know the question was not the same."""
    la, lb = _labels(first), _labels(second)
    labels = [{"code": code.removeprefix("row:"), "first": la[code], "second": lb[code]}
              for code in la if code in lb and la[code] != lb[code]]
    if first["text"] == second["text"] and not labels:
        return None
    return {"first_text": first["text"], "second_text": second["text"],
            "text_changed": first["text"] != second["text"], "labels": labels}


def in_time_order(one: Survey, other: Survey) -> tuple[Survey, Survey]:
    """The older wave first: by the start of the field period, then by creation."""
    def key(survey: Survey) -> tuple:
        return (survey.opens_on or survey.created_at.date(), survey.created_at, survey.pk)

    first, second = sorted((one, other), key=key)
    return first, second


def wave_name(survey: Survey) -> str:
    """The wave's title and field period, as column heading."""
    if survey.opens_on and survey.closes_on:
        return f"{survey.title} ({survey.opens_on:%d.%m.%Y}–{survey.closes_on:%d.%m.%Y})"
    if survey.opens_on:
        return f"{survey.title} (ab {survey.opens_on:%d.%m.%Y})"
    return survey.title


def _definition_labels(qdef: dict[str, Any]) -> dict[str, str]:
    """{code: label} of a question definition's options and rows ("row:<code>"), as `_labels`."""
    labels = {o["code"]: o["label"] for o in qdef.get("options") or []}
    labels.update({f"row:{r['code']}": r["label"] for r in qdef.get("rows") or []})
    return labels


def field_phase_changes(survey: Survey) -> dict[str, list[dict[str, Any]]]:
    """{question code: [its rewordings after the survey's first response]}, oldest first: each with
    `at`, the text before and after and the changed option/row labels (the change history)."""
    started = Response.objects.filter(survey=survey).aggregate(first=Min("started_at"))["first"]
    if started is None:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    changes = (SurveyChange.objects.filter(survey=survey, action=SurveyChange.Action.CHANGED,
                                           target__startswith="Frage ", at__gte=started).order_by("at", "pk"))
    for change in changes:
        before, after = change.before, change.after
        if "text" not in before or "text" not in after:
            continue  # a move, not a rewording
        la, lb = _definition_labels(before), _definition_labels(after)
        labels = [{"code": code.removeprefix("row:"), "first": la[code], "second": lb[code]}
                  for code in la if code in lb and la[code] != lb[code]]
        if before["text"] == after["text"] and not labels:
            continue
        out.setdefault(after.get("code") or change.target.removeprefix("Frage "), []).append({
            "at": change.at.isoformat(), "first_text": before["text"], "second_text": after["text"],
            "text_changed": before["text"] != after["text"], "labels": labels})
    return out


def with_other_wave(survey: Survey, include_partial: bool = False, publication: bool = False) -> dict[str, Any] | None:
    """The comparison with the survey's other wave (the newest other survey sharing question codes),
    for the workbook and the report; None without one. In time order whichever side it is made for."""
    others = comparable_surveys(survey)
    return compare(survey, others[0], include_partial, publication) if others else None


def compare(one: Survey, other: Survey, include_partial: bool = False, publication: bool = False) -> dict[str, Any]:
    """The two waves in time order, whichever is opened: `first` is the older, differences are
    later − earlier."""
    first, second = in_time_order(one, other)
    tables = []
    for survey in (first, second):
        raw = aggregation.compute_tables(survey, include_partial)
        tables.append(protection.publishable_tables(raw, survey.min_base) if publication
                      else protection.protect_tables(raw, survey.min_base))
    result = compare_tables(*tables)
    during = [field_phase_changes(first), field_phase_changes(second)]
    for q in result["questions"]:
        q["field_changes"] = [{"wave": name, **c} for name, by_code in zip(("first", "second"), during, strict=True)
                              for c in by_code.get(q["code"], [])]
    result.update(first=first.slug, second=second.slug, first_title=first.title, second_title=second.title,
                  first_name=wave_name(first), second_name=wave_name(second),
                  changed=[{"code": q["code"], **q["changed"]} for q in result["questions"] if q["changed"]],
                  changed_in_field=[{"code": q["code"], "changes": q["field_changes"]}
                                    for q in result["questions"] if q["field_changes"]])
    return result

