"""Sign-in in a real browser against a server with STAFF_REQUIRE_2FA=1: login, enrolment of the
authenticator app (code computed with pyotp), recovery codes, the staff home; then a second login
with a recovery code. axe and the other checks of a11y.audit_page on the login and the second-factor
pages at 1280 and 320 px (screenshots to $E2E_SCREENSHOTS, e.g. /tmp/shots/auth-*.png)."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import AuditEvent

from .a11y import audit_page
from .server import gunicorn_server

pytestmark = pytest.mark.browser
PASSWORD = "Test-Passwort-123"


@pytest.fixture
def strict_server(transactional_db, tmp_path):
    cache.clear()
    with gunicorn_server(tmp_path / "gunicorn.log", workers=1, env={"STAFF_REQUIRE_2FA": "1"}) as server:
        yield server
        assert server.process.poll() is None, server.log_tail()


def _log_in(page, url: str, password: str = PASSWORD) -> None:
    page.goto(f"{url}/staff/login/")
    page.get_by_label("Benutzername").fill("staff")
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def test_login_enrolment_and_recovery_code(strict_server, browser, staff_user):
    url = strict_server.url
    context = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 900})
    foreign: list[str] = []
    context.on("request", lambda r: foreign.append(r.url) if not r.url.startswith((url, "data:")) else None)
    page = context.new_page()

    page.goto(f"{url}/staff/login/")
    audit_page(page, "auth login")
    _log_in(page, url, "falsch")
    expect(page.locator("#error-summary")).to_contain_text("Benutzername oder Passwort ist falsch")
    audit_page(page, "auth login error", quick=True)

    _log_in(page, url)
    expect(page).to_have_url(f"{url}/staff/konto/zwei-faktor/app/einrichten/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweiten Faktor einrichten")
    audit_page(page, "auth totp enrolment")
    page.goto(f"{url}/staff/")  # nothing else before the enrolment
    expect(page).to_have_url(f"{url}/staff/konto/zwei-faktor/app/einrichten/")

    secret = page.locator("#totp-secret").inner_text().strip()
    page.get_by_label("Code aus der App").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Einrichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wiederherstellungscodes")
    codes = [c.strip() for c in page.locator("#recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", c) for c in codes)
    audit_page(page, "auth recovery codes", quick=True)
    page.get_by_role("link", name="Weiter zum Mitarbeiterbereich").click()
    expect(page).to_have_url(f"{url}/staff/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert Authenticator.objects.filter(user=staff_user, type="totp").exists()

    page.get_by_role("button", name=re.compile("Abmelden")).click()
    expect(page).to_have_url(re.compile(r"/staff/login/"))
    _log_in(page, url)
    expect(page).to_have_url(f"{url}/staff/konto/zwei-faktor/anmelden/")
    audit_page(page, "auth totp code")
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Bestätigen").click()
    expect(page).to_have_url(f"{url}/staff/")

    actions = list(AuditEvent.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["login.failed", "login.succeeded", "mfa.enrolled", "logout", "login.succeeded"], actions
    context.close()
    assert foreign == []
