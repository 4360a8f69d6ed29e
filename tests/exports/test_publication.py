"""The publication variant (exports/analysis/protection.py, suppression.py): no per-response data, every
count below the minimum base suppressed, and no suppressed count computable from what is published.

The audit (tests/exports/audit.py) plays the attacker: it solves for each suppressed entry from the
table's totals and visible counts by linear programming and checks that it is not determined."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from exports.analysis import protection, suppression
from exports.formats.registry import PublicationNotAvailable, build_export
from harness.answer_data import insert_plans
from invitations.models import Member
from responses.models import Response
from tests.exports.audit import determined, one_way_equations, two_way_layout
from tests.exports.conftest import make_plans

pytestmark = pytest.mark.django_db

counts = st.integers(0, 12)


# --- the suppression itself, over random tables ------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(values=st.lists(counts, min_size=1, max_size=9), k=st.integers(2, 6))
def test_one_way_no_suppressed_count_recoverable(values, k):
    hidden, total_hidden = suppression.one_way(values, sum(values), k)
    flags = [*hidden, total_hidden]
    entries = [*values, sum(values)]
    for value, off in zip(entries, flags, strict=True):
        assert off or not suppression.is_small(value, k)  # every small count is hidden
    assert sum(flags) != 1  # never exactly one
    assert determined(entries, flags, one_way_equations(len(values))) == []


@settings(max_examples=200, deadline=None)
@given(data=st.data(), rows=st.integers(1, 5), cols=st.integers(1, 6), k=st.integers(2, 6))
def test_cross_tab_no_suppressed_count_recoverable(data, rows, cols, k):
    cells = [[data.draw(counts) for _ in range(cols)] for _ in range(rows)]
    values, equations = two_way_layout(cells)
    row_totals, col_totals = [sum(r) for r in cells], [sum(c) for c in zip(*cells, strict=True)]
    hidden, rows_hidden, cols_hidden, grand_hidden = suppression.two_way(
        cells, row_totals, col_totals, sum(row_totals), k)
    flags = [f for r in hidden for f in r] + rows_hidden + cols_hidden + [grand_hidden]
    for value, off in zip(values, flags, strict=True):
        assert off or not suppression.is_small(value, k)
    # per row and per column (margins included): at least two suppressed or none
    for i in range(rows):
        assert sum(hidden[i]) + rows_hidden[i] != 1
    for j in range(cols):
        assert sum(hidden[i][j] for i in range(rows)) + cols_hidden[j] != 1
    assert sum(rows_hidden) + grand_hidden != 1 and sum(cols_hidden) + grand_hidden != 1
    assert determined(values, flags, equations) == []


def test_one_way_rule_next_smallest():
    # one count below k: the next smallest goes too, not a larger one and not the total
    hidden, total = suppression.one_way([3, 40, 9, 12], 64, 5)
    assert hidden == [True, False, True, False] and not total


def test_publishable_table_hides_counts_not_only_percentages():
    table = {"code": "B1", "type": "single", "text": "?", "shown": 30, "base": 28, "missing": 2,
             "options": [{"code": "1", "label": "Ja", "count": 2, "percent": 2 / 28},
                         {"code": "2", "label": "Nein", "count": 20, "percent": 20 / 28},
                         {"code": "3", "label": "weiß nicht", "count": 6, "percent": 6 / 28}]}
    out = protection.publishable_table(table, 5)
    assert [o["count"] for o in out["options"]] == [None, 20, None]
    assert [o["percent"] for o in out["options"]] == [None, 20 / 28, None]
    assert out["suppressed_note"] and table["options"][0]["count"] == 2  # the input is untouched


# --- the publication workbook over random registers and answers --------------------------------


def _crosstabs(path) -> list[dict]:
    """The Kreuztabellen sheet read back: per table the counts (None = "–"), row totals, bases."""
    ws = load_workbook(path, read_only=True)["Kreuztabellen"]
    tables, current, part, previous = [], None, None, None
    for row in ws.iter_rows(values_only=True):
        first = row[0] if row else None
        if first == "Anzahl":
            current = {"title": previous, "columns": list(row[2:]), "rows": [], "bases": None}
            tables.append(current)
            part = "counts"
        elif first == "Spaltenprozent":
            part = "percents"
        elif current is not None and first == "Basis (gültige Antworten)":
            current["bases"] = [None if v == "–" else v for v in row[2:2 + len(current["columns"])]]
            part = None
        elif current is not None and part == "counts" and first is not None:
            current["rows"].append([None if v == "–" else v for v in row[2:2 + len(current["columns"])]])
        previous = first
    return tables


def _check_published_crosstab(table: dict, k: int) -> bool:
    """No visible count below k, no suppressed one determined; True if the table has suppressions."""
    cells = [r[:-1] for r in table["rows"]]
    row_totals = [r[-1] for r in table["rows"]]
    visible = [v for r in table["rows"] for v in r if v is not None] + [b for b in table["bases"] if b is not None]
    assert all(not suppression.is_small(v, k) for v in visible)
    if not any(v is None for r in table["rows"] for v in r):
        return False
    # the attacker's table: the published numbers, unknowns where a dash is (true values are unknown
    # to the test too; the ranges only need the published ones)
    flat = [v if v is not None else 0 for r in cells for v in r] + [v or 0 for v in row_totals] + \
        [v or 0 for v in table["bases"][:-1]] + [table["bases"][-1] or 0]
    flags = [v is None for r in cells for v in r] + [v is None for v in row_totals] + \
        [v is None for v in table["bases"][:-1]] + [table["bases"][-1] is None]
    _values, equations = two_way_layout([[0] * len(cells[0]) for _ in cells])
    assert determined(flat, flags, equations) == []
    return True


# no shrinking: each example writes a workbook, and a failing one is clear from its seed
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(seed=st.integers(0, 10**6), n=st.integers(3, 70), k=st.integers(3, 8))
def test_publication_workbook_over_random_registers(kgst_survey, kgst_structure, seed, n, k):
    Response.objects.all().delete()
    Member.objects.all().delete()
    kgst_survey.min_base = k
    kgst_survey.save(update_fields=["min_base"])
    # single-choice questions only in the audit: their cross-tabs add up (a multiple choice does not)
    insert_plans(kgst_survey, kgst_structure, make_plans(kgst_structure, seed, n, 0.0))
    single = {q.code for q in kgst_structure.questions if q.type == "single"}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pub.xlsx"
        build_export(kgst_survey, "xlsx", path, publication=True)
        wb = load_workbook(path, read_only=True)
        # no per-response sheet is published: no combination of quasi-identifiers at all
        data = [r for r in wb["Daten"].iter_rows(values_only=True) if any(v is not None for v in r)]
        header = data[0]
        identifying = {"ags", "name", "einwohner", "started_at", "submitted_at", "H1_anmerkungen", "H3_email"}
        assert not identifying & set(header)
        assert len(data) == 2 and data[1][0].startswith("Veröffentlichungsfassung")
        wb.close()
        audited = [_check_published_crosstab(table, k) for table in _crosstabs(path)
                   if table["title"].split(" – ", 1)[0] in single]
        assert len(audited) > 10 and any(audited)  # 16 Länder and 7 size classes: always some small cells
        for fmt in ("csv", "sav", "dta", "rds"):
            with pytest.raises(PublicationNotAvailable):
                build_export(kgst_survey, fmt, Path(tmp) / f"pub.{fmt}", publication=True)


# --- the example: one big city in the demo data ------------------------------------------------

HANNOVER = {"ags": "03241001", "name": "Landeshauptstadt Hannover", "land": "Niedersachsen", "typ": "Stadt",
            "einwohner": 545_000}


def test_niedersachsen_stadt_size_class_7_no_longer_singles_out(kgst_survey, kgst_structure, tmp_path):
    plans = make_plans(kgst_structure, 7, 80, 0.0)
    rng = random.Random(7)
    for plan in plans:  # the random register has no other big Stadt in Niedersachsen
        if plan.member["land"] == "Niedersachsen" and plan.member["einwohner"] >= 400_000:
            plan.member["einwohner"] = rng.randrange(2_000, 9_000)
    plans[0].member = dict(HANNOVER)
    insert_plans(kgst_survey, kgst_structure, plans)
    full, pub = tmp_path / "voll.xlsx", tmp_path / "pub.xlsx"
    build_export(kgst_survey, "xlsx", full)
    build_export(kgst_survey, "xlsx", pub, publication=True)
    # the analysts' file: one row is Niedersachsen + Stadt + size class 7, and it is Hannover
    rows = list(load_workbook(full, read_only=True)["Daten"].iter_rows(values_only=True))
    index = {code: i for i, code in enumerate(rows[0])}
    matches = [r for r in rows[1:] if (r[index["land"]], r[index["typ"]], r[index["groessenklasse"]])
               == ("Niedersachsen", "Stadt", 7)]
    assert len(matches) == 1 and matches[0][index["name"]] == HANNOVER["name"]
    # the publication: no rows, no name, and no visible count of 1..k-1 in any cross-tab
    wb = load_workbook(pub, read_only=True)
    text = [str(v) for ws in wb.worksheets for r in ws.iter_rows(values_only=True) for v in r if v is not None]
    assert not any("Hannover" in t or HANNOVER["ags"] in t for t in text)
    assert len([r for r in wb["Daten"].iter_rows(values_only=True) if any(v is not None for v in r)]) == 2
    wb.close()
    k = kgst_survey.min_base
    tables = _crosstabs(pub)
    assert tables
    for table in tables:
        for value in [v for r in table["rows"] for v in r] + table["bases"]:
            assert value is None or not suppression.is_small(value, k)
    by_size = next(t for t in tables if "400.000 und mehr" in t["columns"])
    column = by_size["columns"].index("400.000 und mehr")
    assert by_size["bases"][column] is None or by_size["bases"][column] >= k


def test_export_form_and_command_refuse_per_response_publication(kgst_survey, analyst_client, tmp_path):
    from django.core.management import CommandError, call_command

    response = analyst_client.post(f"/staff/befragungen/{kgst_survey.slug}/exporte/neu/",
                                   {"format": "csv", "publication": "on"})
    assert response.status_code == 400
    assert "keine Einzeldaten" in response.content.decode()
    with pytest.raises(CommandError, match="no per-response data"):
        call_command("export_results", kgst_survey.slug, "--out", str(tmp_path / "x.csv"), "--publication")
    assert not (tmp_path / "x.csv").exists()
