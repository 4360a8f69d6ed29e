"""Each message as the recipient sees it, and the local mailbox used when no SMTP server is set."""

import pytest
from django.core import mail as django_mail
from django.urls import reverse

from invitations.mailtext.render import render_mail
from invitations.models import LocalMail, OutboxMessage
from invitations.outbox import mail, queueing
from invitations.outbox.mailbox import DatabaseBackend
from surveys.models import Survey

from .conftest import make_members

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.EMAIL_HOST = ""
    settings.SITE_URL = "https://befragung.example"
    settings.BOUNCE_DOMAIN = "bounces.kgst.example"
    settings.MAIL_RATE = 0
    settings.MAIL_RATE_PER_DOMAIN = 0


def test_without_smtp_mail_lands_in_the_local_mailbox(survey, settings, staff_client,
                                                      django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "invitations.outbox.mailbox.DatabaseBackend"
    make_members(2)
    with django_capture_on_commit_callbacks(execute=True):
        assert queueing.queue_invitations(survey) == 2
    assert django_mail.outbox == []  # not Django's test outbox: our backend took it
    stored = list(LocalMail.objects.all())
    assert len(stored) == 2
    message = OutboxMessage.objects.get(to_email=stored[0].to)
    assert stored[0].message_id == message.message_id
    assert b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in bytes(stored[0].raw)

    listing = staff_client.get(reverse("staff:local_mailbox")).content.decode()
    assert "Kein SMTP-Server eingerichtet" in listing and stored[0].to in listing
    detail = staff_client.get(reverse("staff:local_mail", args=[stored[0].pk])).content.decode()
    assert message.invitation.link() in detail and "Einladung zur Befragung" in detail
    html = staff_client.get(reverse("staff:local_mail_html", args=[stored[0].pk]))
    assert html.status_code == 200 and message.invitation.link().encode() in html.content
    assert html["Content-Security-Policy"].startswith("sandbox;") and html["X-Frame-Options"] == "SAMEORIGIN"
    outbox = staff_client.get(reverse("staff:outbox", args=[survey.slug])).content.decode()
    assert "im lokalen Postfach abgelegt" in outbox


def test_outbox_shows_each_message_with_envelope_and_headers(survey, staff_client,
                                                             django_capture_on_commit_callbacks):
    make_members(1)
    with django_capture_on_commit_callbacks(execute=True):
        queueing.queue_invitations(survey)
    message = OutboxMessage.objects.select_related("invitation").get()
    outbox = staff_client.get(reverse("staff:outbox", args=[survey.slug])).content.decode()
    url = reverse("staff:outbox_message", args=[survey.slug, message.pk])
    assert url in outbox
    page = staff_client.get(url).content.decode()
    escaped_id = message.message_id.replace("<", "&lt;").replace(">", "&gt;")
    for expected in (f"&lt;{mail.verp_address(message.pk)}&gt;", escaped_id,
                     "List-Unsubscribe=One-Click", f"{message.invitation.link()}",
                     message.invitation.access_code_display, "Einladung zur Befragung"):
        assert expected in page, expected
    html = staff_client.get(reverse("staff:outbox_message_html", args=[survey.slug, message.pk]))
    assert html.content.decode() == message.invitation.reveal(message.body_html)  # as the recipient sees it
    other = Survey.objects.create(slug="andere", title="Andere", status="open")
    assert staff_client.get(reverse("staff:outbox_message", args=[other.slug, message.pk])).status_code == 404


def test_the_backend_signs_what_it_stores(survey, settings, tmp_path):
    import subprocess

    key = tmp_path / "k.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    settings.DKIM_PRIVATE_KEY_PATH, settings.DKIM_SELECTOR, settings.DKIM_DOMAIN = str(key), "s", "kgst.example"
    make_members(1)
    from invitations.models import Invitation, Member

    invitation = Invitation.objects.create(survey=survey, member=Member.objects.get())
    rendered = render_mail(invitation, "invitation")
    message = OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email="a@b.example",
                                           subject=rendered.subject, body_text=rendered.body_text,
                                           body_html=rendered.body_html, message_id=mail.new_message_id())
    assert DatabaseBackend().send_messages([mail.build_email(message)]) == 1
    assert bytes(LocalMail.objects.get().raw).startswith(b"DKIM-Signature:")


def test_the_local_mailbox_is_paged_newest_first(staff_client):
    LocalMail.objects.bulk_create(LocalMail(to=f"m{i}@beispiel.example", subject=f"Mail {i:02d}", raw=b"x")
                                  for i in range(55))
    first = staff_client.get(reverse("staff:local_mailbox")).content.decode()
    assert first.count("@beispiel.example") == 50 and 'aria-label="Seiten des lokalen Postfachs"' in first
    second = staff_client.get(reverse("staff:local_mailbox") + "?seite=2").content.decode()
    assert second.count("@beispiel.example") == 5 and "m4@beispiel.example" in second  # the oldest five
    assert staff_client.get(reverse("staff:local_mailbox") + "?seite=abc").status_code == 200
