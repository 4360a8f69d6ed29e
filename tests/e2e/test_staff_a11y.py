"""Every staff page through tests/e2e/a11y.py (axe, control and button contrast, focus, reflow,
forced colours, text spacing) in German (full set, screenshots) and English (axe, contrast,
reflow); staff pages load no script, so they are the same with JavaScript off. And a
keyboard-only walk through the staff workflow with a visible focus indicator at every step.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from .a11y import audit_page

pytestmark = pytest.mark.browser

PASSWORD = "Test-Passwort-123"
BAD_REGISTER = (
    "ags;name;land;typ;einwohner;email;ansprechpartner\r\n"
    "05315000;Stadt Köln;Nordrhein-Westfalen;kreisfreie Stadt;1084831;info@koeln.example;\r\n"
    "123;;Atlantis;Dorf;viele;keine-adresse;\r\n"
)


@pytest.fixture
def staff_world(transactional_db, survey, make_invitation):
    """A survey with invited, opened, started, submitted and bounced members and a failed export."""
    from django.contrib.auth.models import User
    from django.utils import timezone

    from exports.models import ExportJob
    from invitations.models import Invitation, OutboxMessage
    from responses.models import Answer, Response, ResponseEvent
    from surveys.permissions import role_group

    survey.closes_on = None  # sending is offered only while the deadline (2013 in the definition) lies ahead
    survey.save(update_fields=["closes_on"])
    staff = User.objects.create_user("staff", "staff@example.org", PASSWORD)
    staff.groups.add(role_group("staff"))
    analyst = User.objects.create_user("analyst", "analyst@example.org", PASSWORD)
    analyst.groups.add(role_group("analyst"))
    invitations = [make_invitation(survey, ags=f"0531500{n}", name=f"Gemeinde Nummer {n}") for n in range(1, 6)]
    now = timezone.now()
    Invitation.objects.filter(pk__in=[i.pk for i in invitations[1:4]]).update(first_opened_at=now)
    Response.objects.create(survey=survey, invitation=invitations[2], status="started")
    submitted = Response.objects.create(survey=survey, invitation=invitations[3], status="submitted",
                                        submitted_at=now)
    # free texts to read: a long remark and an "other" text, and a history with a saved page
    remark = ("Die Fragen zu Seite 4 waren schwer zu beantworten, weil unsere Pressestelle und die IT getrennt "
              "arbeiten.\nZweite Zeile.")
    for code, variable, value in [("A1_bereich", "A1_bereich", "6"),
                                  ("A1_bereich", "A1_bereich_6_text", "Stabsstelle Digitalisierung"),
                                  ("H1_anmerkungen", "H1_anmerkungen", remark)]:
        Answer.objects.create(response=submitted, question=survey.questions.get(code=code), variable=variable,
                              value=value)
    ResponseEvent.objects.create(response=submitted, kind="saved", at=now, page_code="P1")
    for invitation in invitations[:4]:
        OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email="x@example.org",
                                     subject="Einladung", body_text="…", status="sent")
    OutboxMessage.objects.create(invitation=invitations[4], step="invitation", to_email="y@example.org",
                                 subject="Einladung", body_text="…", status="bounced", error="550 unbekannt")
    OutboxMessage.objects.create(invitation=invitations[4], step="resend-1", to_email="y@example.org",
                                 subject="Link", body_text="…", status="failed", error="421 später")
    # A failed job: pages of a running job reload themselves with <meta http-equiv="refresh">, which
    # axe rejects (WCAG 2.2.1) and tests/exports/test_views.py requires; see the report.
    job = ExportJob.objects.create(survey=survey, format="xlsx", status="failed", error="Testfehler")
    return {"survey": survey, "ags": invitations[4].member.ags, "job": job, "response": submitted}


def log_in(page, app_url: str, username: str = "staff") -> None:
    page.goto(f"{app_url}/staff/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()


# Staff pages load no script at all (asserted on every page below), so with JavaScript off they
# are the same DOM; the English run therefore keeps JavaScript on and axe runs directly.
VARIANTS = [pytest.param("de", True, id="de"), pytest.param("en", True, id="en")]


@pytest.mark.parametrize(("lang", "js"), VARIANTS)
def test_staff_pages(app_url, new_context, staff_world, tmp_path, lang, js):
    context = new_context(java_script_enabled=js)
    if lang != "de":
        context.add_cookies([{"name": "django_language", "value": lang, "url": app_url}])
    page = context.new_page()
    full = lang == "de"
    options = {"js": js, "screenshots": full, "quick": not full}
    slug, ags, job = staff_world["survey"].slug, staff_world["ags"], staff_world["job"]

    page.goto(f"{app_url}/staff/login/")
    audit_page(page, f"staff login {lang}", **options)
    log_in(page, app_url)
    expect(page).to_have_url(f"{app_url}/staff/")
    base = f"{app_url}/staff/befragungen/{slug}"
    pages = [
        ("survey list", f"{app_url}/staff/"),
        ("survey", f"{base}/"),
        ("field period", f"{base}/feldphase/"),
        ("close survey", f"{base}/status/schliessen/"),
        ("register upload", f"{app_url}/staff/register/"),
        ("send invitations", f"{base}/einladen/"),
        ("send reminders", f"{base}/erinnern/"),
        ("outbox", f"{base}/postausgang/"),
        ("dashboard", f"{base}/ruecklauf/"),
        ("members", f"{base}/mitglieder/"),
        ("member", f"{base}/mitglieder/{ags}/"),
        ("mark undeliverable", f"{base}/mitglieder/{ags}/unzustellbar/"),
        ("results", f"{base}/ergebnisse/"),
        ("exports", f"{base}/exporte/"),
        ("export", f"{app_url}/staff/exporte/{job.pk}/"),
        ("free texts", f"{base}/ergebnisse/freitexte/"),
        ("free text question", f"{base}/ergebnisse/freitexte/H1_anmerkungen/"),
        ("free text search", f"{base}/ergebnisse/freitexte/A1_bereich_6_text/?q=digital"),
        ("response", f"{base}/antworten/{staff_world['response'].pk}/"),
    ]
    for label, url in pages:
        response = page.goto(url)
        assert response.status == 200, (label, response.status)
        assert page.locator("script").count() == 0, f"{label}: staff pages work without JavaScript"
        audit_page(page, f"staff {label} {lang}", **options)

    bad = tmp_path / "register.csv"
    bad.write_text(BAD_REGISTER, encoding="utf-8")
    page.goto(f"{app_url}/staff/register/")
    page.locator("input[type=file]").set_input_files(str(bad))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#problems")).to_be_visible()
    audit_page(page, f"staff register check with errors {lang}", **options)

    # reopening a response without a reason: the form comes back with its error
    page.goto(f"{base}/antworten/{staff_world['response'].pk}/")
    with page.expect_navigation():
        page.locator("form[action$='wieder-oeffnen/'] button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_visible()
    audit_page(page, f"staff reopen without reason {lang}", **options)

    analyst = new_context(java_script_enabled=js)
    if lang != "de":
        analyst.add_cookies([{"name": "django_language", "value": lang, "url": app_url}])
    analyst_page = analyst.new_page()
    log_in(analyst_page, app_url, "analyst")
    response = analyst_page.goto(f"{base}/mitglieder/")
    assert response.status == 403
    expect(analyst_page.locator("h1")).to_contain_text("Berechtigung" if lang == "de" else "permission")
    audit_page(analyst_page, f"staff forbidden {lang}", **options)
    analyst_page.goto(f"{base}/antworten/{staff_world['response'].pk}/")
    expect(analyst_page.locator("form[action$='wieder-oeffnen/']")).to_have_count(0)  # analysts read only
    audit_page(analyst_page, f"staff response read-only {lang}", **options)


FOCUS_VISIBLE_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return "";  // focus left the page (browser UI): the next Tab comes back
  const s = getComputedStyle(el);
  const visible = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none";
  return visible ? "" : `${el.tagName} ${el.className} has the focus but no visible indicator`;
}"""


def tab_to(page, selector: str, limit: int = 80) -> None:
    """Tab until `selector` has the focus, checking the focus indicator of every element passed."""
    target = page.locator(selector).first
    if target.evaluate("el => el === document.activeElement"):  # autofocus
        return
    for _ in range(limit):
        page.keyboard.press("Tab")
        problem = page.evaluate(FOCUS_VISIBLE_JS)
        assert not problem, problem
        if target.evaluate("el => el === document.activeElement"):
            return
    pytest.fail(f"{selector} never received the focus with Tab")


def test_keyboard_only_staff_workflow(app_url, new_context, staff_world, tmp_path):
    """Log in, upload a register, send invitations, open the dashboard, request an export, download it."""
    from exports.models import ExportJob
    from exports.services import run_job
    from invitations.models import Member, OutboxMessage

    page = new_context(accept_downloads=True).new_page()
    slug = staff_world["survey"].slug
    page.goto(f"{app_url}/staff/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("staff")
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(f"{app_url}/staff/")

    tab_to(page, 'nav a[href="/staff/register/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    register = tmp_path / "register.csv"
    register.write_text(BAD_REGISTER.splitlines()[0] + "\r\n" + BAD_REGISTER.splitlines()[1]
                        .replace("05315000", "05315099") + "\r\n", encoding="utf-8")
    tab_to(page, "input[type=file]")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(register))
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, 'main form button[type=submit]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Member.objects.filter(ags="05315099").exists()

    page.goto(f"{app_url}/staff/befragungen/{slug}/")
    tab_to(page, f'main a[href="/staff/befragungen/{slug}/einladen/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "main form button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert OutboxMessage.objects.filter(invitation__member__ags="05315099", step="invitation").exists()

    tab_to(page, f'nav a[href="/staff/befragungen/{slug}/ruecklauf/"]')
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#kpi-rate")).to_be_visible()

    page.goto(f"{app_url}/staff/befragungen/{slug}/exporte/")
    tab_to(page, "main form[action$='/exporte/neu/'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    job = ExportJob.objects.exclude(pk=staff_world["job"].pk).get()
    run_job(job.pk)  # what the Celery worker does (the worker itself is tested in tests/exports)
    page.reload()
    tab_to(page, "main a[href$='/herunterladen/']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    path = Path(download.value.path())
    assert path.stat().st_size > 0
