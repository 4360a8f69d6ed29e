"""How long a staff session lasts: 60 minutes idle, 8 hours at most (settings), and a password
change ends the other sessions of the account. Time passes by moving the session's clocks back."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.signin.middleware import SEEN_AT, SIGNED_IN_AT

from .conftest import PASSWORD, post_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]
HOME = reverse("staff:home")


def _age(client, *, signed_in: float, seen: float) -> None:
    """Set when the session signed in and was last seen, in seconds before now."""
    session = client.session
    now = time.time()
    session[SIGNED_IN_AT], session[SEEN_AT] = now - signed_in, now - seen
    session.save()


@pytest.fixture
def signed_in(client, staff_user):
    assert post_login(client, "staff")["Location"] == HOME
    assert client.get(HOME).status_code == 200
    return client


def _assert_sent_to_login(client, reason: str) -> None:
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"] == f"{reverse('staff:login')}?next={HOME}"
    page = client.get(response["Location"]).content.decode()
    assert "Ihre Sitzung ist abgelaufen" in page
    assert client.get(HOME).status_code == 302  # signed out, not only turned away once
    assert AuditEvent.objects.filter(action="logout", outcome="expired", detail__reason=reason).count() == 1


def test_idle_for_longer_than_the_limit(signed_in):
    _age(signed_in, signed_in=59 * 60, seen=59 * 60)
    assert signed_in.get(HOME).status_code == 200  # 59 idle minutes are fine, and count as activity
    _age(signed_in, signed_in=121 * 60, seen=61 * 60)
    _assert_sent_to_login(signed_in, "idle")


def test_absolute_limit_even_when_active(signed_in):
    _age(signed_in, signed_in=8 * 3600 - 60, seen=10)
    assert signed_in.get(HOME).status_code == 200
    _age(signed_in, signed_in=8 * 3600 + 1, seen=10)
    _assert_sent_to_login(signed_in, "absolute")


def test_limits_come_from_the_settings(signed_in, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    _age(signed_in, signed_in=6 * 60, seen=6 * 60)
    _assert_sent_to_login(signed_in, "idle")


def test_respondent_pages_need_no_session(client, staff_user):
    assert client.get("/s/").status_code == 200


def test_password_change_ends_the_other_sessions(signed_in, staff_user):
    other = Client()
    assert post_login(other, "staff")["Location"] == HOME
    assert other.get(HOME).status_code == 200

    changed = signed_in.post(reverse("account_change_password"), {
        "oldpassword": PASSWORD, "password1": "Neues-Passwort-456", "password2": "Neues-Passwort-456"})
    assert changed.status_code == 302
    assert signed_in.get(HOME).status_code == 200  # the session that changed it goes on
    assert other.get(HOME).status_code == 302  # every other session has ended
    staff_user.refresh_from_db()
    assert staff_user.check_password("Neues-Passwort-456")


def test_password_set_by_an_administrator_ends_every_session(signed_in, staff_user):
    staff_user.set_password("Neues-Passwort-456")
    staff_user.save()
    assert signed_in.get(HOME).status_code == 302
