"""The respondent's path through the KGSt questionnaire with Django's test client."""

import pytest

from responses.models import Answer, Response

from .helpers import Flow, location

pytestmark = pytest.mark.django_db

USER = [
    ("P1", {"A1_bereich": "6", "A1_bereich_6_text": "Digitalisierung", "A2_beschaeftigte": "850"}),
    ("P2", {"B1_nutzung": "1", "B2_zweck": ["1", "2"], "B3_dauer": "3"}),
    ("P3", {"C1_1": "1", "C1_2": "2", "C1_3": "3", "C1_4": "1", "C1_5": "2", "C1_6": "1", "C2_ziele_intern": "3"}),
    ("P4", {"D1_extern": ["1", "3", "7"], "D1_extern_7_text": "Mastodon", "D2_ziele_extern": "2",
            "D3_reaktionszeit_festgelegt": "1", "D4_reaktionszeit": "1"}),
    ("P5", {"E1_strategie": "1", "E2_richtlinie": "2", "E3_monitoring": "3"}),
    ("P6", {"F1_hemmnisse": ["2", "3", "7"], "F1_hemmnisse_7_text": "Schulungen <b>fehlen</b>"}),
    ("P7", {"G1_ausbau": ["1", "2"]}),
    ("P8", {"H1_anmerkungen": "Danke.\nZweite Zeile.", "H2_ergebnisse": "1", "H3_email": "digital@example.org"}),
]
NON_USER = [
    ("P1", {"A1_bereich": "2", "A2_beschaeftigte": "120"}),
    ("P2", {"B1_nutzung": "2"}),
    ("P6", {"F1_hemmnisse": ["8"]}),
    ("P7", {"G2_einfuehrung": "1"}),
    ("P8", {"H2_ergebnisse": "2"}),
]


def expected(pages) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for _code, answers in pages:
        for name, value in answers.items():
            rows[name] = sorted(value) if isinstance(value, list) else [value]
    return rows


def walk(flow: Flow, pages, upto: int | None = None) -> None:
    """Answer pages[:upto] with "Weiter", checking every redirect against the full branch."""
    # A new respondent's link opens the welcome page, whose "Befragung beginnen" leads to the first page.
    welcome = location(flow.open())
    assert welcome.endswith(flow.url("willkommen/"))
    assert f'href="{flow.page_url(pages[0][0])}"' in flow.client.get(welcome).content.decode()
    for index, (code, answers) in enumerate(pages[:upto]):
        target = location(flow.weiter(code, answers))
        following = pages[index + 1][0] if index + 1 < len(pages) else None
        assert target == (flow.page_url(following) if following else flow.url("pruefen/")), (code, target)


def test_user_branch_end_to_end(flow):
    walk(flow, USER)
    review = flow.review().content.decode()
    for label in ("Sonstiges: Digitalisierung", "Soziale Netzwerke (z. B. Facebook, Google+)", "Sonstige: Mastodon",
                  "digital@example.org", "Schulungen &lt;b&gt;fehlen&lt;/b&gt;", "850"):
        assert label in review
    for code, _answers in USER:
        assert f'href="{flow.page_url(code)}"' in review
    assert "Antworten absenden" in review
    assert location(flow.submit()) == flow.url("danke/")
    receipt = flow.client.get(flow.url("danke/"))
    assert receipt.status_code == 200
    assert "Vielen Dank" in receipt.content.decode() and "Mastodon" in receipt.content.decode()
    assert flow.stored() == expected(USER)
    response = flow.response()
    assert response.is_submitted and response.submitted_at is not None


def test_non_user_branch_skips_pages_three_to_five(flow):
    walk(flow, NON_USER)
    page7 = flow.get("P7").content.decode()
    assert 'name="G2_einfuehrung"' in page7 and 'name="G1_ausbau"' not in page7
    assert "Seite 4 von 5" in page7
    for hidden in ("P3", "P4", "P5"):  # hidden pages redirect to where the respondent is
        assert flow.get(hidden).status_code == 302
    assert location(flow.submit()) == flow.url("danke/")
    assert flow.stored() == expected(NON_USER)


def test_progress_counts_visible_pages(flow):
    walk(flow, USER, 3)
    assert "Seite 3 von 8" in flow.get("P3").content.decode()
    assert "Seite 8 von 8" in flow.get("P8").content.decode()


def test_resume_where_left_off_in_a_new_client(flow, invitation, client_factory):
    walk(flow, USER, 2)
    other = Flow(client_factory(), invitation)
    assert location(other.open()).endswith("/seite/P3/")
    html = other.get("P2").content.decode()
    for input_id in ("id_B1_nutzung_1", "id_B2_zweck_1", "id_B2_zweck_2", "id_B3_dauer_3"):
        assert f'id="{input_id}" value="{input_id[-1]}" checked' in html


def test_first_open_creates_response_and_marks_invitation(flow, invitation):
    assert invitation.first_opened_at is None
    flow.open()
    invitation.refresh_from_db()
    assert invitation.first_opened_at is not None
    assert Response.objects.filter(invitation=invitation).count() == 1
    flow.open()
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_back_saves_without_required_and_goes_back(flow):
    walk(flow, USER, 1)
    assert location(flow.post("P2", {"B3_dauer": "2"}, "zurueck")).endswith("/seite/P1/")
    assert "B3_dauer" not in flow.stored()  # hidden while B1_nutzung is unanswered
    assert "B1_nutzung" not in flow.stored()


def test_back_keeps_a_visible_answer(flow):
    walk(flow, USER, 1)
    assert location(flow.post("P2", {"B1_nutzung": "2"}, "zurueck")).endswith("/seite/P1/")
    assert flow.stored()["B1_nutzung"] == ["2"]


def test_weiter_enforces_required(flow):
    walk(flow, USER, 1)
    response = flow.weiter("P2", {})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html and 'href="#id_B1_nutzung_1"' in html
    assert "Bitte wählen Sie eine Antwort." in html


def test_save_for_later(flow):
    walk(flow, USER, 2)
    assert location(flow.post("P3", {"C1_1": "2"}, "speichern")) == flow.url("gespeichert/")
    saved = flow.client.get(flow.url("gespeichert/")).content.decode()
    assert flow.invitation.access_code_display in saved
    assert location(flow.open()).endswith("/seite/P3/")
    assert flow.stored()["C1_1"] == ["2"]


def test_missing_aktion_means_weiter(flow):
    walk(flow, USER, 1)
    assert location(flow.post("P2", {"B1_nutzung": "2"}, aktion=None)).endswith("/seite/P6/")


def test_hidden_answers_dropped_at_submission(flow):
    walk(flow, USER)
    # Change B2 to "external only": the internal page P3 is now hidden, its answers still stored ...
    assert location(flow.weiter("P2", {"B1_nutzung": "1", "B2_zweck": ["2"], "B3_dauer": "3"})).endswith("/seite/P4/")
    assert "C1_1" in flow.stored() and "C2_ziele_intern" in flow.stored()
    review = flow.review().content.decode()
    assert "Interne Nutzung" not in review
    # ... and gone once submitted.
    assert location(flow.submit()) == flow.url("danke/")
    stored = flow.stored()
    assert not {name for name in stored if name.startswith("C")}
    assert stored["D1_extern"] == ["1", "3", "7"]


def test_answers_on_the_same_page_hidden_by_current_answers_are_not_stored(flow):
    walk(flow, USER, 1)
    flow.weiter("P2", {"B1_nutzung": "2", "B2_zweck": ["1"], "B3_dauer": "1"})
    assert flow.stored().keys() == {"A1_bereich", "A1_bereich_6_text", "A2_beschaeftigte", "B1_nutzung"}


def test_other_text_only_kept_with_its_option(flow):
    flow.open()
    flow.weiter("P1", {"A1_bereich": "2", "A1_bereich_6_text": "ignoriert"})
    assert "A1_bereich_6_text" not in flow.stored()


def test_submit_with_missing_required_sends_back_to_the_page(flow):
    walk(flow, USER, 7)
    flow.post("P8", {"H2_ergebnisse": "1"}, "speichern")  # H3_email is required when H2 = 1
    review = flow.review().content.decode()
    assert "Pflichtangabe fehlt" in review
    target = location(flow.submit())
    assert target == flow.page_url("P8") + "?pruefen=1"
    page = flow.client.get(target).content.decode()
    assert "Bitte geben Sie eine E-Mail-Adresse an." in page and 'id="error-summary"' in page
    assert not flow.response().is_submitted


def test_submit_without_any_answer_sends_to_first_required(flow):
    flow.open()
    assert location(flow.submit()) == flow.page_url("P2") + "?pruefen=1"


def test_double_submit_is_harmless_and_read_only_afterwards(flow):
    walk(flow, NON_USER)
    assert location(flow.submit()) == flow.url("danke/")
    submitted_at = flow.response().submitted_at
    before = flow.stored()
    assert location(flow.submit()) == flow.url("danke/")
    assert flow.response().submitted_at == submitted_at
    # Page posts change nothing and lead to the receipt.
    response = flow.client.post(flow.page_url("P1"), {"A1_bereich": "5", "_version": "9", "aktion": "weiter"})
    assert location(response) == flow.url("danke/")
    assert flow.client.get(flow.page_url("P1")).status_code == 302
    assert location(flow.open()) == flow.url("danke/")
    assert location(flow.review()) == flow.url("danke/")
    assert flow.stored() == before
    receipt = flow.client.get(flow.url("danke/")).content.decode()
    assert "bereits abgeschickt" in receipt


def test_receipt_before_submission_redirects(flow):
    flow.open()
    assert location(flow.client.get(flow.url("danke/"))) == flow.url()


def test_unknown_page_code_is_404(flow):
    flow.open()
    assert flow.client.get(flow.url("seite/P99/")).status_code == 404


def test_answer_rows_reference_their_question(flow):
    walk(flow, USER, 2)
    for answer in Answer.objects.select_related("question"):
        assert answer.question.code == answer.variable or answer.variable.startswith(answer.question.code)


def test_english_interface(flow, client):
    client.cookies["django_language"] = "en"
    flow.open()
    html = flow.get("P1").content.decode()
    assert '<html lang="en">' in html
    # 8: the pages that can still come (P3–P5 depend on B1_nutzung, not answered yet; surveys/progress.py)
    assert "Page 1 of 8" in html and ">Next</button>" in html and "Save and continue later" in html
    assert 'lang="de">In welchem Bereich' in html  # the questionnaire itself stays German, marked as such
    errors = flow.weiter("P1", {"A2_beschaeftigte": "viele"}).content.decode()
    assert "Please enter a whole number" in errors
