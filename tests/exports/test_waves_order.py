"""Waves in time order (exports/analysis/waves.py): the older wave by field period first, whichever
wave the comparison is opened from, differences later − earlier, and reworded questions flagged."""

from __future__ import annotations

import copy
import shutil
import subprocess
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from exports.analysis import report, waves
from exports.formats.registry import build_export
from harness.answer_data import insert_plans
from responses.models import Response
from surveys.definition.export import question_definition
from surveys.definition.read import read_definition
from surveys.definition.sync import sync_survey
from surveys.definition.validate import validate_definition
from surveys.models import Question, SurveyChange
from surveys.structure import get_structure
from tests.exports.conftest import make_plans

pytestmark = pytest.mark.django_db

NEW_TEXT = "Seit wann ist Ihre Kommune in sozialen Medien aktiv?"


@pytest.fixture
def two_waves(kgst_survey, kgst_structure):
    """An older wave created after the KGSt survey (so creation order alone would be wrong), with
    B3_dauer reworded and one of its option labels changed."""
    data = copy.deepcopy(read_definition("surveys/definitions/kgst-social-media-2013.yaml"))
    data["slug"], data["title"] = "kgst-social-media-2010", "Social Media 2010"
    for page in data["pages"]:
        for q in page["questions"]:
            if q["code"] == "B3_dauer":
                q["text"] = NEW_TEXT
                q["options"][0]["label"] = "kürzer als ein Jahr"
    older = sync_survey(validate_definition(data)).survey
    kgst_survey.opens_on, kgst_survey.closes_on = date(2013, 3, 1), date(2013, 4, 30)
    older.opens_on, older.closes_on = date(2010, 3, 1), date(2010, 4, 30)
    for survey, seed, n in ((kgst_survey, 31, 40), (older, 32, 30)):
        survey.min_base = 1
        survey.save()
        insert_plans(survey, get_structure(survey), make_plans(get_structure(survey), seed, n, 0.0))
    return older, kgst_survey


def test_same_order_and_signs_from_either_wave(two_waves):
    older, newer = two_waves
    from_newer = waves.compare(newer, older)
    from_older = waves.compare(older, newer)
    assert from_newer == from_older
    assert (from_newer["first"], from_newer["second"]) == (older.slug, newer.slug)
    assert from_newer["first_name"] == "Social Media 2010 (01.03.2010–30.04.2010)"
    assert from_newer["second_name"].endswith("(01.03.2013–30.04.2013)")
    signs = 0
    for q in from_newer["questions"]:
        for v in q["variables"]:
            for o in v["options"]:
                if o["first"] is not None and o["second"] is not None:
                    assert o["difference_points"] == pytest.approx((o["second"] - o["first"]) * 100)
                    signs += 1
    assert signs > 20


def test_reworded_question_flagged(two_waves, analyst_client):
    older, newer = two_waves
    result = waves.compare(newer, older)
    changed = {c["code"]: c for c in result["changed"]}
    assert list(changed) == ["B3_dauer"]
    flag = changed["B3_dauer"]
    assert flag["second_text"] != flag["first_text"] == NEW_TEXT
    assert flag["labels"] == [{"code": "1", "first": "kürzer als ein Jahr", "second": "seit weniger als 12 Monaten"}]
    url = f"/staff/befragungen/{newer.slug}/ergebnisse/wellen/"
    page = analyst_client.get(url, {"vergleich": older.slug}).content.decode()
    assert "Wortlaut geändert" in page and "kürzer als ein Jahr" in page
    assert page.index("Social Media 2010 (01.03.2010–30.04.2010)") < page.index("(01.03.2013–30.04.2013)")


# --- the same comparison in the workbook (Wellen sheet) and in the report (PDF) --------------------


def _wellen(path) -> list[tuple]:
    return [r for r in load_workbook(path, read_only=True)["Wellen"].iter_rows(values_only=True) if r]


def _reword_during_field_phase(survey, code: str, old: str) -> None:
    """A rewording recorded in the change history after the survey's first response (as the editor
    records it: the question's definition before and after)."""
    question = Question.objects.get(survey=survey, code=code)
    after = question_definition(question)
    before = {**after, "text": old}
    SurveyChange.record(survey, None, f"Frage {code}", before, after)


def test_workbook_and_report_same_order_signs_and_flags_from_either_wave(two_waves, tmp_path):
    older, newer = two_waves
    _reword_during_field_phase(newer, "B1_nutzung", "Nutzt Ihre Kommune Social Media?")
    sheets = {}
    for survey in (older, newer):
        path = tmp_path / f"{survey.slug}.xlsx"
        build_export(survey, "xlsx", path)
        sheets[survey.slug] = _wellen(path)
    assert sheets[older.slug] == sheets[newer.slug]
    rows = sheets[newer.slug]
    assert "Ältere Welle: Social Media 2010 (01.03.2010–30.04.2010)" in rows[1][0]
    header = next(r for r in rows if r[0] == "Antwort")
    assert header[2].startswith("Social Media 2010") and header[3].endswith("(01.03.2013–30.04.2013)")
    expected = waves.compare(newer, older)
    compared = [r for r in rows if len(r) > 4 and isinstance(r[4], int | float)]  # -40.0 reads back as -40
    diffs = [r[4] for r in compared]
    want = [o["difference_points"] for q in expected["questions"] for v in q["variables"] for o in v["options"]
            if o["difference_points"] is not None]
    assert diffs == pytest.approx(want) and len(diffs) > 20
    for r in compared:
        assert r[4] == pytest.approx((r[3] - r[2]) * 100)  # later − earlier
    flags = [r[0] for r in rows if isinstance(r[0], str) and "„" in r[0]]  # the notes quote both wordings
    assert any(NEW_TEXT in f and "Seit wann nutzt" in f and f.index(NEW_TEXT) < f.index("Seit wann nutzt")
               for f in flags), flags
    assert any("„kürzer als ein Jahr“" in f and "„seit weniger als 12 Monaten“" in f for f in flags)
    assert any("Während der Feldphase von Wie nutzen" in f and "„Nutzt Ihre Kommune Social Media?“" in f
               for f in flags), flags
    # the report: the same comparison, opened from either wave, and the PDF shows it in that order
    from_older, from_newer = report.build(older)["waves"], report.build(newer)["waves"]
    assert from_older == from_newer
    assert [c["code"] for c in from_newer["changed"]] == ["B3_dauer"]
    assert [c["code"] for c in from_newer["changed_in_field"]] == ["B1_nutzung"]
    if shutil.which("pdftotext"):
        pdf = tmp_path / "bericht.pdf"
        build_export(older, "pdf", pdf)
        text = " ".join(subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                                       check=True).stdout.split())
        part = text[text.index("Wellenvergleich Ältere Welle"):]
        assert part.index("Social Media 2010 (01.03.2010–30.04.2010)") < part.index("(01.03.2013–30.04.2013)")
        assert "Wortlaut geändert:" in part and "kürzer als ein Jahr" in part and NEW_TEXT in part
        assert "Während der Feldphase von" in part and "Nutzt Ihre Kommune Social Media?" in part


def test_field_phase_change_before_the_first_response_is_not_flagged(two_waves):
    older, newer = two_waves
    question = Question.objects.get(survey=newer, code="B1_nutzung")
    after = question_definition(question)
    change = SurveyChange.record(newer, None, "Frage B1_nutzung", {**after, "text": "Alt?"}, after)
    first = Response.objects.filter(survey=newer).order_by("started_at").first()
    SurveyChange.objects.filter(pk=change.pk).update(at=first.started_at - timedelta(days=1))
    assert waves.field_phase_changes(newer) == {}
