"""Login throttling: failed logins counted per typed user name and per address, refused with 429 and
Retry-After over the limit, the right password refused too while locked, accepted after the window;
an unknown user name gets exactly the same answers as a known one."""

import re
import time

import pytest
from django.urls import reverse

from accounts.models import AuditEvent

from .conftest import PASSWORD, age_login_failures, post_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def limits(settings):
    """5 failures per user name in 10 minutes, a generous limit per address."""
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "login_failed": "100/10m/ip,5/10m/key", "login": "200/m/ip"}


def _summary(response) -> str:
    match = re.search(r'<div class="alert alert-danger"[^>]*id="error-summary".*?</div>',
                      response.content.decode(), re.S)
    assert match, response.content.decode()[:2000]
    return match.group(0)


def test_thirty_wrong_passwords_then_locked_until_the_window_has_passed(client, staff_user, limits):
    answers = [post_login(client, "staff", f"falsch-{n}") for n in range(30)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 25
    for refused in answers[5:]:
        assert 590 <= int(refused["Retry-After"]) <= 600  # until the oldest counted failure expires
        assert "Zu viele fehlgeschlagene Anmeldeversuche" in _summary(refused)
        assert "Bitte warten Sie 10 Minuten" in _summary(refused)
    assert "Benutzername oder Passwort ist falsch" in _summary(answers[0])

    locked = post_login(client, "staff", PASSWORD)
    assert locked.status_code == 429 and 0 < int(locked["Retry-After"]) <= 600
    assert client.get(reverse("staff:home")).status_code == 302  # not signed in

    assert age_login_failures(550) >= 1  # still inside the window
    still = post_login(client, "staff", PASSWORD)
    assert still.status_code == 429 and int(still["Retry-After"]) <= 50
    age_login_failures(int(still["Retry-After"]))  # the promised wait has passed
    accepted = post_login(client, "staff", PASSWORD)
    assert accepted.status_code == 302 and accepted["Location"] == reverse("staff:home")
    assert client.get(reverse("staff:home")).status_code == 200

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", "outcome", "actor_name"))
    assert actions.count(("login.failed", "refused", "staff")) == 5
    assert actions.count(("login.locked", "refused", "staff")) == 25 + 2
    assert actions[-1] == ("login.succeeded", "ok", "staff")


def test_the_limit_per_address_covers_every_user_name(client, staff_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS,
                                    "login_failed": "4/10m/ip,100/10m/key", "login": "200/m/ip"}
    answers = [post_login(client, f"raten-{n}", "falsch") for n in range(6)]
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2
    assert post_login(client, "staff", PASSWORD).status_code == 429
    other_address = post_login(client, "staff", PASSWORD, REMOTE_ADDR="192.0.2.44")
    assert other_address.status_code == 302


def test_unknown_and_known_user_names_get_the_same_answers(client, staff_user, limits):
    def answers(username: str) -> list:
        return [post_login(client, username, "falsch") for _ in range(7)]

    known, unknown = answers("staff"), answers("niemand")
    assert [a.status_code for a in known] == [a.status_code for a in unknown] == [200] * 5 + [429] * 2
    for mine, theirs in zip(known, unknown, strict=True):
        assert _summary(mine) == _summary(theirs)
        assert (mine.get("Retry-After") is None) == (theirs.get("Retry-After") is None)
        assert _page(mine).replace('value="staff"', 'value="niemand"') == _page(theirs)


def _page(response) -> str:
    """The page without what differs on every request (CSRF token, the minutes left)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return re.sub(r"Bitte warten Sie \d+ Minuten?", "", html)


def test_a_short_window_unlocks_in_real_time(client, staff_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/10m/ip,2/3s/key"}
    started = time.monotonic()
    assert [post_login(client, "staff", "falsch").status_code for _ in range(3)] == [200, 200, 429]
    refused = post_login(client, "staff", PASSWORD)
    if time.monotonic() - started < 3:  # the counted failures are still inside their 3 s window
        assert refused.status_code == 429 and int(refused["Retry-After"]) <= 3
    time.sleep(3.1)
    assert post_login(client, "staff", PASSWORD).status_code == 302


def test_too_many_login_forms_from_one_address(client, staff_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    assert [post_login(client, "staff", "falsch").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = post_login(client, "staff", PASSWORD)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "Bitte warten Sie 1 Minute" in refused.content.decode()


def test_the_refusal_in_english(client, staff_user, limits, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    answers = [post_login(client, "staff", "falsch") for _ in range(6)]
    assert "User name or password is wrong" in _summary(answers[0])
    assert answers[-1].status_code == 429
    assert "Too many failed sign-in attempts" in _summary(answers[-1])
    assert "Please wait 10 minutes and then try again." in _summary(answers[-1])
