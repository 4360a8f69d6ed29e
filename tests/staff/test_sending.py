"""Buttons "Einladungen versenden" / "Erinnerungen versenden" and the outbox overview."""

import re

import pytest
from django.urls import reverse

from invitations.models import Invitation, OutboxMessage

from .conftest import make_survey

pytestmark = pytest.mark.django_db


def _count_shown(response) -> int:
    match = re.search(r'id="send-count">[^0-9]*(\d+)', response.content.decode())
    assert match, response.content.decode()
    return int(match.group(1))


def test_invitations_confirm_then_queue(staff_client, dataset):
    url = reverse("staff:send_invitations", args=[dataset.survey.slug])
    # b2 and h1 have no invitation; the seven invited ones already have their invitation message
    assert _count_shown(staff_client.get(url)) == 2
    assert not OutboxMessage.objects.filter(invitation__member=dataset.members.b2).exists()  # GET sends nothing

    response = staff_client.post(url, follow=True)
    assert "2 Einladungen wurden in die Warteschlange gestellt." in response.content.decode()
    assert Invitation.objects.filter(survey=dataset.survey).count() == 9
    queued = OutboxMessage.objects.filter(invitation__survey=dataset.survey, step="invitation", status="queued")
    assert {m.invitation.member.ags for m in queued} == {dataset.members.b2.ags, dataset.members.h1.ags}
    assert {m.created_by for m in queued} == {"staff"}

    again = staff_client.post(url, follow=True)
    assert "alle Mitglieder des Registers sind bereits eingeladen" in again.content.decode()
    assert OutboxMessage.objects.filter(invitation__survey=dataset.survey, step="invitation").count() == 9


def test_reminders_confirm_then_queue(staff_client, dataset):
    url = reverse("staff:send_reminders", args=[dataset.survey.slug])
    # sent invitation, not submitted, not opted out: m1, m2, m3 (m5 bounced, m4/b1 submitted, b3 opted out)
    assert _count_shown(staff_client.get(url)) == 3
    response = staff_client.post(url, follow=True)
    assert "3 Erinnerungen wurden in die Warteschlange gestellt." in response.content.decode()
    reminded = OutboxMessage.objects.filter(step="reminder-1").values_list("invitation__member__ags", flat=True)
    m = dataset.members
    assert set(reminded) == {m.m1.ags, m.m2.ags, m.m3.ags}
    # a double click does not remind twice
    staff_client.post(url)
    assert OutboxMessage.objects.filter(step__startswith="reminder-").count() == 3


@pytest.mark.parametrize("status", ["draft", "closed"])
@pytest.mark.parametrize("name", ["send_invitations", "send_reminders"])
def test_no_mail_unless_open(staff_client, make_invitation, status, name):
    survey = make_survey(slug="zu", status=status)
    make_invitation(survey)
    response = staff_client.post(reverse(f"staff:{name}", args=[survey.slug]), follow=True)
    assert "nur versendet werden, solange die Befragung offen ist" in response.content.decode()
    assert not OutboxMessage.objects.exists()
    assert staff_client.get(reverse(f"staff:{name}", args=[survey.slug])).status_code == 302


def test_outbox_counts_and_failures(staff_client, dataset):
    OutboxMessage.objects.create(invitation=dataset.invitations.m1, step="reminder-1", to_email="a@example.org",
                                 subject="Erinnerung", body_text="...", status="failed",
                                 error="554 5.7.1 relay access denied")
    OutboxMessage.objects.create(invitation=dataset.invitations.m2, step="reminder-1", to_email="b@example.org",
                                 subject="Erinnerung", body_text="...", status="queued")
    response = staff_client.get(reverse("staff:outbox", args=[dataset.survey.slug]))
    html = response.content.decode()
    assert response.status_code == 200
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', html))
    assert counts == {"queued": "1", "sending": "0", "sent": "6", "failed": "1", "bounced": "1"}
    assert "554 5.7.1 relay access denied" in html and "550 mailbox unknown" in html
    assert "Älteste noch wartende Nachricht" in html
    # messages of the other survey are not counted
    assert "Hessendorf" not in html


def test_sending_shows_its_progress_in_the_outbox(staff_client, dataset):
    """After "Einladungen versenden" the outbox follows the worker: a live status while mails wait."""
    response = staff_client.post(reverse("staff:send_invitations", args=[dataset.survey.slug]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:outbox", args=[dataset.survey.slug])
    page = response.content.decode()
    assert "2 Einladungen wurden in die Warteschlange gestellt." in page
    assert "data-live-status" in page and 'data-live-progress' in page
    status = staff_client.get(reverse("staff:outbox_status", args=[dataset.survey.slug])).json()
    waiting = OutboxMessage.objects.filter(invitation__survey=dataset.survey, status="queued").count()
    total = OutboxMessage.objects.filter(invitation__survey=dataset.survey).count()
    assert status["active"] and status["progress"] == round(100 * (total - waiting) / total)
    assert f"{total - waiting} von {total} Nachrichten verarbeitet, {waiting} warten" in status["text"]

    OutboxMessage.objects.filter(invitation__survey=dataset.survey).update(status="sent")
    done = staff_client.get(reverse("staff:outbox_status", args=[dataset.survey.slug])).json()
    assert not done["active"] and done["state"] != status["state"]
    outbox = staff_client.get(reverse("staff:outbox", args=[dataset.survey.slug])).content.decode()
    assert "data-live-status" not in outbox
