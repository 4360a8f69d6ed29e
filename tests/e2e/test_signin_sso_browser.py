"""Single sign-on in a real browser: the login page with both single sign-on buttons (OpenID Connect
and SAML) passes axe at 1280 and 320 px and the other checks of a11y.audit_page; the SAML button leads
to the test identity provider (tests/accounts/saml_idp, its own process), whose signed answer signs the
user in with the role its group maps to. Screenshots to $E2E_SCREENSHOTS, e.g. /tmp/shots/sso-*.png."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Role
from harness.serve import free_port
from tests.accounts.saml_idp.process import self_signed, start_idp, stop_idp

from .a11y import SCREENSHOTS, audit_page
from .conftest import check_accessibility
from .server import gunicorn_server

pytestmark = pytest.mark.browser


@pytest.fixture
def saml_server(transactional_db, tmp_path):
    """The app with SAML (and, for its button only, OpenID Connect) configured, and the IdP it trusts."""
    cache.clear()
    idp_port = free_port()
    idp_base = f"http://127.0.0.1:{idp_port}"
    cert = self_signed(tmp_path, "idp")[2]
    env = {"SAML_IDP_ENTITY_ID": f"{idp_base}/metadata", "SAML_IDP_SSO_URL": f"{idp_base}/sso",
           "SAML_IDP_X509CERT": cert, "SAML_NAME": "Landes-Anmeldung", "SSO_ROLE_MAP": "kgst-admins=owner",
           # never contacted: the page only shows the button
           "OIDC_ISSUER": "http://127.0.0.1:9/o", "OIDC_CLIENT_ID": "x", "OIDC_CLIENT_SECRET": "y",
           "OIDC_NAME": "Kommunalportal"}
    with gunicorn_server(tmp_path / "gunicorn.log", workers=1, env=env) as server:
        sp = {"entity_id": f"{server.url}/staff/sso/saml/idp/metadata/",
              "acs": f"{server.url}/staff/sso/saml/idp/acs/"}
        process, _base, _cert, log = start_idp(tmp_path, [sp], port=idp_port)
        try:
            yield server
        finally:
            stop_idp(process, log)
        assert server.process.poll() is None, server.log_tail()


def test_sign_on_through_the_saml_provider(saml_server, browser):
    url = saml_server.url
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/staff/login/")
    expect(page.get_by_role("button", name="Anmelden mit Kommunalportal")).to_be_visible()
    saml_button = page.get_by_role("button", name="Anmelden mit Landes-Anmeldung")
    expect(saml_button).to_be_visible()
    audit_page(page, "sso login")
    page.set_viewport_size({"width": 320, "height": 640})
    check_accessibility(page, "sso login 320")  # axe on the narrow layout too
    page.set_viewport_size({"width": 1280, "height": 900})

    saml_button.click()
    expect(page.get_by_role("heading", name="Test-IdP: Anmelden")).to_be_visible()
    page.get_by_label("Benutzername").fill("anna")
    page.get_by_label("Passwort").fill("Anna-Passwort-1")
    page.get_by_role("button", name="Anmelden").click()  # the IdP's form posts the assertion back
    expect(page).to_have_url(f"{url}/staff/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "sso-signed-in-1280.png", full_page=True)
    anna = User.objects.get(username="anna")
    assert list(Role.objects.filter(user=anna).values_list("role", "survey")) == [("owner", None)]
    context.close()
