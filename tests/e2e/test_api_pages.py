"""The staff page "API-Schlüssel" (with a new key shown) and the API documentation page through the
full accessibility audit (axe 0 violations, reflow at 320 px, …), with screenshots at 1280 and 320 px."""

from __future__ import annotations

import pytest

from .a11y import audit_page
from .test_staff_a11y import PASSWORD, log_in

pytestmark = pytest.mark.browser


def test_keys_and_docs_pages(app_url, new_context, kgst_survey):
    from django.contrib.auth.models import User

    from accounts import roles
    from exports.models import ApiKey

    roles.grant(User.objects.create_user("staff", "staff@example.org", PASSWORD), roles.OWNER)
    page = new_context().new_page()
    log_in(page, app_url)
    page.goto(f"{app_url}/staff/api-schluessel/")
    page.get_by_label("Bezeichnung").fill("Power BI Auswertung")
    page.get_by_label("Befragung").select_option(kgst_survey.slug)
    with page.expect_navigation():
        page.get_by_role("button", name="Schlüssel erstellen").click()
    key = ApiKey.objects.get()
    assert page.locator("#new-key-value").input_value().startswith(f"rl_{key.prefix}_")
    assert page.evaluate("document.scripts.length") == 0
    audit_page(page, "api-keys")

    page.get_by_role("link", name="Dokumentation der REST-API").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="GET /api/v1/surveys/{slug}/responses/").is_visible()
    assert page.evaluate("document.scripts.length") == 0
    audit_page(page, "api-docs")
