"""API keys: Bearer and Basic, and every kind of refusal (each in the audit trail)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import AuditEvent, Role
from exports.api import keys
from exports.models import ApiKey

from .conftest import basic, bearer

pytestmark = pytest.mark.django_db

SURVEYS = "/api/v1/surveys/"


def refusals() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="api.request", outcome="refused"))


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_only_the_hash_is_stored(analyst_user, make_key):
    plain = make_key(analyst_user)
    stored = ApiKey.objects.get()
    assert plain.startswith(f"rl_{stored.prefix}_")
    assert plain not in (stored.secret_hash, stored.prefix) and len(stored.secret_hash) == 64
    assert AuditEvent.objects.filter(action="api.key_created", target=stored.prefix).exists()


def test_bearer_and_basic_both_work(client, analyst_user, kgst_survey, make_key, empty_cache):
    plain = make_key(analyst_user)
    for headers in (bearer(plain), basic(plain), basic(plain, username="")):
        response = client.get(SURVEYS, **headers)
        assert response.status_code == 200, response.content
        assert [s["slug"] for s in response.json()] == [kgst_survey.slug]
    uses = AuditEvent.objects.filter(action="api.request", outcome="ok")
    assert uses.count() == 3 and {e.target for e in uses} == {ApiKey.objects.get().prefix}
    assert ApiKey.objects.get().last_used_at is not None


def test_missing_key_is_401_with_challenge(client, empty_cache):
    response = client.get(SURVEYS)
    assert_problem(response, 401)
    assert "Basic" in response["WWW-Authenticate"] and "Bearer" in response["WWW-Authenticate"]


@pytest.mark.parametrize("mangle", [
    lambda k: k[:-2] + ("aa" if not k.endswith("aa") else "bb"),  # right prefix, wrong secret
    lambda k: "rl_zzzzzzzz_" + k.split("_", 2)[2],  # unknown prefix
    lambda k: "nonsense",
])
def test_unknown_key_is_refused(client, analyst_user, make_key, mangle, empty_cache):
    plain = make_key(analyst_user)
    assert_problem(client.get(SURVEYS, **bearer(mangle(plain))), 401)
    assert len(refusals()) == 1


def test_revoked_key_is_refused(client, analyst_user, make_key, empty_cache):
    plain = make_key(analyst_user)
    key = ApiKey.objects.get()
    assert keys.revoke_key(key) and not keys.revoke_key(key)
    body = assert_problem(client.get(SURVEYS, **basic(plain)), 401)
    assert "revoked" in body["detail"]
    assert [e.target for e in refusals()] == [key.prefix]
    assert AuditEvent.objects.filter(action="api.key_revoked", target=key.prefix).count() == 1


def test_expired_key_is_refused(client, analyst_user, make_key, empty_cache):
    plain = make_key(analyst_user)
    ApiKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    body = assert_problem(client.get(SURVEYS, **bearer(plain)), 401)
    assert "expired" in body["detail"]
    assert len(refusals()) == 1


def test_key_of_a_user_without_role_is_refused(client, make_key, kgst_survey, empty_cache):
    nobody = User.objects.create_user("nobody", "n@example.org", "x")
    plain = make_key(nobody)
    assert client.get(SURVEYS, **bearer(plain)).json() == []
    assert_problem(client.get(f"{SURVEYS}{kgst_survey.slug}/responses/", **bearer(plain)), 404)
    assert len(refusals()) == 1


def test_role_taken_away_later_takes_the_key_with_it(client, analyst_user, make_key, kgst_survey, empty_cache):
    plain = make_key(analyst_user)
    assert client.get(f"{SURVEYS}{kgst_survey.slug}/results/", **bearer(plain)).status_code == 200
    Role.objects.filter(user=analyst_user).delete()  # the per-survey roles, read at every request
    assert_problem(client.get(f"{SURVEYS}{kgst_survey.slug}/results/", **bearer(plain)), 404)
    assert len(refusals()) == 1


def test_key_for_another_survey_is_refused(client, staff_user, make_key, kgst_survey, empty_cache):
    from surveys.models import Survey

    other = Survey.objects.create(slug="andere", title="Andere Befragung")
    plain = make_key(staff_user, survey=other)
    assert [s["slug"] for s in client.get(SURVEYS, **bearer(plain)).json()] == ["andere"]
    for path in ("", "definition/", "responses/", "members/"):
        assert_problem(client.get(f"{SURVEYS}{kgst_survey.slug}/{path}", **bearer(plain)), 404)
    assert len(refusals()) == 4 and all(e.outcome == "refused" for e in refusals())


def test_analyst_may_not_read_members(client, analyst_user, make_key, kgst_survey, empty_cache):
    plain = make_key(analyst_user)
    assert_problem(client.get(f"{SURVEYS}{kgst_survey.slug}/members/", **bearer(plain)), 403)
    event = refusals()[0]
    assert event.survey_slug == kgst_survey.slug and event.detail["capability"] == "members"


def test_deactivated_user_key_is_refused(client, analyst_user, make_key, empty_cache):
    plain = make_key(analyst_user)
    User.objects.filter(pk=analyst_user.pk).update(is_active=False)
    assert_problem(client.get(SURVEYS, **bearer(plain)), 401)


def test_throttled_per_key(client, analyst_user, make_key, settings, empty_cache):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    before = SimpleRateThrottle.THROTTLE_RATES
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        plain, other = make_key(analyst_user), make_key(analyst_user, name="zweiter")
        assert [client.get(SURVEYS, **bearer(plain)).status_code for _ in range(3)] == [200] * 3
        response = client.get(SURVEYS, **bearer(plain))
        assert "throttled" in assert_problem(response, 429)["detail"]
        assert int(response["Retry-After"]) > 0
        assert client.get(SURVEYS, **bearer(other)).status_code == 200  # counted per key
    finally:
        SimpleRateThrottle.THROTTLE_RATES = before
