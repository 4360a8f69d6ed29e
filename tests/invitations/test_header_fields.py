"""Issue L: CR/LF and control characters are refused at input in header-bound fields, with a German message."""

import pytest

from invitations.mailtext.forms import MailTextsForm
from surveys.staff.forms import SurveyBrandingForm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("subject", ["Einladung\r\nBcc: x@example.org", "Ein\nladung", "Ein\x07ladung"])
def test_subject_with_line_break_or_control_character_is_refused(kgst_survey, subject):
    form = MailTextsForm({"invitation_subject": subject}, instance=kgst_survey)
    assert not form.is_valid()
    assert "keine Zeilenumbrüche oder Steuerzeichen" in " ".join(form.errors["invitation_subject"])


def test_organisation_name_with_line_break_is_refused(kgst_survey):
    form = SurveyBrandingForm({"organisation_name": "KGSt\r\nBcc: x@example.org"}, instance=kgst_survey)
    assert not form.is_valid()
    assert "keine Zeilenumbrüche oder Steuerzeichen" in " ".join(form.errors["organisation_name"])


def test_sender_name_with_line_break_is_refused(kgst_survey):
    from surveys.texts.forms import SurveyTextsForm

    data = {"title": kgst_survey.title, "sender_name": "KGSt\r\nBcc: x@example.org"}
    form = SurveyTextsForm(data, instance=kgst_survey)
    assert not form.is_valid()
    assert "keine Zeilenumbrüche oder Steuerzeichen" in " ".join(form.errors["sender_name"])


def test_uploaded_definition_with_a_line_break_in_a_header_text_is_refused():
    from surveys.definition import validate
    from surveys.definition_errors import DefinitionError, german

    for broken in ({"sender_name": "KGSt\nBcc: x@example.org"},
                   {"emails": {"invitation": {"subject": "Einladung\r\nBcc: x@example.org"}}}):
        definition = {"slug": "kopf", "title": "Kopf", "pages": [
            {"code": "P1", "title": "Seite", "questions": [{"code": "q1", "type": "text", "text": "Frage"}]}],
            **broken}
        with pytest.raises(DefinitionError) as refused:
            validate.validate_definition(definition)
        assert any("keine Zeilenumbrüche oder Steuerzeichen" in german(error) for error in refused.value.errors), \
            refused.value.errors


def test_a_stored_header_that_cannot_be_built_fails_the_message_with_its_reason(survey):
    """Stored before the forms refused it: the message fails, visibly, and the worker goes on."""
    from invitations.models import OutboxMessage
    from invitations.outbox import queueing, sending

    from .conftest import make_members

    make_members(2)
    queueing.queue_invitations(survey)
    type(survey).objects.filter(pk=survey.pk).update(sender_name="KGSt\r\nBcc: x@example.org")
    outcomes = [sending.process_message(pk).status for pk in OutboxMessage.objects.values_list("pk", flat=True)]
    assert outcomes == ["failed", "failed"]
    for message in OutboxMessage.objects.all():
        assert message.status == "failed"
        assert "ließ sich nicht erstellen" in message.error and "Absendername" in message.error
