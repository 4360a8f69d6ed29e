"""The second factor: enrolment on first login when STAFF_REQUIRE_2FA is on (nothing else reachable
until then), login with a TOTP code (computed with pyotp, independently of allauth) and with a
recovery code (used once only), wrong codes refused and then throttled."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from accounts.models import AuditEvent

from .conftest import post_code, post_login, recovery_codes_left

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def required(settings):
    settings.STAFF_REQUIRE_2FA = True


def test_first_login_leads_to_enrolment_and_nothing_else(client, staff_user, required, kgst_survey,
                                                        django_capture_on_commit_callbacks):
    assert post_login(client, "staff")["Location"] == reverse("staff:home")
    enrol = reverse("mfa_activate_totp")
    for url in (reverse("staff:home"), reverse("staff:register_upload"),
                f"/staff/befragungen/{kgst_survey.slug}/", "/admin/", "/admin/auth/user/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == enrol, url
    assert client.post(reverse("staff:register_upload")).status_code == 302

    page = client.get(enrol)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html and 'for="id_code"' in html
    secret = re.search(r'<code id="totp-secret"[^>]*>([A-Z2-7]+)</code>', html).group(1)

    wrong = client.post(enrol, {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 200 and "Der Code ist nicht richtig" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=staff_user).exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(enrol, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(done["Location"]).content.decode()
    shown = re.findall(r"<li>(\d{8})</li>", codes_page)
    assert len(shown) == 10 and sorted(shown) == sorted(recovery_codes_left(staff_user))
    assert client.get(reverse("staff:home")).status_code == 200
    assert AuditEvent.objects.filter(action="mfa.enrolled", actor=staff_user, detail__method="totp").count() == 1


def test_without_the_setting_no_enrolment_is_forced(client, staff_user, settings):
    settings.STAFF_REQUIRE_2FA = False
    post_login(client, "staff")
    assert client.get(reverse("staff:home")).status_code == 200


def test_login_with_a_code(client, two_factor_user, required):
    user, totp, _codes = two_factor_user
    first = post_login(client, "staff")
    assert first.status_code == 302 and first["Location"] == reverse("mfa_authenticate")
    assert client.get(reverse("staff:home")).status_code == 302  # the password alone does not sign in
    assert 'autocomplete="one-time-code"' in client.get(reverse("mfa_authenticate")).content.decode()
    done = post_code(client, totp.now())
    assert done.status_code == 302 and done["Location"] == reverse("staff:home")
    assert client.get(reverse("staff:home")).status_code == 200
    assert AuditEvent.objects.filter(action="login.succeeded", actor=user).count() == 1


def test_login_with_a_recovery_code_once(client, two_factor_user):
    user, _totp, codes = two_factor_user
    post_login(client, "staff")
    assert post_code(client, codes[0])["Location"] == reverse("staff:home")
    assert codes[0] not in recovery_codes_left(user) and len(recovery_codes_left(user)) == 9
    client.post(reverse("staff:logout"))

    post_login(client, "staff")
    again = post_code(client, codes[0])
    assert again.status_code == 200 and "Der Code ist nicht richtig" in again.content.decode()
    assert client.get(reverse("staff:home")).status_code == 302
    assert AuditEvent.objects.filter(action="mfa.failed", actor=user, outcome="refused").count() == 1
    assert post_code(client, codes[1])["Location"] == reverse("staff:home")


def test_wrong_codes_are_throttled(client, two_factor_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/10m/ip,3/10m/key"}
    user, totp, _codes = two_factor_user
    post_login(client, "staff")
    wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
    answers = [post_code(client, wrong) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert 0 < int(answers[-1]["Retry-After"]) <= 600
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in answers[-1].content.decode()
    right = post_code(client, totp.now())
    assert right.status_code == 429
    assert client.get(reverse("staff:home")).status_code == 302
    assert AuditEvent.objects.filter(action="mfa.failed", actor=user).count() == 3
    assert AuditEvent.objects.filter(action="login.locked", actor_name="staff",
                                     detail__stage="second-factor").count() == 3
