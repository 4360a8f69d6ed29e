"""The staff pages of sending and bounces in a real browser, with axe-core, at 1280 and 320 px:
the send page with its counts, the outbox, one message as the recipient sees it, the local
mailbox, a member with a bounced address, the dashboard; and the one-click opt-out page.
"""

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from accounts import roles
from invitations.models import Invitation, Member, OutboxMessage
from invitations.outbox import mail, plan, queueing
from invitations.outbox.mailbox import DatabaseBackend

from .conftest import check_accessibility, screenshot

PASSWORD = "Test-Passwort-123"


@pytest.fixture
def mail_world(app_url, survey, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_HOST = ""
    settings.MAIL_RATE = settings.MAIL_RATE_PER_DOMAIN = 0
    user = User.objects.create_user("staff-mail", "staff@example.org", PASSWORD)
    roles.grant(user, roles.OWNER)
    members = Member.objects.bulk_create([
        Member(ags=f"0531{i:04d}", name=f"Gemeinde Beispiel {i}", land="Nordrhein-Westfalen", typ="Gemeinde",
               einwohner=8000 + i, groessenklasse=1, email=f"rathaus{i}@beispiel{i}.example")
        for i in range(4)])
    with django_capture_on_commit_callbacks(execute=True):
        queueing.queue_invitations(survey)
    message = OutboxMessage.objects.select_related("invitation").order_by("pk").first()
    DatabaseBackend().send_messages([mail.build_email(message)])
    Member.objects.filter(pk=members[0].pk).update(
        email_bounced=True, bounced_at=timezone.now(),
        bounce_reason="5.1.1 <rathaus0@beispiel0.example>: Recipient address rejected: User unknown")
    OutboxMessage.objects.filter(pk=message.pk).update(status="bounced", error="bounced: 5.1.1 User unknown")
    plan.set_reminder_plan(survey, [14, 28])
    Member.objects.create(ags="05319999", name="Neue Gemeinde", land="Bayern", typ="Gemeinde", einwohner=900,
                          groessenklasse=1, email="neu@neu.example")
    return {"survey": survey, "message": message, "member": members[0]}


def login(page, app_url):
    page.goto(f"{app_url}/staff/login/")
    page.fill("#id_username", "staff-mail")
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{app_url}/staff/**")


@pytest.mark.parametrize("width", [1280, 320])
def test_staff_mail_pages_are_accessible(app_url, new_context, mail_world, width):
    page = new_context(viewport={"width": width, "height": 900}).new_page()
    login(page, app_url)
    slug = mail_world["survey"].slug
    message = mail_world["message"]
    from invitations.models import LocalMail

    local = LocalMail.objects.get()
    pages = {
        "send": f"/staff/befragungen/{slug}/einladen/",
        "outbox": f"/staff/befragungen/{slug}/postausgang/",
        "message": f"/staff/befragungen/{slug}/postausgang/{message.pk}/",
        "local-mailbox": "/staff/postfach/",
        "local-mail": f"/staff/postfach/{local.pk}/",
        "member": f"/staff/befragungen/{slug}/mitglieder/{mail_world['member'].ags}/",
        "dashboard": f"/staff/befragungen/{slug}/ruecklauf/",
        "reminder-plan": f"/staff/befragungen/{slug}/erinnerungsplan/",
    }
    for name, path in pages.items():
        response = page.goto(app_url + path)
        assert response.status == 200, (name, response.status)
        check_accessibility(page, name)
        screenshot(page, f"staff-mail-{name}-{width}")
    page.goto(app_url + pages["send"])
    assert page.locator("#send-count").inner_text() == "Es wird 1 Einladung versendet."
    assert "4 sind bereits eingeladen." in page.locator("#not-sent").inner_text()
    page.goto(app_url + pages["message"])
    headers = page.locator("#mail-headers").inner_text()
    assert "List-Unsubscribe-Post" in headers and "ein-klick" in headers
    frame = page.frame_locator("iframe.mail-frame")
    assert "Zum Fragebogen" in frame.locator("body").inner_text()
    page.goto(app_url + pages["member"])
    assert "User unknown" in page.locator("main").inner_text()
    # The reminder plan form, with a mistake first (the error is shown next to the field).
    page.goto(app_url + pages["reminder-plan"])
    page.fill("#id_plan", "14, morgen")
    page.get_by_role("button", name="Plan speichern").click()
    assert "„morgen“ ist weder eine Zahl von Tagen noch ein Datum" in page.locator("main").inner_text()
    check_accessibility(page, "reminder plan with an error")
    screenshot(page, f"staff-mail-reminder-plan-error-{width}")
    page.fill("#id_plan", "14, 21")
    page.get_by_role("button", name="Plan speichern").click()
    assert "21 Tage nach der Einladung" in page.locator("#plan").inner_text()


def test_one_click_link_opened_in_a_browser(app_url, page, mail_world):
    invitation = Invitation.objects.first()
    page.goto(f"{app_url}/abmelden/{invitation.token}/ein-klick/")
    assert page.url == f"{app_url}/abmelden/{invitation.token}/"
    check_accessibility(page, "opt-out via one-click link")
    page.get_by_role("button", name="Keine Erinnerungen mehr senden").click()
    assert "keine Erinnerungen mehr" in page.locator("main").inner_text()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
