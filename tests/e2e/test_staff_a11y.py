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

    from accounts import roles
    from exports.models import ExportJob
    from invitations.models import Invitation, OutboxMessage
    from responses.models import Answer, Response, ResponseEvent

    survey.closes_on = None  # sending is offered only while the deadline (2013 in the definition) lies ahead
    survey.save(update_fields=["closes_on"])
    staff = User.objects.create_user("staff", "staff@example.org", PASSWORD)
    roles.grant(staff, roles.OWNER)
    analyst = User.objects.create_user("analyst", "analyst@example.org", PASSWORD)
    roles.grant(analyst, roles.ANALYST)
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
    # A failed job: pages of running work carry the polling script (staff/_live_status.html), and these
    # pages are checked to load none; running work is audited in test_editor_texts_preview_and_analysis_pages.
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
        ("results report", f"{base}/ergebnisse/bericht/"),
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

    # the other two lifecycle steps ask for confirmation too; each is offered only in its source state
    from surveys.models import Survey
    for status, action in [(Survey.Status.DRAFT, "oeffnen"), (Survey.Status.CLOSED, "wieder-oeffnen")]:
        Survey.objects.filter(pk=staff_world["survey"].pk).update(status=status)
        response = page.goto(f"{base}/status/{action}/")
        assert response.status == 200, (action, response.status)
        expect(page.locator("main form button[type=submit]")).to_be_visible()
        audit_page(page, f"staff survey {action} {lang}", **options)
    Survey.objects.filter(pk=staff_world["survey"].pk).update(status=Survey.Status.OPEN)

    good = tmp_path / "register-ok.csv"
    good.write_text(BAD_REGISTER.splitlines()[0] + "\r\n" + BAD_REGISTER.splitlines()[1] + "\r\n", encoding="utf-8")
    page.goto(f"{app_url}/staff/register/")
    page.locator("input[type=file]").set_input_files(str(good))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#problems")).to_have_count(0)
    expect(page.locator("main form button[type=submit]")).to_be_visible()  # the import of the valid rows
    audit_page(page, f"staff register check of a valid file {lang}", **options)

    # a bad export request (an unknown filter variable, no format): the list comes back with the errors
    page.goto(f"{base}/exporte/")
    form = page.locator("main form[action$='/exporte/neu/']")
    form.evaluate("""f => { f.noValidate = true;
                            f.insertAdjacentHTML('beforeend', '<input type=hidden name=filter value=gibt-es-nicht>');
                            f.querySelectorAll('[name=format]').forEach(r => { r.checked = false; }); }""")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.locator("#error-summary")).to_contain_text("gibt-es-nicht")
    target = page.locator("#error-summary a").get_attribute("href")  # the format: to its first choice
    expect(page.locator(f"main form {target}[type=radio]")).to_have_count(1)
    expect(page.locator("#format-error")).to_be_visible()
    audit_page(page, f"staff exports with errors {lang}", **options)

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
    # the questionnaire editor read-only: no form to change anything (the question forms are staff only)
    p2 = staff_world["survey"].pages.get(code="P2")
    for label, url in [("editor overview", f"{base}/fragebogen/"),
                       ("editor page", f"{base}/fragebogen/seiten/{p2.pk}/")]:
        response = analyst_page.goto(url)
        assert response.status == 200, (label, response.status)
        expect(analyst_page.locator("main form[method=post]")).to_have_count(0)
        expect(analyst_page.locator("main")).not_to_contain_text("zu bearbeiten" if lang == "de" else "to edit")
        audit_page(analyst_page, f"staff {label} read-only {lang}", **options)


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
    from exports.jobs.exportjob import run_job
    from exports.models import ExportJob
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


@pytest.fixture
def analysis_world(staff_world):
    """staff_world plus answers to cross-tabulate and weigh, and a second wave to compare with."""
    import copy

    from harness.answer_data import insert_plans
    from surveys.definition.read import read_definition
    from surveys.definition.sync import sync_survey
    from surveys.definition.validate import validate_definition
    from surveys.structure import get_structure
    from tests.exports.conftest import make_plans

    survey = staff_world["survey"]
    structure = get_structure(survey)
    insert_plans(survey, structure, make_plans(structure, 4, 30, 0.1))
    data = copy.deepcopy(read_definition("surveys/definitions/kgst-social-media-2013.yaml"))
    data["slug"], data["title"] = "kgst-social-media-2016", "Social Media 2016"
    wave = sync_survey(validate_definition(data)).survey
    insert_plans(wave, get_structure(wave), make_plans(get_structure(wave), 5, 20, 0.0))
    return {**staff_world, "wave": wave}


def _submit(page, selector: str = "main form [type=submit]") -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


# The pages of the questionnaire editor, the survey's texts and e-mails, new surveys, waves and uploads, the
# staff preview and the printable questionnaire (issue F), the analysts' table pages (issue G), the e-mail pages
# and the pages of work in progress. German with JavaScript runs every check (and the screenshots); English
# without JavaScript runs axe, contrast and reflow, and every check where the page has a script of its own
# (the preview's follow-up questions, the status of work in progress): so those are seen with and without it.
FG_VARIANTS = [pytest.param("de", True, id="de-js"), pytest.param("en", False, id="en-nojs")]


@pytest.mark.parametrize(("lang", "js"), FG_VARIANTS)
def test_editor_texts_preview_and_analysis_pages(app_url, new_context, analysis_world, tmp_path, lang, js):
    from exports.jobs.results import compute_results
    from exports.models import ExportJob, ResultSet
    from invitations.models import OutboxMessage
    from surveys.models import Question
    from tests.surveys import kgst_xlsform

    context = new_context(java_script_enabled=js)
    if lang != "de":
        context.add_cookies([{"name": "django_language", "value": lang, "url": app_url}])
    page = context.new_page()
    full = lang == "de"
    tag = f"{lang}-{'js' if js else 'nojs'}"

    def audit(label: str, *, scripted: bool = False) -> None:
        audit_page(page, f"staff {label} {tag}", js=js, screenshots=full, quick=not (full or scripted))

    def visit(label: str, url: str, *, scripted: bool = False, status: int = 200) -> None:
        response = page.goto(url)
        assert response.status == status, (label, response.status)
        audit(label, scripted=scripted)

    survey = analysis_world["survey"]
    log_in(page, app_url)
    base = f"{app_url}/staff/befragungen/{survey.slug}"
    editor = f"{base}/fragebogen"
    p2 = survey.pages.get(code="P2")
    single = Question.objects.get(survey=survey, code="A1_bereich")
    matrix = Question.objects.get(survey=survey, code="C1")
    multi = Question.objects.get(survey=survey, code="B2_zweck")

    # issue F: the questionnaire editor
    for label, url in [
        ("editor overview", f"{editor}/"),
        ("editor page", f"{editor}/seiten/{p2.pk}/"),
        ("editor new page form", f"{editor}/seiten/neu/"),
        ("editor page form", f"{editor}/seiten/{p2.pk}/bearbeiten/"),
        ("editor question type", f"{editor}/seiten/{p2.pk}/fragen/neu/"),
        ("editor new matrix question", f"{editor}/seiten/{p2.pk}/fragen/neu/?typ=matrix"),
        ("editor question form with options", f"{editor}/fragen/{single.pk}/"),
        ("editor question form with rows", f"{editor}/fragen/{matrix.pk}/"),
        ("editor question form multiple choice", f"{editor}/fragen/{multi.pk}/"),
        ("editor delete question", f"{editor}/fragen/{multi.pk}/loeschen/"),
        ("editor delete page", f"{editor}/seiten/{p2.pk}/loeschen/"),
        ("editor history", f"{editor}/aenderungen/"),
    ]:
        visit(label, url)
    page.goto(f"{editor}/fragen/{single.pk}/")
    page.locator("#id_code").fill("9falsch")
    page.locator("#id_condition").fill("A2_beschaeftigte > 5 and")
    _submit(page, "main form button[name=speichern]")
    expect(page.locator("#error-summary")).to_be_visible()
    audit("editor question form with errors")
    page.goto(f"{editor}/fragen/{single.pk}/")
    _submit(page, "main form button[name=mehr_zeilen]")  # more empty option lines
    audit("editor question form with more option lines")

    # issue F: texts, e-mail texts with preview, branding
    visit("survey texts", f"{base}/texte/")
    page.locator("#id_title").fill("")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("survey texts with an error")
    visit("e-mail texts", f"{base}/email-texte/")
    page.locator("#id_invitation_body").fill("Hallo {stadt}, {link}")
    _submit(page, "main form button[value=vorschau]")
    expect(page.locator("#error-summary")).to_be_visible()
    audit("e-mail texts with an error")
    page.locator("#id_invitation_body").fill("Hallo {kommune},\n\nhier entlang: {link}")
    _submit(page, "main form button[value=vorschau]")
    expect(page.locator(".mail-preview").first).to_contain_text("hier entlang")
    audit("e-mail texts preview")
    visit("organisation and logo", f"{base}/organisation/")

    # issue F: new survey, new wave, upload with its report
    visit("new survey", f"{app_url}/staff/neue-befragung/")
    page.locator("#id_title").fill("Digitalisierung")
    page.locator("#id_slug").fill("Falsch Geschrieben")
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("new survey with an error")
    visit("new wave", f"{base}/neue-welle/")
    visit("upload a questionnaire", f"{app_url}/staff/neue-befragung/hochladen/")
    bad = tmp_path / "fehler.xlsx"
    bad.write_bytes(kgst_xlsform.workbook_bytes(survey=[
        ["begin_group", "P1", "Seite"], ["geopoint", "ort", "Wo?"], ["end_group"]], choices=[]))
    page.set_input_files("#id_file", str(bad))
    _submit(page)
    expect(page.locator("#error-summary")).to_be_visible()
    audit("upload report with errors")
    page.goto(f"{app_url}/staff/neue-befragung/hochladen/")
    good = tmp_path / "kgst.xlsx"
    good.write_bytes(kgst_xlsform.workbook_bytes())
    page.set_input_files("#id_file", str(good))
    _submit(page)
    expect(page.locator("#count-questions")).to_have_text("20")
    audit("upload report of a valid file")

    # issue F: the staff preview (its questionnaire pages run the follow-up script) and the printable version
    visit("preview start", f"{base}/vorschau/")
    visit("preview privacy", f"{base}/vorschau/datenschutz/")
    visit("preview page P1", f"{base}/vorschau/seite/P1/", scripted=True)
    page.locator("#id_A2_beschaeftigte").fill("0")
    _submit(page, "main form button[value=weiter]")
    audit("preview page with an error", scripted=True)
    visit("preview page P2 follow-up questions", f"{base}/vorschau/seite/P2/", scripted=True)
    visit("preview review", f"{base}/vorschau/pruefen/")
    _submit(page, "main form button[value=absenden]")
    audit("preview end")
    visit("printable questionnaire", f"{base}/druckfassung/")

    # issue G: cross-tabs (with a filter that asks for its values), representativeness, waves, minimum base
    visit("crosstabs", f"{base}/ergebnisse/kreuztabellen/")
    visit("crosstabs choose filter values", f"{base}/ergebnisse/kreuztabellen/?by=B1_nutzung&filter=groessenklasse")
    visit("crosstabs filtered", f"{base}/ergebnisse/kreuztabellen/?by=B1_nutzung&filter=groessenklasse"
          "&values=1&values=2&values=3")
    visit("crosstabs with an error", f"{base}/ergebnisse/kreuztabellen/?by=gibt-es-nicht", status=400)
    visit("representativeness", f"{base}/ergebnisse/repraesentativitaet/")
    visit("wave comparison", f"{base}/ergebnisse/wellen/?vergleich={analysis_world['wave'].slug}")
    visit("wave comparison choice", f"{base}/ergebnisse/wellen/")
    computed = ResultSet.objects.create(survey=survey)
    compute_results(computed.pk)  # what the Celery worker does
    visit("results with tables", f"{base}/ergebnisse/")
    page.locator("#id_min_base").fill("0")
    _submit(page, "main form[action$='/mindestbasis/'] button[type=submit]")
    expect(page.locator(".messages .alert-danger")).to_be_visible()
    audit("minimum base with an error")

    # e-mail pages (issue E) on the way: a message of the outbox, the reminder plan, the local mailbox
    message = OutboxMessage.objects.filter(invitation__survey=survey).first()
    visit("outbox message", f"{base}/postausgang/{message.pk}/")
    visit("reminder plan", f"{base}/erinnerungsplan/")
    visit("local mailbox empty", f"{app_url}/staff/postfach/")
    # a real invitation mail (both parts) in the outbox and in the local mailbox, and its HTML body as framed
    from invitations.mailtext.render import render_mail
    from invitations.models import LocalMail
    from invitations.outbox import mail
    from invitations.outbox.mailbox import DatabaseBackend
    rendered = render_mail(message.invitation, "invitation")
    message = OutboxMessage.objects.create(
        invitation=message.invitation, step="reminder-1", to_email="rathaus@beispiel.example",
        subject=rendered.subject, body_text=rendered.body_text, body_html=rendered.body_html,
        message_id=mail.new_message_id())
    DatabaseBackend().send_messages([mail.build_email(message)])
    local = LocalMail.objects.get()
    for label, url in [("outbox message with HTML", f"{base}/postausgang/{message.pk}/"),
                       ("outbox message HTML body", f"{base}/postausgang/{message.pk}/html/"),
                       ("local mailbox", f"{app_url}/staff/postfach/"),
                       ("local mail", f"{app_url}/staff/postfach/{local.pk}/"),
                       ("local mail HTML body", f"{app_url}/staff/postfach/{local.pk}/html/")]:
        if label.endswith("HTML body"):
            # served into the page's iframe under a CSP sandbox that runs no script, so axe (which needs timers)
            # checks a copy of its DOM, as on the pages without JavaScript
            response = page.goto(url)
            assert response.status == 200, (label, response.status)
            expect(page.get_by_role("link", name="Zum Fragebogen")).to_be_visible()
            audit_page(page, f"staff {label} {tag}", js=False, screenshots=full, quick=not full)
        else:
            visit(label, url)
            expect(page.locator("main")).to_contain_text(rendered.subject)
            if label != "local mailbox":  # the message pages frame the HTML body audited next
                expect(page.locator("iframe.mail-frame")).to_have_attribute("src", url.removeprefix(app_url) + "html/")

    # work in progress: a status and a link instead of a timed refresh; with JavaScript the status is polled
    ResultSet.objects.create(survey=survey, status=ResultSet.Status.RUNNING, include_partial=True)
    job = ExportJob.objects.create(survey=survey, format="csv", status="running", progress=30)
    for label, url in [("results being computed", f"{base}/ergebnisse/?teilantworten=1"),
                       ("exports running", f"{base}/exporte/"),
                       ("export running", f"{app_url}/staff/exporte/{job.pk}/")]:
        page.goto(url)
        assert page.locator('meta[http-equiv="refresh"]').count() == 0
        expect(page.locator("[data-live-status] [aria-live=polite]")).to_be_visible()
        expect(page.locator("[data-live-reload]")).to_be_visible()
        audit(label, scripted=True)


def test_work_in_progress_updates_without_reload_or_focus_move(app_url, new_context, staff_world):
    """With JavaScript: the status is polled and announced; when the work is done the content is replaced
    in place (no navigation), the focus stays where it was and what was chosen in a form stays chosen."""
    from exports.jobs.exportjob import run_job
    from exports.jobs.results import compute_results
    from exports.models import ExportJob, ResultSet

    survey = staff_world["survey"]
    page = new_context().new_page()
    log_in(page, app_url)
    base = f"{app_url}/staff/befragungen/{survey.slug}"

    running = ResultSet.objects.create(survey=survey, status=ResultSet.Status.QUEUED)
    page.goto(f"{base}/ergebnisse/")
    status = page.locator("[data-live-status] [aria-live=polite]")
    expect(status).to_have_text("Die Berechnung der Ergebnisse wartet auf ihren Start.")
    expect(page.locator("[data-live-auto]")).to_be_visible()  # the script says it polls
    expect(page.locator("[data-live-manual]")).to_be_hidden()
    page.evaluate("() => { window.notReloaded = true; }")
    tab = page.locator("main a.nav-link[href$='/kreuztabellen/']")
    tab.focus()
    compute_results(running.pk)  # what the Celery worker does
    expect(page.locator("#q-B1_nutzung")).to_be_visible(timeout=15_000)
    expect(status).to_contain_text("Die Berechnung ist abgeschlossen. Die Seite zeigt jetzt den neuen Stand.")
    assert page.evaluate("() => window.notReloaded") is True
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == tab.get_attribute("href")
    assert page.locator("[data-live-status]").count() == 1
    audit_page(page, "staff results computed while watching de-js", screenshots=False, quick=True)

    job = ExportJob.objects.create(survey=survey, format="csv")
    page.goto(f"{base}/exporte/")
    page.locator("input[name=format][value=sav]").check()  # someone is choosing the next export
    page.evaluate("() => { window.notReloaded = true; }")
    run_job(job.pk)
    row = page.locator(f"#export-list a[href='/staff/exporte/{job.pk}/']").locator("xpath=ancestor::tr")
    expect(row).to_contain_text("Fertig", timeout=15_000)
    expect(page.locator("[data-live-status] [aria-live=polite]")).to_contain_text("Alle Exporte sind abgeschlossen.")
    assert page.locator("input[name=format][value=sav]").is_checked()
    assert page.evaluate("() => window.notReloaded") is True

    job = ExportJob.objects.create(survey=survey, format="csv", status="running", progress=10)
    page.goto(f"{app_url}/staff/exporte/{job.pk}/")
    expect(page.locator("#job-progress-text")).to_have_text("10 %")
    ExportJob.objects.filter(pk=job.pk).update(progress=60)
    expect(page.locator("#job-progress-text")).to_have_text("60 %", timeout=15_000)  # in place
    expect(page.locator("[data-live-status] [aria-live=polite]")).to_have_text("Der Export wird erstellt: 60 %.")
    assert page.locator("progress").evaluate("el => el.value") == 60
    ExportJob.objects.filter(pk=job.pk).update(status="queued", progress=0)
    run_job(job.pk)
    expect(page.locator("main a[href$='/herunterladen/']")).to_be_visible(timeout=15_000)
    expect(page.locator("#job-status")).to_have_text("Fertig")


def test_work_in_progress_without_javascript(app_url, new_context, staff_world):
    """Without JavaScript the page says it does not refresh itself and offers the link that does."""
    from exports.jobs.results import compute_results
    from exports.models import ResultSet

    survey = staff_world["survey"]
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, app_url)
    running = ResultSet.objects.create(survey=survey, status=ResultSet.Status.QUEUED)
    page.goto(f"{app_url}/staff/befragungen/{survey.slug}/ergebnisse/")
    expect(page.locator("[data-live-manual]")).to_contain_text("aktualisiert sich nicht von selbst")
    expect(page.locator("[data-live-auto]")).to_be_hidden()
    expect(page.locator("[data-live-status] [aria-live=polite]")).to_have_text(
        "Die Berechnung der Ergebnisse wartet auf ihren Start.")
    compute_results(running.pk)
    with page.expect_navigation():
        page.get_by_role("link", name="Status aktualisieren").click()
    expect(page.locator("#q-B1_nutzung")).to_be_visible()
    assert page.locator("[data-live-status]").count() == 0
