"""Survey states, conflicts, concurrent first opens, rate limits, query budget and privacy."""

import threading

import pytest
from django.apps import apps
from django.db import connection, connections, models
from django.test import Client
from django.test.utils import CaptureQueriesContext

from responses.models import Answer, Response
from responses.respondent import services

from .helpers import Flow, location
from .test_flow import NON_USER, USER, walk

pytestmark = pytest.mark.django_db


# -- survey states ---------------------------------------------------------------------


def test_closed_survey_shows_a_friendly_page_and_saves_nothing(flow, kgst_survey):
    walk(flow, USER, 1)
    version = flow.version("P2")
    kgst_survey.close()
    page = flow.get("P2")
    assert page.status_code == 200 and "Die Befragung ist beendet" in page.content.decode()
    response = flow.client.post(flow.page_url("P2"), {"B1_nutzung": "1", "_version": version, "aktion": "weiter"})
    assert "Die Befragung ist beendet" in response.content.decode()
    assert flow.client.post(flow.url("pruefen/"), {"aktion": "absenden"}).status_code == 200
    assert "B1_nutzung" not in flow.stored()
    assert not flow.response().is_submitted


def test_receipt_stays_readable_after_closing(flow, kgst_survey):
    walk(flow, NON_USER)
    flow.submit()
    kgst_survey.close()
    assert "Vielen Dank" in flow.client.get(flow.url("danke/")).content.decode()


def test_draft_survey_is_not_open_for_respondents(flow, kgst_survey):
    kgst_survey.status = "draft"
    kgst_survey.save()
    response = flow.open()
    assert response.status_code == 200 and "noch nicht geöffnet" in response.content.decode()
    assert not Response.objects.exists()


def test_draft_survey_preview_for_staff(staff_client, invitation, kgst_survey):
    kgst_survey.status = "draft"
    kgst_survey.save()
    flow = Flow(staff_client, invitation)
    assert location(flow.open()).endswith("/seite/P1/")
    html = staff_client.get(flow.page_url("P1"), follow=True).content.decode()  # on to the staff preview
    assert "Vorschau" in html
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None  # staff looking is not the member opening it


def test_draft_preview_needs_the_manage_permission(analyst_client, invitation, kgst_survey):
    kgst_survey.status = "draft"
    kgst_survey.save()
    assert "noch nicht geöffnet" in Flow(analyst_client, invitation).open().content.decode()


# -- two people on one link -------------------------------------------------------------


def test_conflict_is_reported_and_nothing_overwritten(flow, invitation, client_factory):
    flow.open()
    other = Flow(client_factory(), invitation)
    version_a = flow.version("P1")
    version_b = other.version("P1")
    assert version_a == version_b == "0"
    assert location(flow.post("P1", {"A1_bereich": "2", "A2_beschaeftigte": "300"}, version=version_a))
    response = other.post("P1", {"A1_bereich": "5", "A2_beschaeftigte": "301"}, version=version_b)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Diese Seite wurde inzwischen von jemand anderem geändert" in html
    assert 'value="300"' in html  # the other person's current answers ...
    assert "301" in html  # ... and what this person typed, listed so it is not lost
    assert 'name="_version" value="1"' in html
    assert flow.stored() == {"A1_bereich": ["2"], "A2_beschaeftigte": ["300"]}
    # Saving deliberately from the fresh page works.
    assert location(other.post("P1", {"A1_bereich": "5", "A2_beschaeftigte": "301"}, version="1"))
    assert flow.stored() == {"A1_bereich": ["5"], "A2_beschaeftigte": ["301"]}


def test_stale_version_with_identical_answers_is_no_conflict(flow, invitation, client_factory):
    flow.open()
    other = Flow(client_factory(), invitation)
    flow.post("P1", {"A1_bereich": "2"}, version="0")
    assert location(other.post("P1", {"A1_bereich": "2"}, version="0")).endswith("/seite/P2/")


def test_unchanged_page_keeps_its_version(flow):
    flow.open()
    flow.weiter("P1", {"A1_bereich": "2"})
    flow.weiter("P1", {"A1_bereich": "2"})
    assert flow.response().page_versions == {"P1": 1}


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_opens_create_one_response(kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey)
    barrier = threading.Barrier(6)
    results, errors = [], []

    def open_link():
        try:
            barrier.wait()
            results.append(Client().get(f"/s/{invitation.token}/").status_code)
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_link) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and results == [302] * 6
    assert Response.objects.filter(invitation=invitation).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_saves_exactly_one_wins(kgst_survey, make_invitation):
    invitation = make_invitation(kgst_survey)
    Client().get(f"/s/{invitation.token}/")
    barrier = threading.Barrier(2)
    outcomes = {}

    def save(number):
        try:
            client = Client()
            barrier.wait()
            response = client.post(f"/s/{invitation.token}/seite/P1/",
                                   {"A2_beschaeftigte": number, "_version": "0", "aktion": "weiter"})
            outcomes[number] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(n,)) for n in ("11", "22")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values()) == [200, 302]
    winner = next(n for n, status in outcomes.items() if status == 302)
    assert list(Answer.objects.values_list("value", flat=True)) == [winner]


# -- rate limit and access code -------------------------------------------------------------


def test_wrong_tokens_are_rate_limited_per_client(client, invitation, settings):
    settings.TOKEN_RATELIMIT = "20/10m"
    for attempt in range(20):
        assert client.get(f"/s/falscher-token-nummer-{attempt:04d}/").status_code == 404
    response = client.get("/s/falscher-token-nummer-9999/")
    assert response.status_code == 429 and "Zu viele Versuche" in response.content.decode()
    assert response["Retry-After"]
    # Issue L: while limited, a right token or code still opens (a shared address must not lock out a Land).
    assert client.get(f"/s/{invitation.token}/").status_code == 302
    assert client.post("/s/", {"code": invitation.access_code}).status_code == 302
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get(f"/s/{invitation.token}/").status_code == 302


def test_a_block_set_by_another_process_holds_at_once(client, invitation, settings):
    """Another gunicorn process used up this client's allowance: the shared counter blocks here too."""
    from django.test import RequestFactory

    from invitations import ratelimit

    settings.TOKEN_RATELIMIT = "3/10m"
    assert client.get(f"/s/{invitation.token}/").status_code == 302
    other_process = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")  # the same client address
    assert [ratelimit.record_miss(other_process) for _ in range(4)] == [False, False, False, True]
    assert client.get("/s/falscher-token-nummer-0001/").status_code == 429
    assert client.get(f"/s/{invitation.token}/").status_code == 302  # issue L: a valid link still opens


def test_wrong_access_codes_count_too(client, invitation, settings):
    settings.TOKEN_RATELIMIT = "3/10m"
    for _ in range(3):
        response = client.post("/s/", {"code": "ABCDE-FGHJK-MNPQR-STVWX-YZ012-3"})
        assert response.status_code == 200
        assert "keine Befragung gefunden" in response.content.decode()
    assert client.post("/s/", {"code": "ABCDE"}).status_code == 429


def test_access_code_entry(client, invitation):
    assert 'name="code"' in client.get("/s/").content.decode()
    typed = " " + invitation.access_code_display.lower() + " "
    assert location(client.post("/s/", {"code": typed})) == f"/s/{invitation.token}/"
    empty = client.post("/s/", {"code": "  "})
    assert "Bitte geben Sie den Zugangscode" in empty.content.decode()


def test_missing_csrf_token_gives_a_german_page(invitation):
    client = Client(enforce_csrf_checks=True)
    client.get(f"/s/{invitation.token}/")
    response = client.post(f"/s/{invitation.token}/seite/P1/", {"A1_bereich": "1", "_version": "0"})
    assert response.status_code == 403
    assert "Das Formular konnte nicht angenommen werden" in response.content.decode()


# -- performance and privacy ------------------------------------------------------------


def test_page_save_uses_a_bounded_number_of_queries(flow):
    walk(flow, USER, 3)
    version = flow.version("P4")
    data = {**USER[3][1], "_version": version, "aktion": "weiter"}
    with CaptureQueriesContext(connection) as save:
        assert location(flow.client.post(flow.page_url("P4"), data)).endswith("/seite/P5/")
    with CaptureQueriesContext(connection) as get:
        assert flow.get("P5").status_code == 200
    # lookup, (savepoint), lock, answers, delete, insert, update, (release): independent of question count
    assert len(save) <= 8, [q["sql"][:80] for q in save.captured_queries]
    assert len(get) <= 3, [q["sql"][:80] for q in get.captured_queries]


def test_no_client_address_is_stored_anywhere(client_factory, invitation):
    address = "203.0.113.77"
    flow = Flow(client_factory(REMOTE_ADDR=address, HTTP_X_FORWARDED_FOR=address, HTTP_USER_AGENT="Agent-77"),
                invitation)
    walk(flow, NON_USER)
    flow.submit()
    flow.client.get("/s/falscher-token-nummer-0001/")
    checked = 0
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.GenericIPAddressField):
                # The audit trail says from where a staff member acted (issue L); a respondent is never in it.
                if (model._meta.label, field.name) == ("accounts.AuditEvent", "address"):
                    assert not model.objects.filter(address=address).exists()
                    continue
                pytest.fail(f"{model.__name__}.{field.name} is an IP address field")
            if isinstance(field, (models.CharField, models.TextField, models.JSONField)) and field.concrete:
                lookup = f"{field.name}__icontains" if not isinstance(field, models.JSONField) else None
                if lookup:
                    for needle in (address, "Agent-77"):
                        assert not model.objects.filter(**{lookup: needle}).exists(), (model, field.name)
                    checked += 1
    assert checked > 20


def test_resume_target_with_unknown_current_page(flow):
    flow.open()
    response = flow.response()
    response.current_page = "GONE"
    response.save()
    assert location(flow.open()).endswith("/seite/P1/")
    assert services.REVIEW != "P1"


def test_wrong_opt_out_tokens_share_the_same_limit(client, invitation, settings):
    settings.TOKEN_RATELIMIT = "3/10m"
    for attempt in range(3):
        assert client.get(f"/abmelden/falscher-token-nummer-{attempt:04d}/").status_code == 404
    assert client.get("/abmelden/falscher-token-nummer-9999/").status_code == 429
    # The same client is now also held back on wrong personal links, not on its valid one (issue L).
    assert client.get("/s/falscher-token-nummer-0001/").status_code == 429
    assert client.get(f"/s/{invitation.token}/").status_code == 302


def test_a_blocked_address_is_throttled_per_valid_credential(client, invitation, settings):
    """Issue L: over the miss allowance, each valid token or code has its own allowance, and only then waits."""
    settings.TOKEN_RATELIMIT = "2/10m"
    settings.TOKEN_CREDENTIAL_RATELIMIT = "3/10m"
    for attempt in range(3):
        client.get(f"/s/falscher-token-nummer-{attempt:04d}/")
    assert client.get("/s/falscher-token-nummer-0009/").status_code == 429
    assert [client.get(f"/s/{invitation.token}/").status_code for _ in range(4)] == [302, 302, 302, 429]
    assert client.post("/s/", {"code": invitation.access_code}).status_code == 302  # its own allowance
    assert Client(REMOTE_ADDR="198.51.100.8").get(f"/s/{invitation.token}/").status_code == 302  # not blocked
