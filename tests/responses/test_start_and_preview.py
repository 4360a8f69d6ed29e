"""The respondent's start (welcome, privacy, printable) and the staff preview that stores nothing."""

from __future__ import annotations

import subprocess

import pytest
from django.urls import reverse

from invitations.models import Invitation
from responses.models import Answer, Response
from responses.preview.services import SESSION_KEY

from .helpers import location

pytestmark = pytest.mark.django_db


def test_a_new_respondents_link_opens_the_welcome_page(flow, invitation, kgst_survey):
    kgst_survey.estimated_minutes = 10
    kgst_survey.save()
    welcome_url = location(flow.open())
    assert welcome_url == flow.url("willkommen/")
    html = flow.client.get(welcome_url).content.decode()
    assert "<h1>Wie nutzen Kommunen Social Media?</h1>" in html
    assert "befragen die Mitgliedskommunen der KGSt" in html  # the welcome text
    assert "etwa 10 Minuten" in html and "Cassini Consulting (Berlin)" in html
    assert "Verantwortlich für die Verarbeitung Ihrer Angaben ist" in html
    assert f'href="{flow.url("datenschutz/")}"' in html and f'href="{flow.url("fragebogen/")}"' in html
    assert f'href="{flow.page_url("P1")}">Befragung beginnen</a>' in html


def test_head_and_the_welcome_page_create_no_response(flow, invitation):
    assert flow.client.head(flow.url()).status_code == 302
    for tail in ("willkommen/", "datenschutz/", "fragebogen/"):
        assert flow.client.get(flow.url(tail)).status_code == 200, tail
        assert flow.client.head(flow.url(tail)).status_code == 200, tail
    assert not Response.objects.exists()


def test_a_respondent_who_started_goes_straight_back(flow):
    flow.open()
    assert location(flow.weiter("P1", {"A1_bereich": "2", "A2_beschaeftigte": "120"})).endswith("/seite/P2/")
    assert location(flow.open()).endswith("/seite/P2/")
    assert "Befragung fortsetzen" in flow.client.get(flow.url("willkommen/")).content.decode()


def test_privacy_page_default_and_own_text(flow, kgst_survey):
    html = flow.client.get(flow.url("datenschutz/")).content.decode()
    for heading in ("Verantwortlich", "Zweck und Rechtsgrundlage", "Speicherdauer", "Ihre Rechte"):
        assert f"<h2 class=\"h5\">{heading}</h2>" in html
    kgst_survey.privacy_notice = "Verantwortlich ist die KGSt.\n\nSpeicherung: zwei Jahre."
    kgst_survey.save()
    own = flow.client.get(flow.url("datenschutz/")).content.decode()
    assert "Verantwortlich ist die KGSt." in own and "Speicherung: zwei Jahre." in own
    assert "Art. 77" not in own


def test_english_welcome_uses_the_english_texts(flow, client, kgst_survey):
    kgst_survey.title_en = "How do municipalities use social media?"
    kgst_survey.intro_en = "KGSt asks its members."
    kgst_survey.save()
    client.cookies["django_language"] = "en"
    html = client.get(flow.url("willkommen/")).content.decode()
    assert "<h1>How do municipalities use social media?</h1>" in html and "KGSt asks its members." in html
    assert "Start the survey" in html


def test_printable_questionnaire_through_the_link(flow, tmp_path):
    html = flow.client.get(flow.url("fragebogen/")).content.decode()
    assert "[B1_nutzung]" in html and "Diese Seite: nur wenn B1_nutzung = „Ja“" in html
    assert "Befragung für: Gemeinde" in html
    pdf = flow.client.get(flow.url("fragebogen.pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    (tmp_path / "f.pdf").write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(tmp_path / "f.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Möchten Sie die Ergebnisse der Befragung erhalten?" in " ".join(text.split())


def test_draft_survey_start_pages_are_not_open_for_respondents(flow, kgst_survey):
    kgst_survey.status = "draft"
    kgst_survey.save()
    for tail in ("willkommen/", "datenschutz/", "fragebogen/", "fragebogen.pdf"):
        assert "noch nicht geöffnet" in flow.client.get(flow.url(tail)).content.decode(), tail


# --- staff preview ---------------------------------------------------------------------------


def _preview(slug: str, tail: str = "") -> str:
    return f"/staff/befragungen/{slug}/vorschau/{tail}"


def _counts() -> tuple[int, int, int]:
    return Response.objects.count(), Answer.objects.count(), Invitation.objects.count()


@pytest.mark.parametrize("status", ["draft", "open"])
def test_preview_walk_with_conditions_leaves_no_rows_behind(staff_client, kgst_survey, status):
    kgst_survey.status = status
    kgst_survey.save()
    slug = kgst_survey.slug
    before = _counts()
    start = staff_client.get(_preview(slug)).content.decode()
    assert "Befragung beginnen" in start and "Vorschau" in start
    p1 = staff_client.get(_preview(slug, "seite/P1/")).content.decode()
    assert 'name="A1_bereich"' in p1 and "Seite 1 von 8" in p1
    assert location(staff_client.post(_preview(slug, "seite/P1/"), {
        "A1_bereich": "2", "A2_beschaeftigte": "120", "aktion": "weiter"})).endswith("/vorschau/seite/P2/")
    missing = staff_client.post(_preview(slug, "seite/P2/"), {"aktion": "weiter"})  # the respondent's validation
    assert missing.status_code == 200 and "Bitte wählen Sie eine Antwort." in missing.content.decode()
    # the condition works on what the previewer entered: "Ja, intern" → P3 next
    assert location(staff_client.post(_preview(slug, "seite/P2/"), {
        "B1_nutzung": "1", "B2_zweck": ["1"], "B3_dauer": "2", "aktion": "weiter"})).endswith("/seite/P3/")
    assert "Seite 3 von 7" in staff_client.get(_preview(slug, "seite/P3/")).content.decode()
    # going back and answering "Nein" skips P3–P5
    assert location(staff_client.post(_preview(slug, "seite/P2/"), {
        "B1_nutzung": "2", "aktion": "weiter"})).endswith("/seite/P6/")
    assert location(staff_client.get(_preview(slug, "seite/P3/"))).endswith("/seite/P6/")
    for code, data in (("P6", {"F1_hemmnisse": ["8"]}), ("P7", {"G2_einfuehrung": "1"}),
                       ("P8", {"H2_ergebnisse": "2"})):
        staff_client.post(_preview(slug, f"seite/{code}/"), {**data, "aktion": "weiter"})
    review = staff_client.get(_preview(slug, "pruefen/")).content.decode()
    assert "Presse- und Öffentlichkeitsarbeit" in review and _preview(slug, "seite/P1/") in review
    done = staff_client.post(_preview(slug, "pruefen/"), {"aktion": "absenden"}).content.decode()
    assert "Ende der Vorschau" in done
    assert _counts() == before  # no Response, no Answer, no Invitation was created
    assert staff_client.session.get(SESSION_KEY, {}).get(str(kgst_survey.pk)) is None


def test_preview_reset_and_resume(staff_client, kgst_survey):
    slug = kgst_survey.slug
    staff_client.post(_preview(slug, "seite/P1/"), {"A1_bereich": "3", "aktion": "weiter"})
    assert "Vorschau fortsetzen" in staff_client.get(_preview(slug)).content.decode()
    assert 'value="3" checked' in staff_client.get(_preview(slug, "seite/P1/")).content.decode()
    assert location(staff_client.post(_preview(slug, "neu/"))) == _preview(slug)
    assert 'value="3" checked' not in staff_client.get(_preview(slug, "seite/P1/")).content.decode()
    assert not Response.objects.exists()


def test_staff_on_a_draft_member_link_gets_the_preview_and_stores_nothing(staff_client, invitation, kgst_survey):
    kgst_survey.status = "draft"
    kgst_survey.save()
    token = invitation.token
    assert location(staff_client.get(f"/s/{token}/")) == _preview(kgst_survey.slug, "seite/P1/")
    posted = staff_client.post(f"/s/{token}/seite/P1/", {"A1_bereich": "2", "aktion": "weiter"})
    assert location(posted) == _preview(kgst_survey.slug, "seite/P1/")
    assert not Response.objects.exists() and not Answer.objects.exists()
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None


def test_preview_is_staff_only(analyst_client, client_factory, kgst_survey):
    assert analyst_client.get(_preview(kgst_survey.slug)).status_code == 403
    assert analyst_client.post(_preview(kgst_survey.slug, "seite/P1/"), {"A1_bereich": "1"}).status_code == 403
    assert client_factory().get(_preview(kgst_survey.slug)).status_code == 302
    assert reverse("staff:preview_start", args=[kgst_survey.slug]) == _preview(kgst_survey.slug)
