"""Reading answers in the staff area: free texts per question, a single response with its history,
and reopening a submitted response (staff only, with a reason)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from exports.staff.common import data_version
from exports.staff.freetexts import FREE_TEXTS_PER_PAGE
from responses.models import Answer, Response, ResponseEvent
from responses.signals import answers_changed
from tests.responses.helpers import Flow, location
from tests.responses.test_flow import NON_USER, USER, walk

pytestmark = pytest.mark.django_db


def respond(invitation, pages, submit: bool = True) -> Flow:
    """A real respondent walk through the test client (its own client: its own session)."""
    flow = Flow(Client(), invitation)
    walk(flow, pages)
    if submit:
        assert location(flow.submit()) == flow.url("danke/")
    return flow


def stored_response(survey, invitation, answers: dict[str, str], status: str = "submitted") -> Response:
    """A response written directly (for numbers and for stale answers a walk cannot leave behind)."""
    from django.utils import timezone

    response = Response.objects.create(survey=survey, invitation=invitation, status=status,
                                       submitted_at=timezone.now() if status == "submitted" else None)
    for variable, value in answers.items():
        question = survey.questions.get(code=variable.split("_text")[0].rsplit("_", 1)[0]
                                        if variable.endswith("_text") else variable)
        Answer.objects.create(response=response, question=question, variable=variable, value=value)
    return response


def free_text_url(survey, variable: str, **params) -> str:
    from urllib.parse import urlencode

    url = reverse("staff:free_text_question", args=[survey.slug, variable])
    return url + ("?" + urlencode(params) if params else "")


def listed_names(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"<[^>]+>", "", m).strip() for m in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', body, re.S)]


# --- free texts ------------------------------------------------------------------------------------------


def test_overview_lists_every_free_text_variable_with_the_results_count(analyst_client, kgst_survey,
                                                                         make_invitation):
    respond(make_invitation(kgst_survey, name="Stadt Nutzer"), USER)
    respond(make_invitation(kgst_survey, name="Gemeinde Ohne"), NON_USER)
    respond(make_invitation(kgst_survey, name="Dorf Halbfertig"), USER, submit=False)
    page = analyst_client.get(reverse("staff:free_texts", args=[kgst_survey.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    rows = dict(re.findall(r"<code>(\w+)</code>.*?<td class=\"text-end\">(\d+)</td>", html, re.S))
    assert rows == {"A1_bereich_6_text": "1", "D1_extern_7_text": "1", "F1_hemmnisse_7_text": "1",
                    "H1_anmerkungen": "1"}
    assert free_text_url(kgst_survey, "H1_anmerkungen") in html
    partial = analyst_client.get(reverse("staff:free_texts", args=[kgst_survey.slug]) + "?teilantworten=1")
    rows = dict(re.findall(r"<code>(\w+)</code>.*?<td class=\"text-end\">(\d+)</td>", partial.content.decode(), re.S))
    assert rows["H1_anmerkungen"] == "2" and rows["A1_bereich_6_text"] == "2"
    # the results area links to it
    results = analyst_client.get(reverse("staff:results", args=[kgst_survey.slug])).content.decode()
    assert reverse("staff:free_texts", args=[kgst_survey.slug]) in results


def test_question_page_lists_answers_with_the_municipality(analyst_client, kgst_survey, make_invitation):
    flow = respond(make_invitation(kgst_survey, ags="05315000", name="Stadt Köln", land="Nordrhein-Westfalen"), USER)
    respond(make_invitation(kgst_survey, name="Dorf Halbfertig"), USER, submit=False)
    html = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen")).content.decode()
    assert listed_names(html) == ["Stadt Köln"]
    assert "05315000" in html and "Nordrhein-Westfalen" in html
    assert "Danke.<br>Zweite Zeile." in html
    assert reverse("staff:response_detail", args=[kgst_survey.slug, flow.response().pk]) in html
    other = analyst_client.get(free_text_url(kgst_survey, "F1_hemmnisse_7_text")).content.decode()
    assert "Schulungen &lt;b&gt;fehlen&lt;/b&gt;" in other  # escaped, never markup
    with_partial = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", teilantworten="1"))
    assert sorted(listed_names(with_partial.content.decode())) == ["Dorf Halbfertig begonnen", "Stadt Köln"]


def test_paging_and_case_insensitive_search(analyst_client, kgst_survey, make_invitation):
    total = FREE_TEXTS_PER_PAGE + 7
    for n in range(total):
        invitation = make_invitation(kgst_survey, name=f"Gemeinde {n:02d}")
        stored_response(kgst_survey, invitation, {"H1_anmerkungen": f"Anmerkung Nummer {n:02d}"
                                                  + (" mit BREITBAND" if n % 10 == 3 else "")})
    first = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen")).content.decode()
    assert len(listed_names(first)) == FREE_TEXTS_PER_PAGE
    assert f"{total} Antworten." in first and "seite=2" in first
    second = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", seite="2")).content.decode()
    assert listed_names(second) == [f"Gemeinde {n:02d}" for n in range(FREE_TEXTS_PER_PAGE, total)]
    found = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", q="breitband")).content.decode()
    assert listed_names(found) == ["Gemeinde 03", "Gemeinde 13", "Gemeinde 23"]
    assert "3 Antworten mit „breitband“." in found
    by_name = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", q="GEMEINDE 3")).content.decode()
    assert listed_names(by_name) == ["Gemeinde 30", "Gemeinde 31"]
    none = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", q="%_")).content.decode()
    assert listed_names(none) == []  # a substring, never a LIKE pattern
    out_of_range = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", seite="99"))
    assert out_of_range.status_code == 200 and len(listed_names(out_of_range.content.decode())) == total - 25
    too_long = analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen", q="x" * 300))
    assert too_long.status_code == 400 and "höchstens 200 Zeichen" in too_long.content.decode()


def test_a_hidden_questions_stale_answer_is_not_listed(analyst_client, kgst_survey, make_invitation):
    from exports.analysis import aggregation

    # Non-user (B1_nutzung = 2): P4 is hidden, so a left-over D1 "other" text must not appear.
    stale = stored_response(kgst_survey, make_invitation(kgst_survey, name="Gemeinde Veraltet"),
                            {"B1_nutzung": "2", "D1_extern": "7", "D1_extern_7_text": "alter Text"})
    shown = stored_response(kgst_survey, make_invitation(kgst_survey, name="Gemeinde Gezeigt"),
                            {"B1_nutzung": "1", "B2_zweck": "2", "D1_extern": "7", "D1_extern_7_text": "neuer Text"})
    html = analyst_client.get(free_text_url(kgst_survey, "D1_extern_7_text")).content.decode()
    assert listed_names(html) == ["Gemeinde Gezeigt"] and "alter Text" not in html
    overview = analyst_client.get(reverse("staff:free_texts", args=[kgst_survey.slug])).content.decode()
    assert re.search(r"<code>D1_extern_7_text</code>.*?<td class=\"text-end\">1</td>", overview, re.S)
    # the same rule as the result tables
    d1 = next(t for t in aggregation.compute_tables(kgst_survey)["questions"] if t["code"] == "D1_extern")
    assert d1["other_texts"] == {"D1_extern_7_text": 1}
    # the single response still shows the stale answer, apart, as not counted
    page = analyst_client.get(reverse("staff:response_detail", args=[kgst_survey.slug, stale.pk])).content.decode()
    assert "Gespeichert, aber nicht gezeigt" in page and "alter Text" in page
    assert "Gespeichert, aber nicht gezeigt" not in analyst_client.get(
        reverse("staff:response_detail", args=[kgst_survey.slug, shown.pk])).content.decode()


def test_unknown_or_non_text_variable_is_404(analyst_client, kgst_survey):
    for variable in ("gibt_es_nicht", "B1_nutzung", "H3_email"):
        assert analyst_client.get(free_text_url(kgst_survey, variable)).status_code == 404, variable


# --- a single response and its history ------------------------------------------------------------------


def test_history_of_a_real_walk_and_the_answers_as_labels(analyst_client, kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey, name="Stadt Nutzer")
    flow = Flow(Client(), invitation)
    walk(flow, USER, upto=2)
    assert location(flow.post("P3", {}, "zurueck")) == flow.page_url("P2")  # nothing typed: no save recorded
    for code, answers in USER[2:]:
        flow.weiter(code, answers)
    assert location(flow.submit()) == flow.url("danke/")
    response = flow.response()
    events = list(response.events.values_list("kind", "page_code"))
    assert events == ([("opened", "")] + [("saved", code) for code, _a in USER] + [("submitted", "")])
    times = list(response.events.values_list("at", flat=True))
    assert times == sorted(times) and times[-1] == response.submitted_at
    html = analyst_client.get(reverse("staff:response_detail", args=[kgst_survey.slug, response.pk])).content.decode()
    history = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert history.count("Seite gespeichert") == len(USER)
    assert "P4 – " in history and "Abgeschickt" in history and "Geöffnet" in history
    assert "abgeleitet" not in history
    for label in ("Sonstiges: Digitalisierung", "Soziale Netzwerke (z. B. Facebook, Google+)", "Sonstige: Mastodon",
                  "Danke.<br>Zweite Zeile.", "digital@example.org", "850"):
        assert label in html, label
    assert html.index('id="page-P1"') < html.index('id="page-P4"') < html.index('id="page-P8"')
    assert "Antwort wieder öffnen" not in html  # analysts read only


def test_an_old_response_without_events_shows_what_can_be_derived(analyst_client, kgst_survey, make_invitation):
    response = stored_response(kgst_survey, make_invitation(kgst_survey), {"H1_anmerkungen": "alt"})
    Response.objects.filter(pk=response.pk).update(page_versions={"P8": 1})
    html = analyst_client.get(reverse("staff:response_detail", args=[kgst_survey.slug, response.pk])).content.decode()
    history = html.split('id="history"', 1)[1].split("</table>", 1)[0]
    assert history.count("(abgeleitet)") == 3
    assert "Zuletzt gespeichert" in history and "Abgeschickt" in history


def test_response_of_another_survey_is_404(analyst_client, kgst_survey, make_invitation):
    response = stored_response(kgst_survey, make_invitation(kgst_survey), {"H1_anmerkungen": "x"})
    from tests.staff.conftest import make_survey

    other = make_survey(slug="andere")
    assert analyst_client.get(reverse("staff:response_detail", args=[other.slug, response.pk])).status_code == 404


def test_member_page_links_to_the_response(staff_client, kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey, ags="05315000")
    response = stored_response(kgst_survey, invitation, {"H1_anmerkungen": "x"})
    html = staff_client.get(reverse("staff:member_detail", args=[kgst_survey.slug, "05315000"])).content.decode()
    assert reverse("staff:response_detail", args=[kgst_survey.slug, response.pk]) in html


# --- reopening ------------------------------------------------------------------------------------------


def test_reopen_needs_a_reason(staff_client, kgst_survey, make_invitation):
    flow = respond(make_invitation(kgst_survey), NON_USER)
    response = flow.response()
    url = reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk])
    for data in ({}, {"reason": "   "}):
        refused = staff_client.post(url, data)
        assert refused.status_code == 400
        assert "Bitte geben Sie einen Grund für das Wiederöffnen an." in refused.content.decode()
    response.refresh_from_db()
    assert response.is_submitted and not response.events.filter(kind="reopened").exists()


def test_reopen_with_a_reason_lets_the_link_work_again_and_is_logged(staff_client, staff_user, kgst_survey,
                                                                     make_invitation,
                                                                     django_capture_on_commit_callbacks):
    flow = respond(make_invitation(kgst_survey), NON_USER)
    response = flow.response()
    submitted_at = response.submitted_at
    version_before = data_version(kgst_survey)
    detail = reverse("staff:response_detail", args=[kgst_survey.slug, response.pk])
    assert "Antwort wieder öffnen" in staff_client.get(detail).content.decode()
    heard = []

    def listener(sender, survey_id, **kwargs):
        heard.append(survey_id)

    answers_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            done = staff_client.post(reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk]),
                                     {"reason": "Anruf der Kommune: Seite 2 wird korrigiert."})
    finally:
        answers_changed.disconnect(listener)
    assert heard == [kgst_survey.pk]  # the results' recomputation hears of it, as after a page save
    assert location(done) == detail
    response.refresh_from_db()
    assert response.status == "started" and response.submitted_at is None
    assert data_version(kgst_survey) != version_before  # results see a change, as after a page save
    event = response.events.get(kind="reopened")
    assert event.by == staff_user and event.reason == "Anruf der Kommune: Seite 2 wird korrigiert."
    assert response.events.get(kind="submitted").at == submitted_at
    page = staff_client.get(detail).content.decode()
    assert "Wieder geöffnet" in page and "Anruf der Kommune: Seite 2 wird korrigiert." in page and "staff" in page
    assert "Antwort wieder öffnen" not in page  # not submitted any more
    # the personal link leads to the review page again; the member changes an answer and submits again
    assert location(flow.open()) == flow.url("pruefen/")
    assert location(flow.weiter("P8", {"H2_ergebnisse": "2", "H1_anmerkungen": "Nachtrag"})) == flow.url("pruefen/")
    assert location(flow.submit()) == flow.url("danke/")
    response.refresh_from_db()
    assert response.is_submitted
    assert list(response.events.values_list("kind", flat=True))[-3:] == ["reopened", "saved", "submitted"]
    # reopening what is not submitted (a second click, another colleague first) changes nothing
    Response.objects.filter(pk=response.pk).update(status="started")
    again = staff_client.post(reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk]), {"reason": "x"},
                              follow=True)
    assert "nichts wieder zu öffnen" in again.content.decode()
    assert response.events.filter(kind="reopened").count() == 1


def test_reopening_an_old_response_keeps_its_submission_in_the_history(staff_client, kgst_survey, make_invitation):
    response = stored_response(kgst_survey, make_invitation(kgst_survey), {"H1_anmerkungen": "alt"})
    submitted_at = response.submitted_at
    staff_client.post(reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk]), {"reason": "Bitte"})
    assert list(response.events.values_list("kind", "at"))[:1] == [("submitted", submitted_at)]


def test_analysts_read_but_cannot_reopen(analyst_client, kgst_survey, make_invitation):
    flow = respond(make_invitation(kgst_survey), NON_USER)
    response = flow.response()
    assert analyst_client.get(reverse("staff:free_texts", args=[kgst_survey.slug])).status_code == 200
    assert analyst_client.get(free_text_url(kgst_survey, "H1_anmerkungen")).status_code == 200
    page = analyst_client.get(reverse("staff:response_detail", args=[kgst_survey.slug, response.pk]))
    assert page.status_code == 200 and "Antwort wieder öffnen" not in page.content.decode()
    refused = analyst_client.post(reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk]),
                                  {"reason": "Ich darf das nicht"})
    assert refused.status_code == 403
    response.refresh_from_db()
    assert response.is_submitted and not ResponseEvent.objects.filter(kind="reopened").exists()


def test_no_role_and_anonymous_see_nothing(client, kgst_survey, make_invitation):
    from django.contrib.auth.models import User

    response = stored_response(kgst_survey, make_invitation(kgst_survey), {"H1_anmerkungen": "geheim"})
    urls = [reverse("staff:free_texts", args=[kgst_survey.slug]), free_text_url(kgst_survey, "H1_anmerkungen"),
            reverse("staff:response_detail", args=[kgst_survey.slug, response.pk])]
    for url in urls:
        assert client.get(url)["Location"].startswith("/staff/login/")
    client.force_login(User.objects.create_user("niemand", "n@example.org", "x"))
    for url in urls:
        assert client.get(url).status_code == 403
    assert client.post(reverse("staff:response_reopen", args=[kgst_survey.slug, response.pk]),
                       {"reason": "x"}).status_code == 403
