"""Weighted frequency tables against a small example computed by hand, on the results page (GET
option) and in the workbook (export option), labelled as weighted with the unweighted base beside.

The example: the register has 50 members in Bayern and 50 in Hessen, all in size class 3; four
respondents answer, three from Bayern and one from Hessen. Raking to the register's 50:50 gives
each Bayern respondent the weight 2/4 ÷ 3/4 = 2/3 and the Hessen respondent 2/4 ÷ 1/4 = 2
(the weights sum to 4, the number of respondents).

  B3_dauer (single): Bayern 1, 1, 2; Hessen 1.  unweighted 1: 3/4 = 75 %;
                     weighted 1: 2/3 + 2/3 + 2 = 10/3 of 4 = 83,3 %, 2: 2/3 of 4 = 16,7 %.
  B2_zweck (multi):  Bayern [1], [1, 2], [2]; Hessen [1].  weighted 1: 10/3 of 4 = 83,3 %,
                     2: 4/3 of 4 = 33,3 %; unweighted 1: 75 %, 2: 50 %.
"""

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from exports.analysis import aggregation, protection
from exports.analysis.weighted import weight_questions
from exports.formats.registry import build_export
from exports.models import ResultSet
from harness.answer_data import Plan, insert_plans
from invitations.models import Member

pytestmark = pytest.mark.django_db

ANSWERS = [("Bayern", "1", ["1"]), ("Bayern", "1", ["1", "2"]), ("Bayern", "2", ["2"]), ("Hessen", "1", ["1"])]


@pytest.fixture
def example(kgst_survey, kgst_structure):
    plans = []
    for i, (land, dauer, zweck) in enumerate(ANSWERS):
        answers = {"A1_bereich": "1", "B1_nutzung": "1", "B2_zweck": zweck, "B3_dauer": dauer}
        shown = [q.code for q in kgst_structure.shown_questions(answers)]
        plans.append(Plan(answers=answers, shown=shown, member={"land": land, "typ": "Stadt", "einwohner": 30_000 + i}))
    insert_plans(kgst_survey, kgst_structure, plans)
    for land, extra in (("Bayern", 47), ("Hessen", 49)):  # 50 members per Land in the register
        for k in range(extra):
            Member(ags=f"{land[:1]}{k:07d}", name=f"{land} {k}", land=land, typ="Gemeinde", einwohner=30_000,
                   email=f"{land}{k}@example.org").save()
    kgst_survey.min_base = 1
    kgst_survey.save(update_fields=["min_base"])
    return kgst_survey


def _table(questions, code):
    return next(t for t in questions if t["code"] == code)


def test_weighted_tables_by_hand(example):
    data = weight_questions(example)
    assert data["weighting"]["converged"]
    dauer = _table(data["questions"], "B3_dauer")
    counts = {o["code"]: o["count"] for o in dauer["options"]}
    assert counts["1"] == pytest.approx(10 / 3) and counts["2"] == pytest.approx(2 / 3)
    assert dauer["base"] == pytest.approx(4.0) and dauer["unweighted_base"] == 4 and dauer["weighted"]
    assert {o["code"]: o["percent"] for o in dauer["options"]}["1"] == pytest.approx(10 / 12)
    zweck = _table(data["questions"], "B2_zweck")
    pct = {o["code"]: o["percent"] for o in zweck["options"]}
    assert pct["1"] == pytest.approx(10 / 12) and pct["2"] == pytest.approx(4 / 12)
    assert zweck["unweighted_base"] == 4 and zweck["missing"] == pytest.approx(0.0)
    # the unweighted figures of the same read are what the stored result tables hold
    stored = _table(aggregation.compute_tables(example)["questions"], "B3_dauer")
    assert {o["code"]: o["count"] for o in stored["options"]}["1"] == 3
    number = _table(data["questions"], "A2_beschaeftigte")
    assert number["weighted"] is False


def test_small_cell_protection_judges_the_unweighted_base():
    table = {"type": "single", "base": 6.2, "unweighted_base": 4, "missing": 0,
             "options": [{"code": "1", "label": "Ja", "count": 6.2, "percent": 1.0}]}
    protected = protection.protect_question(table, 5)
    assert protected["options"][0]["percent"] is None and protected["options"][0]["protected"]
    assert "n = 4" in protected["protected_note"]


def test_results_page_weighted_option(example, analyst_client):
    ResultSet.objects.create(survey=example, status=ResultSet.Status.DONE, computed_at=timezone.now(),
                             tables=aggregation.compute_tables(example))
    url = f"/staff/befragungen/{example.slug}/ergebnisse/"
    plain = analyst_client.get(url).content.decode()
    assert "75,0 %" in plain and "83,3 %" not in plain
    assert "Ergebnistabellen (gewichtet)" not in plain and "Anzahl (gewichtet)" not in plain
    assert "Basis n = 4, fehlend 0" in plain
    page = analyst_client.get(url, {"gewichtet": "1"}).content.decode()
    assert "Ergebnistabellen (gewichtet)" in page
    assert "83,3 %" in page and "16,7 %" in page and "33,3 %" in page
    assert "Gewichtet · ungewichtete Basis n = 4, fehlend 0" in page
    assert "Anzahl (gewichtet)" in page and '<td class="text-end">3,3</td>' in page  # 10/3
    assert "Balkendiagramm B3_dauer, gewichtet" in page
    example.min_base = 5  # four respondents: protected although weights could look like more
    example.save(update_fields=["min_base"])
    page = analyst_client.get(url, {"gewichtet": "1"}).content.decode()
    assert "83,3 %" not in page and "Basis unter 5 (n = 4)" in page


def test_workbook_weighted_tables(example, tmp_path):
    path = tmp_path / "w.xlsx"
    build_export(example, "xlsx", path, options={"by": "land", "weighted": True})
    rows = list(load_workbook(path, read_only=True)["Ergebnisse"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Antwort", "Code", "Anzahl (gewichtet)", "Prozent")
    assert rows[1][0].startswith("Gewichtet (Raking auf Land × Größenklasse")
    start = next(i for i, r in enumerate(rows) if r and r[0] and str(r[0]).startswith("B3_dauer – "))
    first = rows[start + 1]
    assert first[1] == 1 and first[2] == pytest.approx(10 / 3) and first[3] == pytest.approx(10 / 12)
    labels = [r[0] if r else None for r in rows[start:start + 10]]
    assert "Basis (gültige Antworten), gewichtet" in labels and "Basis ungewichtet (Befragte)" in labels
    unweighted = rows[start + labels.index("Basis ungewichtet (Befragte)")]
    assert unweighted[2] == 4
    overview = {r[0]: r[1] for r in load_workbook(path, read_only=True)["Übersicht"].iter_rows(values_only=True)
                if len(r) > 1}
    assert overview["Ergebnistabellen"].startswith("gewichtet")
    plain = tmp_path / "p.xlsx"
    build_export(example, "xlsx", plain)
    rows = list(load_workbook(plain, read_only=True)["Ergebnisse"].iter_rows(values_only=True))
    assert rows[0][2] == "Anzahl" and not any("gewichtet" in str(r[0]) for r in rows if r and r[0])


def test_workbook_weighted_figures_have_number_formats(example, tmp_path):
    """Sums of weights and percentages are shown with one decimal or as percent, never as
    1.384615384615384 in "General"; the unweighted base stays a whole number."""
    path = tmp_path / "w.xlsx"
    build_export(example, "xlsx", path, options={"by": "land", "weighted": True})
    book = load_workbook(path)
    fractional = []
    for name in ("Ergebnisse", "Kreuztabellen"):
        for row in book[name].iter_rows():
            label = row[0].value
            for cell in row[2:]:
                if isinstance(cell.value, float) and not cell.value.is_integer():
                    fractional.append((name, label, cell.number_format))
                if (label and str(label).startswith(("Basis (gültige Antworten)", "Fehlend"))
                        and isinstance(cell.value, float)):
                    assert cell.number_format in ("#,##0.0", "#,##0"), (name, label, cell.number_format)
    assert fractional and {sheet for sheet, _, _ in fractional} == {"Ergebnisse", "Kreuztabellen"}
    assert all(fmt in ("#,##0.0", "0.0%") for _, _, fmt in fractional), [f for f in fractional if f[2] == "General"]
    xt = book["Kreuztabellen"]
    bases = [r for r in xt.iter_rows() if r[0].value == "Basis (gültige Antworten)"]
    assert bases and all(c.number_format == "#,##0.0" for r in bases for c in r[2:] if c.value is not None)
