"""The opt-out links carry a token of their own that only unsubscribes (issue L)."""

from django.core import mail as django_mail
from django.test import Client

from invitations import credentials
from invitations.models import Invitation
from invitations.outbox import queueing

from .conftest import make_members


def _sent_invitation(survey, django_capture_on_commit_callbacks) -> tuple[Invitation, str]:
    make_members(1)
    with django_capture_on_commit_callbacks(execute=True):
        queueing.queue_invitations(survey)
    [sent] = django_mail.outbox
    return Invitation.objects.get(), sent.body


def test_the_mail_links_opt_out_without_the_questionnaire_token(survey, django_capture_on_commit_callbacks):
    invitation, body = _sent_invitation(survey, django_capture_on_commit_callbacks)
    token = credentials.optout_token(invitation.pk)
    assert f"/abmelden/{token}/" in body
    assert body.count(invitation.token) == 1  # the personal link itself, nowhere else
    assert token != invitation.token and invitation.token not in token
    # The opt-out token opens no questionnaire ...
    assert Client().get(f"/s/{token}/").status_code == 404
    # ... and the page reached through it shows no questionnaire link, before and after opting out.
    client = Client()
    page = client.get(f"/abmelden/{token}/")
    assert page.status_code == 200 and invitation.token not in page.content.decode()
    done = client.post(f"/abmelden/{token}/")
    assert done.status_code == 200 and invitation.token not in done.content.decode()
    assert "bleibt gültig" in done.content.decode()
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
    assert queueing.queue_reminders(survey) == 0


def test_one_click_with_the_opt_out_token(survey, django_capture_on_commit_callbacks):
    invitation, _body = _sent_invitation(survey, django_capture_on_commit_callbacks)
    url = f"/abmelden/{credentials.optout_token(invitation.pk)}/ein-klick/"
    reply = Client(enforce_csrf_checks=True).post(url, "List-Unsubscribe=One-Click",
                                                  content_type="application/x-www-form-urlencoded")
    assert reply.status_code == 200
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None


def test_an_altered_or_foreign_opt_out_token_is_not_found(survey, django_capture_on_commit_callbacks, settings):
    invitation, _body = _sent_invitation(survey, django_capture_on_commit_callbacks)
    token = credentials.optout_token(invitation.pk)
    other_pk = f"{invitation.pk + 1}.{token.split('.', 1)[1]}"  # someone else's id with this signature
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for forged in (other_pk, flipped, f"{invitation.pk}.", f"x{token}"):
        assert Client().get(f"/abmelden/{forged}/").status_code == 404, forged
    settings.SECRET_KEY, settings.TOKEN_SECRET = "another-secret-" * 4, ""
    assert credentials.optout_invitation_pk(token) is None
    invitation.refresh_from_db()
    assert invitation.opted_out_at is None


def test_links_in_mails_sent_before_still_opt_out(survey, django_capture_on_commit_callbacks):
    invitation, _body = _sent_invitation(survey, django_capture_on_commit_callbacks)
    page = Client().post(f"/abmelden/{invitation.token}/")
    assert page.status_code == 200
    invitation.refresh_from_db()
    assert invitation.opted_out_at is not None
