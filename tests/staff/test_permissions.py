"""Permission matrix: every URL of the "staff" namespace × {anonymous, respondent, no role, analyst, staff}.

New views cannot slip through: the test walks the URL patterns themselves, and a URL name
that is not classified below fails the test until someone decides who may use it.
"""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, reverse

from config import staff_urls

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "logout"}
# Read-only pages analysts may see (GET 200, POST 405).
ANALYST_READABLE = {"home", "survey_detail", "dashboard"}
# Staff-only pages and actions (analysts get 403 for GET and POST).
STAFF_ONLY = {
    "survey_dates", "survey_transition", "members", "member_detail", "nonresponders_csv",
    "register_upload", "register_preview", "send_invitations", "send_reminders", "outbox",
    "member_resend", "member_bounce",
}
# Views that only accept POST (GET → 405 even for staff).
POST_ONLY = {"member_resend"}


def staff_patterns() -> list[URLPattern]:
    return [p for p in staff_urls.urlpatterns if isinstance(p, URLPattern) and p.name not in PUBLIC]


def sample_kwargs(pattern: URLPattern, sample) -> dict[str, str]:
    values = {"slug": sample.survey.slug, "ags": sample.member.ags, "action": "schliessen",
              "key": "kein-gueltiger-schluessel"}
    missing = set(pattern.pattern.converters) - set(values)
    assert not missing, f"URL {pattern.name!r}: add a sample value for {missing} in test_permissions.py"
    return {name: values[name] for name in pattern.pattern.converters}


def urls(sample) -> list[tuple[str, str]]:
    return [(p.name, reverse(f"staff:{p.name}", kwargs=sample_kwargs(p, sample))) for p in staff_patterns()]


@pytest.fixture
def sample(dataset):
    class Sample:
        survey = dataset.survey
        member = dataset.members.m2

    return Sample


def test_every_staff_url_is_classified():
    names = {p.name for p in staff_patterns()}
    unclassified = names - ANALYST_READABLE - STAFF_ONLY
    assert not unclassified, f"classify these URL names in tests/staff/test_permissions.py: {unclassified}"
    assert names >= ANALYST_READABLE | STAFF_ONLY  # and the table has no stale entries


def _assert_login_redirect(response, url):
    assert response.status_code == 302, (url, response.status_code)
    assert response["Location"].startswith(reverse("staff:login") + "?next="), url


def test_anonymous_is_sent_to_login_everywhere(client, sample):
    for name, url in urls(sample):
        _assert_login_redirect(client.get(url), url)
        _assert_login_redirect(client.post(url, {"fallback_email": "x@example.org"}), url)


def test_respondent_link_session_grants_nothing(client, sample):
    from responses.models import Response

    invitation = sample.survey.invitations.get(member=sample.member)
    entered = client.get(f"/s/{invitation.token}/")
    assert entered.status_code == 302  # the personal link works and opens a session
    for name, url in urls(sample):
        _assert_login_redirect(client.get(url), url)
        _assert_login_redirect(client.post(url), url)
    assert not Response.objects.filter(invitation=invitation, status="submitted").exists()


def test_user_without_role_gets_403(client, sample):
    user = User.objects.create_user("niemand", "n@example.org", "Test-Passwort-123")
    client.force_login(user)
    for name, url in urls(sample):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url


def test_analyst_reads_but_never_changes(analyst_client, sample):
    for name, url in urls(sample):
        get, post = analyst_client.get(url), analyst_client.post(url, {"fallback_email": "x@example.org"})
        if name in ANALYST_READABLE:
            assert get.status_code == 200, url
            assert post.status_code == 405, url
        else:
            assert get.status_code == 403, url
            assert post.status_code == 403, url
    sample.member.refresh_from_db()
    assert not sample.member.email_bounced
    assert sample.survey.status == "open"


def test_staff_reaches_every_page(staff_client, sample):
    for name, url in urls(sample):
        response = staff_client.get(url)
        if name in POST_ONLY:
            assert response.status_code == 405, url
        elif name == "register_preview":  # unknown upload key → back to the upload page
            assert response.status_code == 302 and response["Location"] == reverse("staff:register_upload")
        else:
            assert response.status_code == 200, url


def test_post_actions_need_csrf(staff_user, sample):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    for name, url in urls(sample):
        if name in ANALYST_READABLE or name in {"members", "member_detail", "nonresponders_csv", "outbox"}:
            continue
        assert client.post(url).status_code == 403, url
    sample.survey.refresh_from_db()
    assert sample.survey.status == "open"


def test_unknown_survey_and_member_are_404(staff_client, sample):
    assert staff_client.get(reverse("staff:survey_detail", args=["gibt-es-nicht"])).status_code == 404
    assert staff_client.get(reverse("staff:member_detail", args=[sample.survey.slug, "00000000"])).status_code == 404
    unknown_step = reverse("staff:survey_transition", args=[sample.survey.slug, "loeschen"])
    assert staff_client.get(unknown_step).status_code == 404
