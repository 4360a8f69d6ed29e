"""The pages "Zugriff" (roles of a survey, of all surveys) and "Protokoll" (the survey's audit trail) in
a real browser without JavaScript: an owner grants a role through the form, revokes it, and reads both
in the trail; every page through tests/e2e/a11y.py and axe at 1280 and 320 px."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .a11y import audit_page
from .conftest import check_accessibility

pytestmark = pytest.mark.browser

PASSWORD = "Test-Passwort-123"


@pytest.fixture
def people(transactional_db, survey):
    from django.contrib.auth.models import User

    from accounts import roles

    owner = User.objects.create_user("owner", "owner@example.org", PASSWORD)
    roles.grant(owner, roles.OWNER)  # on all surveys: the global page too
    User.objects.create_user("erika", "erika@example.org", PASSWORD)
    roles.grant(User.objects.create_user("viktor", "v@example.org", PASSWORD), roles.VIEWER, survey, by=owner)
    return owner


def _audit_both_widths(page, label: str) -> None:
    audit_page(page, label)
    page.set_viewport_size({"width": 320, "height": 640})
    check_accessibility(page, f"{label} at 320 px")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_roles_and_audit_pages(app_url, new_context, survey, people):
    page = new_context().new_page()  # staff pages load no script: the same as without JavaScript
    page.goto(f"{app_url}/staff/login/")
    page.locator("#id_username").fill("owner")
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()

    base = f"{app_url}/staff/befragungen/{survey.slug}"
    page.goto(f"{base}/")
    page.get_by_label("Bereiche dieser Befragung").get_by_role("link", name="Zugriff").click()
    expect(page).to_have_url(f"{base}/zugriff/")
    page.locator("#id_username").fill("erika")
    page.locator("#id_role").select_option("field")
    with page.expect_navigation():
        page.locator("main form button[type=submit]", has_text="Rolle vergeben").click()
    expect(page.locator("[role=status]")).to_contain_text("erika hat jetzt die Rolle „Feldarbeit“.")
    expect(page.locator("table")).to_contain_text("erika")
    # a refused grant: the error summary and the field say why
    page.locator("#id_username").fill("niemand")
    with page.expect_navigation():
        page.locator("main form button[type=submit]", has_text="Rolle vergeben").click()
    expect(page.locator("#error-summary")).to_contain_text("Es gibt kein Konto mit dem Benutzernamen „niemand“.")
    _audit_both_widths(page, "roles survey access")

    with page.expect_navigation():
        page.locator("tbody tr", has_text="viktor").get_by_role("button").click()
    expect(page.locator("[role=status]")).to_contain_text("viktor hat die Rolle „Nur Ergebnisse“ nicht mehr.")

    page.goto(f"{app_url}/staff/zugriff/")
    expect(page.locator("h1")).to_have_text("Zugriff auf alle Befragungen")
    assert page.locator("script").count() == 0
    _audit_both_widths(page, "roles global access")

    page.goto(f"{base}/protokoll/")
    table = page.locator("table")
    expect(table).to_contain_text("Rolle vergeben")
    expect(table).to_contain_text("Rolle entzogen")
    _audit_both_widths(page, "roles audit trail")
    page.locator("#id_ereignis").select_option("role_revoked")
    with page.expect_navigation():
        page.get_by_role("button", name="Filtern").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Als CSV herunterladen (gefiltert)").click()
    assert download.value.suggested_filename.startswith(f"protokoll-{survey.slug}-")
