"""Tampered posts and bad tokens: field errors or ignored, never stored, never a 500."""

import pytest

from responses.models import Answer

from .helpers import location
from .test_flow import USER, walk

pytestmark = pytest.mark.django_db


def _error_page(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert 'id="error-summary"' in html and 'role="alert"' in html
    return html


TAMPERED_P1 = [
    ({"A1_bereich": "99"}, "Bitte wählen Sie eine der angebotenen Antworten.", "A1_bereich"),
    ({"A1_bereich": ["1", "2"]}, "Bitte wählen Sie nur eine Antwort.", "A1_bereich"),
    ({"A1_bereich": "1' OR 1=1 --"}, "Bitte wählen Sie eine der angebotenen Antworten.", "A1_bereich"),
    ({"A2_beschaeftigte": "viele"}, "ganze Zahl", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "12,5"}, "ganze Zahl", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "0"}, "Bitte geben Sie eine Zahl von 1 bis 100.000 ein.", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "100001"}, "Bitte geben Sie eine Zahl von 1 bis 100.000 ein.", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "9" * 5000}, "ganze Zahl", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "1e3"}, "ganze Zahl", "A2_beschaeftigte"),
    ({"A2_beschaeftigte": "12\x0034"}, "Steuerzeichen", "A2_beschaeftigte"),
    ({"A1_bereich": "6", "A1_bereich_6_text": "x" * 501}, "höchstens 500 Zeichen", "A1_bereich_6_text"),
]


@pytest.mark.parametrize(("data", "message", "variable"), TAMPERED_P1)
@pytest.mark.parametrize("aktion", ["weiter", "zurueck", "speichern"])
def test_tampered_values_on_page_one(flow, data, message, variable, aktion):
    flow.open()
    html = _error_page(flow.post("P1", data, aktion))
    assert message in html
    assert not Answer.objects.filter(variable=variable).exists()


def test_invalid_input_keeps_the_previous_answer_and_shows_the_typed_value(flow):
    flow.open()
    flow.post("P1", {"A2_beschaeftigte": "250"}, "speichern")
    html = _error_page(flow.post("P1", {"A2_beschaeftigte": "25o", "A1_bereich": "3"}, "weiter"))
    assert 'value="25o"' in html and 'aria-invalid="true"' in html
    assert flow.stored() == {"A2_beschaeftigte": ["250"], "A1_bereich": ["3"]}


def test_grouped_numbers_are_accepted(flow):
    flow.open()
    assert location(flow.weiter("P1", {"A2_beschaeftigte": " 1.200 "})).endswith("/seite/P2/")
    assert flow.stored() == {"A2_beschaeftigte": ["1200"]}


def test_unknown_post_keys_are_ignored(flow):
    flow.open()
    response = flow.weiter("P1", {"A1_bereich": "1", "X9_unbekannt": "1", "B1_nutzung": "1", "csrf": "x",
                                  "A1_bereich_1_text": "kein Sonstiges-Feld"})
    assert location(response).endswith("/seite/P2/")
    assert flow.stored() == {"A1_bereich": ["1"]}


def test_exclusive_option_with_others(flow):
    walk(flow, USER, 5)
    html = _error_page(flow.weiter("P6", {"F1_hemmnisse": ["8", "2"]}))
    assert "„Keine Hemmnisse“ kann nicht zusammen mit anderen Antworten gewählt werden." in html
    assert "F1_hemmnisse" not in flow.stored()
    assert location(flow.weiter("P6", {"F1_hemmnisse": ["8"]})).endswith("/seite/P7/")


@pytest.mark.parametrize("data", [
    {"D1_extern": ["1", "99"]},
    {"D1_extern": ["0"]},
    {"D2_ziele_extern": "5"},
    {"D1_extern": ["7"], "D1_extern_7_text": "y" * 600},
])
def test_bad_values_on_page_four(flow, data):
    walk(flow, USER, 3)
    _error_page(flow.weiter("P4", data))
    assert not Answer.objects.filter(question__code__startswith="D").exists()


@pytest.mark.parametrize("data", [{"C1_1": "7"}, {"C1_1": ["1", "2"]}, {"C2_ziele_intern": "8"}])
def test_bad_matrix_values(flow, data):
    walk(flow, USER, 2)
    html = _error_page(flow.weiter("P3", data))
    assert "Zeile" in html or "Antwort" in html
    assert not Answer.objects.filter(question__code__startswith="C").exists()


def test_over_long_textarea(flow):
    walk(flow, USER, 7)
    html = _error_page(flow.weiter("P8", {"H1_anmerkungen": "a" * 5001, "H2_ergebnisse": "2"}))
    assert "höchstens 5.000 Zeichen" in html
    assert "H1_anmerkungen" not in flow.stored() and flow.stored()["H2_ergebnisse"] == ["2"]
    # CRLF line breaks count as one character each, as the browser shows them.
    text = ("b" * 99 + "\r\n") * 50  # 5,000 characters with \n
    assert location(flow.weiter("P8", {"H1_anmerkungen": text, "H2_ergebnisse": "2"})).endswith("/pruefen/")


def test_bad_email(flow):
    walk(flow, USER, 7)
    html = _error_page(flow.weiter("P8", {"H2_ergebnisse": "1", "H3_email": "keine-adresse"}))
    assert "gültige E-Mail-Adresse" in html
    assert "H3_email" not in flow.stored()


def test_answers_to_hidden_questions_are_ignored(flow):
    walk(flow, USER, 6)
    # G2 is only for non-users; this respondent uses social media.
    assert location(flow.weiter("P7", {"G1_ausbau": ["1"], "G2_einfuehrung": "1"})).endswith("/seite/P8/")
    assert "G2_einfuehrung" not in flow.stored()
    # Invalid input for a hidden question is not even an error.
    assert location(flow.weiter("P7", {"G1_ausbau": ["1"], "G2_einfuehrung": "77"})).endswith("/seite/P8/")


def test_posting_to_a_hidden_page_stores_nothing(flow):
    walk(flow, USER, 1)
    flow.weiter("P2", {"B1_nutzung": "2"})
    response = flow.client.post(flow.page_url("P3"), {"C1_1": "1", "_version": "0", "aktion": "weiter"})
    assert response.status_code == 302
    assert "C1_1" not in flow.stored()


def test_bad_version_values_do_not_crash(flow):
    flow.open()
    for version in ("abc", "-5", "", "9" * 50):
        response = flow.post("P1", {"A1_bereich": "1"}, "weiter", version=version)
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("token", [
    "x", "nicht-vorhanden-aber-lang-genug-1234567890", "A" * 43, "%E2%9C%93" * 5, "..%2F..%2Fetc", "a" * 300,
])
def test_bad_tokens_are_404_without_details(client, token, invitation):
    for tail in ("", "seite/P1/", "pruefen/", "danke/", "gespeichert/"):
        response = client.get(f"/s/{token}/{tail}")
        assert response.status_code == 404, (token, tail)
        html = response.content.decode()
        assert "Diese Seite gibt es nicht" in html
        assert invitation.survey.title not in html


def test_post_to_bad_token_is_404(client, invitation):
    response = client.post("/s/unbekanntertokenunbekannterto/seite/P1/", {"A1_bereich": "1"})
    assert response.status_code == 404
    assert not Answer.objects.exists()
