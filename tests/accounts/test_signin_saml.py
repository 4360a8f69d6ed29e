"""Single sign-on over SAML 2.0 against a real identity provider process (tests/accounts/saml_idp:
pysaml2's IdP on a free loopback port, signing with xmlsec1): sign-on through the provider, the account
created with the roles its groups map to, logout, an assertion signed by another key refused, an
expired assertion refused, the IdP read from its metadata URL, the SP's metadata, the start-up checks."""

import json
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.models import AuditEvent, Role
from accounts.signin.sso import sso_roles
from config.settings import saml_app

from .conftest import post_login
from .saml_idp.process import self_signed, start_idp, stop_idp

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]
SP_ENTITY_ID = "http://testserver/staff/sso/saml/idp/metadata/"
ACS = "http://testserver/staff/sso/saml/idp/acs/"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """Yields (IdP base URL, IdP certificate, another key's certificate)."""
    folder = tmp_path_factory.mktemp("saml-idp")
    process, base, cert, log = start_idp(folder, [{"entity_id": SP_ENTITY_ID, "acs": ACS}])
    other = self_signed(folder, "fremd")[2]
    yield base, cert, other
    stop_idp(process, log)


def configure(settings, idp: dict[str, str]) -> None:
    settings.SAML_ENABLED, settings.SAML_NAME = True, "Landes-Anmeldung"
    settings.SSO_ROLE_MAP = "kgst-admins=owner,kgst-analysten=analyst,kgst-analysten=viewer"
    app = saml_app(idp, SP_ENTITY_ID, "Landes-Anmeldung")
    app["settings"]["advanced"]["allow_single_label_domains"] = True  # the test client's host "testserver"
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": {"APPS": [app]}}


@pytest.fixture
def saml(settings, provider):
    base, cert, _other = provider
    configure(settings, {"entity_id": f"{base}/metadata", "sso_url": f"{base}/sso", "x509cert": cert})
    return provider


def sign_on(client, username: str, password: str, next_url: str = ""):
    """Press the SAML button, sign in at the provider (a separate browser: requests), post its
    answer to our ACS as the browser's auto-posting form would; returns our app's final answer."""
    start = client.post(reverse("saml_login", kwargs={"organization_slug": "idp"}),
                        {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content.decode()[:500]
    browser = requests.Session()
    at_provider = browser.get(start["Location"], timeout=10)
    assert at_provider.status_code == 200 and 'name="password"' in at_provider.text, at_provider.text[:500]
    fields = dict(re.findall(r'name="(SAMLRequest|RelayState)" value="([^"]*)"', at_provider.text))
    answer = browser.post(f"{urlsplit(at_provider.url)._replace(query='').geturl()}",
                          {**{k: unescape(v) for k, v in fields.items()}, "username": username, "password": password},
                          timeout=10)
    assert answer.status_code == 200 and "SAMLResponse" in answer.text, answer.text[:500]
    action = unescape(re.search(r'action="([^"]+)"', answer.text).group(1))
    assert action == ACS
    posted = {name: unescape(value) for name, value in
              re.findall(r'name="(SAMLResponse|RelayState)" value="([^"]*)"', answer.text)}
    acs = client.post(urlsplit(action).path, posted)
    assert acs.status_code == 302, acs.content.decode()[:500]
    return client.get(acs["Location"])


def test_first_sign_on_creates_the_account_with_its_roles_and_logout_ends_it(client, saml):
    page = client.get(reverse("staff:login")).content.decode()
    assert "Anmelden mit Landes-Anmeldung" in page and 'id="id_password"' in page

    done = sign_on(client, "anna", "Anna-Passwort-1", next_url="/staff/register/")
    assert done.status_code == 302 and done["Location"] == "/staff/register/", done.content.decode()[:800]
    anna = User.objects.get(email="anna@kgst.example")
    assert anna.username == "anna" and not anna.has_usable_password()
    assert anna.socialaccount_set.get().provider == "saml"
    assert sso_roles(anna) == ["owner"]
    assert list(Role.objects.filter(user=anna).values_list("role", "survey")) == [("owner", None)]
    assert client.get(reverse("staff:home")).status_code == 200
    event = AuditEvent.objects.get(action="login.succeeded", actor=anna)
    assert event.detail == {"method": "socialaccount", "roles": ["owner"]}

    client.post(reverse("staff:logout"))
    assert client.get(reverse("staff:home")).status_code == 302
    assert AuditEvent.objects.filter(action="logout", actor=anna).count() == 1

    again = sign_on(client, "anna", "Anna-Passwort-1")  # the same account next time
    assert again.status_code == 302 and User.objects.filter(email="anna@kgst.example").count() == 1


def test_groups_map_to_several_roles(client, saml):
    assert sign_on(client, "bert", "Bert-Passwort-1").status_code == 302
    bert = User.objects.get(username="bert")
    assert sso_roles(bert) == ["analyst", "viewer"]
    assert set(Role.objects.filter(user=bert).values_list("role", flat=True)) == {"analyst", "viewer"}
    assert client.get(reverse("staff:home")).status_code == 200


def refused(client, username: str, password: str, caplog, reason: str) -> None:
    answer = sign_on(client, username, password)
    assert reason in caplog.text  # refused for this reason, not another
    assert answer.status_code == 401 and "Anmeldung nicht möglich" in answer.content.decode()
    assert not User.objects.filter(username=username).exists()
    assert client.get(reverse("staff:home")).status_code == 302


def test_an_assertion_signed_by_another_key_is_refused(client, saml, settings, caplog):
    _base, _cert, other = saml
    settings.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"][0]["settings"]["idp"]["x509cert"] = other
    refused(client, "anna", "Anna-Passwort-1", caplog, "Signature validation failed")


def test_an_expired_assertion_is_refused(client, saml, caplog):
    refused(client, "otto", "Otto-Passwort-1", caplog, "Could not validate timestamp: expired")


def test_local_login_switched_off_with_saml_only(client, saml, settings, staff_user):
    settings.OIDC_ISSUER, settings.LOCAL_LOGIN_ENABLED = "", False
    page = client.get(reverse("staff:login")).content.decode()
    assert "Anmelden mit Landes-Anmeldung" in page and 'id="id_password"' not in page
    assert post_login(client, "staff").status_code == 403
    assert sign_on(client, "bert", "Bert-Passwort-1").status_code == 302
    assert client.get(reverse("staff:home")).status_code == 200


def test_the_identity_provider_from_its_metadata_url(client, settings, provider):
    base = provider[0]
    configure(settings, {"metadata_url": f"{base}/metadata", "entity_id": f"{base}/metadata"})
    assert sign_on(client, "bert", "Bert-Passwort-1").status_code == 302
    assert User.objects.filter(username="bert").exists()


def test_the_service_provider_metadata(client, saml):
    metadata = client.get(reverse("saml_metadata", kwargs={"organization_slug": "idp"}))
    assert metadata.status_code == 200 and metadata["Content-Type"].startswith("text/xml")
    text = metadata.content.decode()
    assert f'entityID="{SP_ENTITY_ID}"' in text and f'Location="{ACS}"' in text


def test_without_saml_settings_no_saml_sign_on(client, settings):
    settings.SAML_ENABLED = False
    settings.SOCIALACCOUNT_PROVIDERS = {**settings.SOCIALACCOUNT_PROVIDERS, "saml": {"APPS": []}}
    assert "Anmelden mit" not in client.get(reverse("staff:login")).content.decode()
    for name in ("saml_login", "saml_metadata", "saml_acs", "saml_sls"):
        assert client.post(reverse(name, kwargs={"organization_slug": "idp"}), follow=True).status_code == 404


def test_production_checks_of_the_saml_settings(settings):
    from accounts.signin.checks import check_sign_in

    settings.DEBUG, settings.TESTING = False, False
    settings.OIDC_ISSUER, settings.LOCAL_LOGIN_ENABLED = "", False
    settings.SAML_IDP_METADATA_URL, settings.SAML_IDP_ENTITY_ID = "", ""
    settings.SAML_IDP_SSO_URL, settings.SAML_IDP_X509CERT, settings.SAML_ENABLED = "", "", False
    assert [e.id for e in check_sign_in()] == ["ruecklauf.E031"]
    settings.SAML_ENABLED, settings.SAML_IDP_ENTITY_ID = True, "https://adfs.example.org/adfs/services/trust"
    assert [e.id for e in check_sign_in()] == ["ruecklauf.E032"]  # SAML counts as a way in: no E031
    settings.SAML_IDP_SSO_URL, settings.SAML_IDP_X509CERT = "https://adfs.example.org/adfs/ls/", "MIIC…"
    assert check_sign_in() == []
    settings.SAML_IDP_SSO_URL, settings.SAML_IDP_METADATA_URL = "", "https://adfs.example.org/metadata.xml"
    assert check_sign_in() == []


def test_settings_from_the_environment_allow_the_providers_in_form_action():
    """The buttons' redirect to the identity provider is a form submission for the browser's CSP."""
    env = {**os.environ, "SAML_IDP_ENTITY_ID": "https://adfs.example.org/adfs/services/trust",
           "SAML_IDP_SSO_URL": "https://adfs.example.org/adfs/ls/", "SAML_IDP_X509CERT": "MIIC",
           "OIDC_ISSUER": "https://sso.example.org:8443/realms/kgst", "SITE_URL": "https://umfrage.example.org"}
    code = ("import json, config.settings as s; print(json.dumps([s.CONTENT_SECURITY_POLICY['DIRECTIVES']"
            "['form-action'], s.SOCIALACCOUNT_PROVIDERS['saml']['APPS'][0]['settings']['sp']]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    form_action, sp = json.loads(out.stdout.strip().splitlines()[-1])
    assert form_action == ["'self'", "https://adfs.example.org", "https://sso.example.org:8443"]
    assert sp == {"entity_id": "https://umfrage.example.org/staff/sso/saml/idp/metadata/"}


@pytest.mark.parametrize("posted", [{}, {"SAMLResponse": "kein base64!"}, {"SAMLResponse": "PG5pY2h0LXhtbA=="},
                                    {"SAMLResponse": "PGEvPg==", "RelayState": "https://evil.example/"}])
def test_a_broken_answer_at_the_acs_is_refused_without_an_error(client, saml, posted):
    acs = client.post(reverse("saml_acs", kwargs={"organization_slug": "idp"}), posted)
    assert acs.status_code == 302
    answer = client.get(acs["Location"])
    assert answer.status_code == 401 and "Anmeldung nicht möglich" in answer.content.decode()
    assert client.get(reverse("staff:home")).status_code == 302
