"""The Django admin has no login of its own: the staff login (throttle, second factor) lets into it,
and ADMIN_ENABLED=0 removes it."""

import os
import subprocess
import sys

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.urls import reverse

from .conftest import PASSWORD, post_code, post_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("chefin", "chefin@example.org", PASSWORD)


def test_admin_login_is_the_staff_login(client, admin_user):
    first = client.get("/admin/")
    assert first.status_code == 302 and first["Location"].startswith("/admin/login/")
    second = client.get(first["Location"])
    assert second.status_code == 302 and second["Location"] == f"{reverse('staff:login')}?next=/admin/"
    # The admin's own form signs nobody in.
    client.post("/admin/login/", {"username": "chefin", "password": PASSWORD, "next": "/admin/"})
    assert client.get("/admin/").status_code == 302

    response = client.post(second["Location"], {"username": "chefin", "password": PASSWORD, "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_behind_the_throttle(client, admin_user, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "100/10m/ip,2/10m/key"}
    for _ in range(2):
        post_login(client, "chefin", "falsch")
    assert post_login(client, "chefin").status_code == 429
    assert client.get("/admin/").status_code == 302


def test_admin_behind_the_second_factor(client, admin_user, settings):
    settings.STAFF_REQUIRE_2FA = True
    post_login(client, "chefin")
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")
    client.post(reverse("staff:logout"))

    secret = pyotp.random_base32()
    TOTP.activate(admin_user, secret)
    assert post_login(client, "chefin")["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302
    post_code(client, pyotp.TOTP(secret).now())
    assert client.get("/admin/").status_code == 200


def test_staff_without_admin_rights_are_refused(client, staff_user):
    post_login(client, "staff")
    for url in ("/admin/", "/admin/auth/user/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("staff:login")), url
        assert "keine Berechtigung" in response.content.decode()


def test_admin_enabled_0_removes_the_admin():
    script = ("import django; django.setup(); from django.urls import resolve, Resolver404\n"
              "try:\n    resolve('/admin/')\nexcept Resolver404:\n    print('gone')\nelse:\n    print('there')\n"
              "print(resolve('/staff/login/').url_name)")
    env = {**os.environ, "ADMIN_ENABLED": "0", "DJANGO_SETTINGS_MODULE": "config.settings"}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                         cwd=django_settings.BASE_DIR).stdout.split()
    assert out == ["gone", "account_login"]
