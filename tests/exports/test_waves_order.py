"""Waves in time order (exports/analysis/waves.py): the older wave by field period first, whichever
wave the comparison is opened from, differences later − earlier, and reworded questions flagged."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from exports.analysis import waves
from harness.answer_data import insert_plans
from surveys.definition.read import read_definition
from surveys.definition.sync import sync_survey
from surveys.definition.validate import validate_definition
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
