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
