"""Single sign-on over OpenID Connect against a real provider process (tests/accounts/oidc_idp:
django-oauth-toolkit's OIDC provider under gunicorn on a free loopback port): login through the
provider, the account created on the first sign-on, groups mapped to roles, logout, a wrong client
secret refused, LOCAL_LOGIN_ENABLED=0."""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import AuditEvent, Role
from accounts.signin.sso import roles_from_groups, sso_roles
from harness.serve import free_port

from .conftest import post_login

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]
ROOT = Path(__file__).resolve().parents[2]
CALLBACK = "http://testserver/staff/sso/oidc/login/callback/"
CLIENT_ID, CLIENT_SECRET = "ruecklauf-test", "geheimnis-des-clients-0123456789"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """The identity provider process with two users; yields its issuer URL."""
    folder = tmp_path_factory.mktemp("idp")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.accounts.oidc_idp.settings",
           "IDP_DB": str(folder / "idp.sqlite3"), "IDP_KEY": str(folder / "key.pem")}
    for name in ("DATABASE_URL", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    spec = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uri": CALLBACK, "users": [
        {"username": "anna", "password": "Anna-Passwort-1", "email": "anna@kgst.example", "groups": ["kgst-admins"]},
        {"username": "bert", "password": "Bert-Passwort-1", "email": "bert@kgst.example",
         "groups": ["kgst-analysten", "sonstige"]}]}
    subprocess.run([sys.executable, "-m", "tests.accounts.oidc_idp.setup", json.dumps(spec)], cwd=ROOT, env=env,
                   check=True, timeout=120)
    port = free_port()
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115 (open while the server runs)
    process = subprocess.Popen([str(ROOT / ".venv" / "bin" / "gunicorn"), "tests.accounts.oidc_idp.wsgi",
                                "-b", f"127.0.0.1:{port}", "-w", "1"],
                               # not in ROOT: the app's gunicorn.conf.py there checks the app's settings
                               cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    issuer = f"http://127.0.0.1:{port}/o"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration", timeout=2).close()  # noqa: S310
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, (folder / "gunicorn.log").read_text()
            time.sleep(0.2)
    yield issuer
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15)
    log.close()


@pytest.fixture
def sso(settings, provider):
    settings.OIDC_ISSUER, settings.OIDC_NAME = provider, "KGSt-Anmeldung"
    settings.SSO_ROLE_MAP = "kgst-admins=owner,kgst-analysten=analyst,kgst-analysten=viewer"
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": [{
        "provider_id": "oidc", "name": "KGSt-Anmeldung", "client_id": CLIENT_ID, "secret": CLIENT_SECRET,
        "settings": {"server_url": provider, "oauth_pkce_enabled": True}}]}}
    return provider


def _sign_on(client, username: str, password: str, next_url: str = ""):
    """Press the single sign-on button, sign in at the provider (a separate browser: requests),
    follow its redirect back; returns our app's answer to the callback."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "oidc"}),
                        {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content.decode()[:500]
    browser = requests.Session()
    at_provider = browser.get(start["Location"], allow_redirects=True, timeout=10)
    assert "/login/" in at_provider.url
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', at_provider.text).group(1)
    nxt = re.search(r'name="next" value="([^"]*)"', at_provider.text).group(1).replace("&amp;", "&")
    signed_in = browser.post(at_provider.url, {"csrfmiddlewaretoken": token, "username": username,
                                               "password": password, "next": nxt},
                             headers={"Referer": at_provider.url}, allow_redirects=False, timeout=10)
    assert signed_in.status_code == 302, signed_in.text[:500]
    back = browser.get(urlsplit(at_provider.url)._replace(path=signed_in.headers["Location"].split("?")[0],
                                                           query=signed_in.headers["Location"].partition("?")[2]
                                                           ).geturl(), allow_redirects=False, timeout=10)
    assert back.status_code == 302 and back.headers["Location"].startswith(CALLBACK), back.text[:500]
    callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def test_roles_from_groups(settings):
    settings.SSO_ROLE_MAP = " kgst-admins = owner ,kgst-analysten=analyst,kaputt,=x,kgst-analysten=viewer"
    assert roles_from_groups(["kgst-analysten", "kgst-admins", "fremd"]) == ["owner", "analyst", "viewer"]
    assert roles_from_groups(["fremd"]) == [] and roles_from_groups([]) == []


def test_first_sign_on_creates_the_account_with_its_roles(client, sso):
    page = client.get(reverse("staff:login")).content.decode()
    assert "Anmelden mit KGSt-Anmeldung" in page and 'id="id_password"' in page

    done = _sign_on(client, "anna", "Anna-Passwort-1", next_url="/staff/register/")
    assert done.status_code == 302 and done["Location"] == "/staff/register/", done.content.decode()[:500]
    anna = User.objects.get(username="anna")
    assert anna.email == "anna@kgst.example" and not anna.has_usable_password()
    assert sso_roles(anna) == ["owner"]
    # Signed in with the role the provider's group stands for, on all surveys.
    assert list(Role.objects.filter(user=anna).values_list("role", "survey")) == [("owner", None)]
    assert client.get(reverse("staff:home")).status_code == 200
    event = AuditEvent.objects.get(action="login.succeeded", actor=anna)
    assert event.detail == {"method": "socialaccount", "roles": ["owner"]}

    client.post(reverse("staff:logout"))
    assert client.get(reverse("staff:home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=anna).count() == 1

    again = _sign_on(client, "anna", "Anna-Passwort-1")  # the same account next time
    assert again.status_code == 302 and User.objects.filter(email="anna@kgst.example").count() == 1


def test_groups_to_several_roles_and_no_local_second_factor(client, sso, settings):
    settings.STAFF_REQUIRE_2FA = True  # the identity provider is responsible for the second factor
    assert _sign_on(client, "bert", "Bert-Passwort-1").status_code == 302
    bert = User.objects.get(username="bert")
    assert sso_roles(bert) == ["analyst", "viewer"]
    assert client.get(reverse("staff:home")).status_code == 200  # not sent to enrolment, not to the login


def test_each_sign_on_sets_the_roles_on_all_surveys_and_keeps_those_of_one_survey(settings, kgst_survey):
    from allauth.socialaccount.models import SocialAccount

    from accounts import roles
    from accounts.signin.sso import apply_roles

    settings.SSO_ROLE_MAP = "kgst-admins=owner,kgst-analysten=analyst"
    carla = User.objects.create(username="carla")
    account = SocialAccount.objects.create(user=carla, provider="oidc", uid="carla",
                                           extra_data={"userinfo": {settings.OIDC_GROUPS_CLAIM: ["kgst-admins"]}})
    roles.grant(carla, "editor", kgst_survey)  # granted in the staff area, for one survey
    assert apply_roles(carla) == ["owner"]
    account.extra_data = {"userinfo": {settings.OIDC_GROUPS_CLAIM: ["kgst-analysten"]}}  # moved at the provider
    account.save()
    assert apply_roles(carla) == ["analyst"]
    held = set(Role.objects.filter(user=carla).values_list("role", "survey__slug"))
    assert held == {("analyst", None), ("editor", kgst_survey.slug)}
    assert AuditEvent.objects.filter(action="role_revoked", target="carla").count() == 1


def test_a_wrong_client_secret_is_refused(client, sso, settings):
    settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]["secret"] = "falsch"
    refused = _sign_on(client, "anna", "Anna-Passwort-1")
    assert refused.status_code == 401 and "Anmeldung nicht möglich" in refused.content.decode()
    assert not User.objects.filter(username="anna").exists()
    assert client.get(reverse("staff:home")).status_code == 302


def test_local_login_switched_off(client, sso, settings, staff_user):
    settings.LOCAL_LOGIN_ENABLED = False
    page = client.get(reverse("staff:login")).content.decode()
    assert "Anmelden mit KGSt-Anmeldung" in page and 'id="id_password"' not in page
    refused = post_login(client, "staff")
    assert refused.status_code == 403
    assert client.get(reverse("staff:home")).status_code == 302
    assert _sign_on(client, "anna", "Anna-Passwort-1").status_code == 302


def test_without_an_issuer_no_single_sign_on(client, settings):
    settings.OIDC_ISSUER = ""
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    assert "Anmelden mit" not in client.get(reverse("staff:login")).content.decode()
    assert client.post(reverse("openid_connect_login", kwargs={"provider_id": "oidc"})).status_code == 404


def test_production_checks_refuse_a_sign_in_nobody_can_use(settings):
    from accounts.signin.checks import check_sign_in

    settings.DEBUG, settings.TESTING = False, False
    settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "", "", ""
    assert check_sign_in() == []
    settings.LOCAL_LOGIN_ENABLED = False
    assert [e.id for e in check_sign_in()] == ["ruecklauf.E031"]
    settings.OIDC_ISSUER = "https://sso.example.org/realms/kgst"
    assert [e.id for e in check_sign_in()] == ["ruecklauf.E030"]
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "ruecklauf", "geheim"
    assert check_sign_in() == []
