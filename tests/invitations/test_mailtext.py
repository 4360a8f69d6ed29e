"""The survey's own e-mail texts: placeholder check, rendering, staff form with preview, deadline refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from invitations.credentials import optout_token
from invitations.mailtext import texts
from invitations.mailtext.render import render_mail
from invitations.models import Invitation, Member, OutboxMessage
from invitations.outbox.queueing import SendingRefused, check_sendable
from surveys.models import SurveyChange

from .conftest import make_members

pytestmark = pytest.mark.django_db

BODY = "Guten Tag,\n\n{kommune} ist eingeladen: {link}\nCode {zugangscode}, bis {frist}. Fragen: {kontakt}\n" \
       "Abmelden: {abmeldelink}"


def test_unknown_placeholder_is_named():
    problems = texts.problems("Hallo {gemeinde} und {kommune} {Link}", require_link=True)
    assert problems[0].startswith("Unbekannter Platzhalter: {gemeinde}, {Link}. Erlaubt sind: {kommune}")
    assert "Der Text muss den persönlichen Link enthalten: Bitte fügen Sie {link} ein." in problems[1]


def test_lone_brace_and_escaped_braces():
    assert "steht allein" in texts.problems("Preis {link")[0]
    assert texts.problems("{{kein Platzhalter}} {link}", require_link=True) == []
    assert texts.fill("{{x}} {link}", {"link": "L"}) == "{x} L"


def test_fill_never_reaches_into_objects():
    assert texts.problems("{kommune.__class__}") and texts.problems("{0}")
    with pytest.raises(texts.MailTextError):
        texts.fill("{kommune.__class__}", {"kommune": "X"})


def _invitation(survey, **member):
    member = Member.objects.create(ags=member.pop("ags", "05315000"), name=member.pop("name", "Stadt Köln"),
                                   land="Nordrhein-Westfalen", typ="Stadt", einwohner=1_000_000,
                                   email="rathaus@koeln.example", **member)
    return Invitation.objects.create(survey=survey, member=member)


def test_own_invitation_text_is_filled_with_the_members_data(survey):
    survey.invitation_subject = "Ihre Einladung, {kommune}"
    survey.invitation_body = BODY
    survey.save()
    invitation = _invitation(survey)
    mail = render_mail(invitation, "invitation")
    # the stored copy holds placeholders for link and code (credentials at rest); the recipient gets them filled
    text, html = invitation.reveal(mail.body_text), invitation.reveal(mail.body_html)
    assert mail.subject == "Ihre Einladung, Stadt Köln"
    assert f"Stadt Köln ist eingeladen: {invitation.link()}" in text
    assert invitation.access_code_display in text and "30. August 2013" in text
    assert "Fragen: befragung@kgst.example" in text and f"/abmelden/{optout_token(invitation.pk)}/" in text
    assert f'<a href="{invitation.link()}"' in html and "<p>Guten Tag,</p>" in html
    reminder = render_mail(invitation, "reminder", 1)  # blank reminder texts: the built-in reminder
    assert reminder.subject == f"Erinnerung: {survey.title}"
    assert invitation.link() in invitation.reveal(reminder.body_text)


def test_own_text_is_escaped_in_html(survey):
    survey.reminder_body = "<script>alert(1)</script> {link}"
    survey.save()
    mail = render_mail(_invitation(survey), "reminder", 1)
    assert "<script>" not in mail.body_html and "&lt;script&gt;" in mail.body_html
    assert mail.body_text.startswith("<script>alert(1)</script> http")  # plain text stays as typed


# --- staff form ------------------------------------------------------------------------------


def _url(survey) -> str:
    return reverse("staff:survey_mail_texts", args=[survey.slug])


def test_preview_uses_the_first_member_or_the_chosen_one(staff_client, survey):
    make_members(2)
    _invitation(survey, ags="05315000", name="Stadt Köln", ansprechpartner="Frau Muster")
    html = staff_client.get(_url(survey)).content.decode()
    # the first member of the register (lowest AGS), with the built-in texts
    assert "Guten Tag Frau Muster" in html and "wir laden Stadt Köln herzlich" in html and "eingebauter Text" in html
    chosen = staff_client.get(_url(survey) + "?mitglied=10000001").content.decode()
    assert "wir laden Gemeinde 1 herzlich" in chosen and "Stadt Köln" not in chosen
    unknown = staff_client.get(_url(survey) + "?mitglied=99999999").content.decode()
    assert "kein Mitglied mit dem AGS „99999999“" in unknown


def test_preview_shows_unsaved_texts_and_saving_records_the_change(staff_client, staff_user, survey):
    make_members(1)
    data = {"invitation_subject": "Einladung für {kommune}", "invitation_body": BODY, "reminder_subject": "",
            "reminder_body": "", "mitglied": "", "aktion": "vorschau"}
    preview = staff_client.post(_url(survey), data)
    assert preview.status_code == 200
    assert "Einladung für Gemeinde 0" in preview.content.decode()
    survey.refresh_from_db()
    assert survey.invitation_body == "" and not SurveyChange.objects.exists()  # a preview stores nothing

    saved = staff_client.post(_url(survey), {**data, "aktion": "speichern"})
    assert saved.status_code == 302
    survey.refresh_from_db()
    assert survey.invitation_subject == "Einladung für {kommune}" and survey.invitation_body == BODY
    change = SurveyChange.objects.get(survey=survey)
    assert change.target == "E-Mail-Texte" and change.user == staff_user
    assert change.before == {"invitation_subject": "", "invitation_body": ""}
    assert change.after == {"invitation_subject": "Einladung für {kommune}", "invitation_body": BODY}


def test_bad_texts_are_refused_with_the_reason_and_nothing_stored(staff_client, survey):
    make_members(1)
    data = {"invitation_subject": "Hallo {gemeinde}", "invitation_body": "Ohne Link, {kommune}.",
            "reminder_subject": "", "reminder_body": "Bitte {link", "aktion": "speichern"}
    response = staff_client.post(_url(survey), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Unbekannter Platzhalter: {gemeinde}" in html
    assert "Der Text muss den persönlichen Link enthalten: Bitte fügen Sie {link} ein." in html
    assert "steht allein" in html and 'id="error-summary"' in html
    survey.refresh_from_db()
    assert (survey.invitation_subject, survey.invitation_body, survey.reminder_body) == ("", "", "")


def test_analysts_have_no_access_to_mail_texts(analyst_client, survey):
    assert analyst_client.get(_url(survey)).status_code == 403


# --- the deadline ----------------------------------------------------------------------------


def test_sending_is_refused_after_the_deadline(staff_client, survey, capsys):
    make_members(3)
    assert survey.closes_on < timezone.localdate()
    with pytest.raises(SendingRefused):
        check_sendable(survey)
    confirm = staff_client.get(reverse("staff:send_invitations", args=[survey.slug])).content.decode()
    assert 'id="send-refused"' in confirm and "30.08.2013" in confirm and "disabled" in confirm
    refused = staff_client.post(reverse("staff:send_reminders", args=[survey.slug]), follow=True)
    assert "liegt in der Vergangenheit" in refused.content.decode()
    staff_client.post(reverse("staff:send_invitations", args=[survey.slug]))
    for command in ("send_invitations", "send_reminders"):
        with pytest.raises(CommandError, match=r"deadline of survey test-befragung \(2013-08-30\) is in the past"):
            call_command(command, survey.slug)
    assert not OutboxMessage.objects.exists() and not Invitation.objects.exists()

    survey.closes_on = timezone.localdate()  # the last day still counts
    survey.save()
    call_command("send_invitations", survey.slug)
    assert "queued 3 invitation(s)" in capsys.readouterr().out


def test_sending_is_refused_while_a_stored_text_is_unusable(survey):
    survey.closes_on = timezone.localdate() + datetime.timedelta(days=30)
    survey.reminder_body = "kein Link {kommune}"  # e.g. from an old definition file, never through the form
    survey.save()
    with pytest.raises(CommandError, match="e-mail texts of survey test-befragung are not usable"):
        call_command("send_reminders", survey.slug)


def test_sender_name_becomes_the_display_name_of_the_sender(survey, settings):
    from invitations.outbox.mail import build_email
    from invitations.outbox.queueing import queue_invitations

    settings.DEFAULT_FROM_EMAIL = "Rücklauf <befragung@example.org>"
    make_members(1)
    queue_invitations(survey)
    message = OutboxMessage.objects.get()
    assert build_email(message).from_email == "Rücklauf <befragung@example.org>"  # no sender name: as configured
    survey.sender_name = "KGSt-Befragungsteam"
    survey.save()
    mail = build_email(message)
    assert mail.from_email == "KGSt-Befragungsteam <befragung@example.org>"
    assert "From: KGSt-Befragungsteam <befragung@example.org>" in mail.message().as_string()
