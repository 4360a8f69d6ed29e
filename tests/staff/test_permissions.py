"""Permission matrix: every URL of the "staff" namespace × {anonymous, respondent, no role, analyst, staff}.

New views cannot slip through: the test walks the URL patterns themselves, and a URL name
that is not classified in ACCESS fails the test until someone decides who may use it.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse

from config import staff_urls

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout", "password_set", "password_set_done"}  # the last two: one-time link of `grant`
GET, POST, BOTH = {"GET"}, {"POST"}, {"GET", "POST"}

# name → (role needed, methods the view accepts). "analyst" = analysts and staff; "staff" = staff only.
ACCESS: dict[str, tuple[str, set[str]]] = {
    # surveys
    "home": ("analyst", GET),
    "survey_detail": ("analyst", GET),
    "survey_dates": ("staff", BOTH),
    "survey_branding": ("staff", BOTH),
    "survey_transition": ("staff", BOTH),
    # analysts read the texts; saving them (POST) is staff-only (tests/surveys/test_survey_texts.py)
    "survey_texts": ("analyst", GET),
    "survey_printable": ("analyst", GET),
    "survey_printable_pdf": ("analyst", GET),
    # staff preview (responses/preview/views.py)
    "preview_start": ("staff", GET),
    "preview_privacy": ("staff", GET),
    "preview_page": ("staff", BOTH),
    "preview_review": ("staff", BOTH),
    "preview_reset": ("staff", POST),
    # surveys: the questionnaire editor (analysts read it, staff change it)
    "editor": ("analyst", GET),
    "editor_history": ("analyst", GET),
    "editor_check": ("staff", GET),  # the live check of codes and conditions (JSON)
    "editor_page": ("analyst", GET),
    "editor_page_create": ("staff", BOTH),
    "editor_page_edit": ("staff", BOTH),
    "editor_page_move": ("staff", POST),
    "editor_page_delete": ("staff", BOTH),
    "editor_question_create": ("staff", BOTH),
    "editor_question": ("staff", BOTH),
    "editor_question_move": ("staff", POST),
    "editor_question_delete": ("staff", BOTH),
    "survey_create": ("staff", BOTH),
    "survey_copy": ("staff", BOTH),
    "definition_upload": ("staff", BOTH),
    "definition_preview": ("staff", BOTH),
    "definition_yaml": ("analyst", GET),
    "definition_xlsform": ("analyst", GET),
    # responses (dashboard, members)
    "dashboard": ("analyst", GET),
    "members": ("staff", GET),
    "member_detail": ("staff", GET),
    "nonresponders_csv": ("staff", GET),
    # a single response: analysts read it, only staff reopen it
    "response_detail": ("analyst", GET),
    "response_reopen": ("staff", POST),
    # invitations
    "register_upload": ("staff", BOTH),
    "register_preview": ("staff", BOTH),
    "register_template": ("staff", GET),
    "send_invitations": ("staff", BOTH),
    "send_reminders": ("staff", BOTH),
    "outbox": ("staff", GET),
    "outbox_status": ("staff", GET),
    "member_resend": ("staff", POST),
    "member_bounce": ("staff", BOTH),
    "survey_mail_texts": ("staff", BOTH),
    "outbox_message": ("staff", GET),
    "outbox_message_html": ("staff", GET),
    "reminder_plan": ("staff", BOTH),
    "local_mailbox": ("staff", GET),
    "local_mail": ("staff", GET),
    "local_mail_html": ("staff", GET),
    # exports (analysts run and download exports by design)
    "results": ("analyst", GET),
    "results_refresh": ("analyst", POST),
    "results_status": ("analyst", GET),
    "exports_status": ("analyst", GET),
    "export_status": ("analyst", GET),
    "crosstabs": ("analyst", GET),
    "representativeness": ("analyst", GET),
    "waves": ("analyst", GET),
    "report": ("analyst", GET),
    "min_base": ("staff", POST),
    "exports": ("analyst", GET),
    "export_create": ("analyst", POST),
    "export_detail": ("analyst", GET),
    "export_retry": ("analyst", POST),
    "export_download": ("analyst", GET),
    "free_texts": ("analyst", GET),
    "free_text_question": ("analyst", GET),
    # who has which role, and the audit trail: owners (accounts/roles.py)
    "survey_access": ("staff", BOTH),
    "survey_access_revoke": ("staff", POST),
    "access": ("staff", BOTH),
    "access_revoke": ("staff", POST),
    "survey_audit": ("staff", GET),
    "survey_audit_csv": ("staff", GET),
    # a person's own API keys (exports/api/staff.py); what a key may read: tests/api/
    "api_keys": ("analyst", BOTH),
    "api_key_revoke": ("analyst", POST),
}
# Analyst-readable pages that must render (200) for analysts, not just "not forbidden".
ANALYST_PAGES = {"home", "survey_detail", "dashboard", "results", "exports", "export_detail", "survey_texts",
                 "survey_printable", "survey_printable_pdf"}
ANALYST_PAGES = {"home", "survey_detail", "dashboard", "results", "exports", "export_detail", "editor",
                 "editor_history", "editor_page", "free_texts", "free_text_question", "response_detail"}
LOGIN = "/staff/login/"


def _flat(patterns) -> list[URLPattern]:
    """The staff URL conf includes each app's staff_urls under "": their patterns as they are."""
    found: list[URLPattern] = []
    for pattern in patterns:
        found.extend(_flat(pattern.url_patterns) if isinstance(pattern, URLResolver) else [pattern])
    return found


def staff_patterns() -> list[URLPattern]:
    return [p for p in _flat(staff_urls.urlpatterns) if p.name not in PUBLIC]


def sample_kwargs(pattern: URLPattern, sample) -> dict[str, object]:
    values = {"slug": sample.survey.slug, "ags": sample.member.ags, "action": "schliessen", "page_code": "P1",
              "key": "kein-gueltiger-schluessel", "pk": sample.export_job.pk, "fmt": "csv",
              "digest": "kein-gueltiger-schluessel",
              "page_id": sample.survey.pages.order_by("position")[0].pk,
              "question_id": sample.survey.questions.order_by("page__position", "position")[0].pk,
              "message_id": sample.message.pk, "mail_id": sample.local_mail.pk,
              "response_id": sample.response.pk, "variable": "H1_anmerkungen"}
    missing = set(pattern.pattern.converters) - set(values)
    assert not missing, f"URL {pattern.name!r}: add a sample value for {missing} in test_permissions.py"
    return {name: values[name] for name in pattern.pattern.converters}


def urls(sample) -> list[tuple[str, str, str, set[str]]]:
    """(name, url, role, methods) for every staff URL."""
    result = []
    for pattern in staff_patterns():
        role, methods = ACCESS[pattern.name]
        result.append((pattern.name, reverse(f"staff:{pattern.name}", kwargs=sample_kwargs(pattern, sample)),
                       role, methods))
    return result


@pytest.fixture
def sample(dataset):
    from exports.models import ExportJob
    from invitations.models import LocalMail, OutboxMessage
    from surveys.models import Question

    class Sample:
        survey = dataset.survey
        member = dataset.members.m2
        export_job = ExportJob.objects.create(survey=dataset.survey, status="failed", error="test")
        message = OutboxMessage.objects.create(
            invitation=dataset.survey.invitations.get(member=dataset.members.m2), step="permission-test",
            to_email="m2@example.org", subject="Einladung", body_text="Text", body_html="<p>HTML</p>")
        local_mail = LocalMail.objects.create(to="m2@example.org", subject="Einladung",
                                              raw=b"Subject: Einladung\r\n\r\nText\r\n")
        response = dataset.survey.responses.get(invitation__member=dataset.members.m4)  # submitted
        # a free-text question, so that the free-text page of the sample survey exists
        free_text = Question.objects.create(survey=dataset.survey, page=dataset.survey.pages.get(), position=2,
                                            code="H1_anmerkungen", type="textarea", text="Anmerkungen?")

    return Sample


def _call(client, method, url):
    return client.get(url) if method == "GET" else client.post(url, {"fallback_email": "x@example.org"})


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(LOGIN + "?next=")


def test_every_staff_url_is_classified():
    names = {p.name for p in staff_patterns()}
    unclassified = names - set(ACCESS)
    assert not unclassified, f"classify these URL names in tests/staff/test_permissions.py: {unclassified}"
    assert set(ACCESS) == names, f"stale entries in ACCESS: {set(ACCESS) - names}"


def _assert_locked_out(client, sample, refused):
    """Accepted methods must be refused (`refused(response)`); other methods may say 405 instead."""
    for name, url, _role, methods in urls(sample):
        for method in ("GET", "POST"):
            response = _call(client, method, url)
            if method in methods:
                assert refused(response), (name, method, response.status_code)
            else:
                assert refused(response) or response.status_code == 405, (name, method, response.status_code)


def test_anonymous_is_sent_to_login_everywhere(client, sample):
    _assert_locked_out(client, sample, _is_login_redirect)


def test_respondent_link_session_grants_nothing(client, sample):
    from responses.models import Response

    invitation = sample.survey.invitations.get(member=sample.member)
    entered = client.get(f"/s/{invitation.token}/")
    assert entered.status_code == 302 and "/s/" in entered["Location"]
    assert client.get(entered["Location"]).status_code == 200  # the respondent is on their first page
    _assert_locked_out(client, sample, _is_login_redirect)
    assert not Response.objects.filter(invitation=invitation, status="submitted").exists()


def test_user_without_role_gets_403(client, sample):
    user = User.objects.create_user("niemand", "n@example.org", "Test-Passwort-123")
    client.force_login(user)
    _assert_locked_out(client, sample, lambda response: response.status_code == 403)


def test_analyst_reads_but_never_changes_staff_things(analyst_client, sample):
    for name, url, role, methods in urls(sample):
        for method in ("GET", "POST"):
            if role == "analyst" and method == "POST" and method in methods:
                continue  # analyst actions (exports) are exercised by the exports tests
            response = _call(analyst_client, method, url)
            if method not in methods:
                assert response.status_code in (403, 405), (name, method, response.status_code)
            elif role == "staff":
                assert response.status_code == 403, (name, method, response.status_code)
            elif name in ANALYST_PAGES:
                assert response.status_code == 200, (name, method, response.status_code)
            else:
                assert response.status_code not in (401, 403) and response.status_code < 500, (name, method)
                assert not _is_login_redirect(response), name
    sample.member.refresh_from_db()
    assert not sample.member.email_bounced
    assert sample.survey.status == "open"
    sample.response.refresh_from_db()
    assert sample.response.is_submitted  # the analyst's POST to reopen was refused


def test_staff_reaches_every_page(staff_client, sample):
    for name, url, _role, methods in urls(sample):
        response = staff_client.get(url)
        if "GET" not in methods:
            assert response.status_code == 405, url
        elif name == "register_preview":  # unknown upload key → back to the upload page
            assert response.status_code == 302 and response["Location"] == reverse("staff:register_upload")
        elif name == "definition_preview":  # the same for a questionnaire upload
            assert response.status_code == 302 and response["Location"] == reverse("staff:definition_upload")
        elif name == "export_download":  # the sample job has no file
            assert response.status_code == 404, url
        else:
            assert response.status_code == 200, url


def test_post_actions_need_csrf(staff_user, sample):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    for name, url, _role, methods in urls(sample):
        if "POST" in methods:
            assert client.post(url).status_code == 403, url
    sample.survey.refresh_from_db()
    assert sample.survey.status == "open"


def test_unknown_survey_and_member_are_404(staff_client, sample):
    assert staff_client.get(reverse("staff:survey_detail", args=["gibt-es-nicht"])).status_code == 404
    assert staff_client.get(reverse("staff:dashboard", args=["gibt-es-nicht"])).status_code == 404
    assert staff_client.get(reverse("staff:member_detail", args=[sample.survey.slug, "00000000"])).status_code == 404
    unknown_step = reverse("staff:survey_transition", args=[sample.survey.slug, "loeschen"])
    assert staff_client.get(unknown_step).status_code == 404
