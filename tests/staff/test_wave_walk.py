"""A new wave from start to export: copy the KGSt survey, reword a question, open it, invite a small
register, a member answers through the link in the e-mail, and the export has the answers under the
same codes as the first wave.

Real parts: PostgreSQL, Redis (cache, rate limits), SMTP to a local aiosmtpd sink; Celery tasks run
eagerly in-process (the sending path is the same; workers are covered by tests/invitations).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from harness.smtp_sink import Sink, tokens_in
from invitations.models import Invitation
from surveys.models import Survey, SurveyChange
from tests.e2e.flow import USER_PAGES
from tests.invitations.conftest import GOOD_ROWS, csv_bytes
from tests.responses.helpers import Flow, location

SITE = "http://befragung.test"
NEW_WORDING = "Setzt Ihre Kommune inzwischen Social Media ein – intern oder extern?"


@pytest.fixture
def sink(settings):
    with Sink() as running:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", running.port
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.SITE_URL = SITE
        settings.MAIL_RATE = settings.MAIL_RATE_PER_DOMAIN = 0
        yield running


def _csv(path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_bytes().decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text), delimiter=";")
    return list(reader.fieldnames or []), list(reader)


@pytest.mark.django_db(transaction=True)
def test_new_wave_from_copy_to_export(kgst_survey, staff_user, sink, empty_cache, tmp_path):
    staff = Client()
    staff.force_login(staff_user)

    # 1. copy as a new wave
    staff.post(reverse("staff:survey_copy", args=[kgst_survey.slug]), {
        "title": "Wie nutzen Kommunen Social Media? Welle 2025", "slug": "kgst-social-media-2025",
        "opens_on": "2025-06-02", "closes_on": "2099-08-29"})
    wave = Survey.objects.get(slug="kgst-social-media-2025")
    assert wave.copied_from == kgst_survey and wave.status == "draft"

    # 2. reword a question (the editor's job; here the model update it records)
    question = wave.questions.get(code="B1_nutzung")
    before = {"text": question.text}
    question.text = NEW_WORDING
    question.save(update_fields=["text"])
    SurveyChange.record(wave, staff_user, "Frage B1_nutzung", before, {"text": NEW_WORDING})
    assert kgst_survey.questions.get(code="B1_nutzung").text != NEW_WORDING  # the first wave is untouched

    # 3. open it
    staff.post(reverse("staff:survey_transition", args=[wave.slug, "oeffnen"]))
    wave.refresh_from_db()
    assert wave.status == "open"

    # 4. a small register, through the upload with preview
    preview = staff.post(reverse("staff:register_upload"),
                         {"file": SimpleUploadedFile("register.csv", csv_bytes(GOOD_ROWS))})
    staff.post(location(preview))
    # 5. invitations go out by SMTP
    staff.post(reverse("staff:send_invitations", args=[wave.slug]))
    assert Invitation.objects.filter(survey=wave).count() == len(GOOD_ROWS)
    assert sink.count() == len(GOOD_ROWS)
    koeln = next(m for m in sink.messages if m.rcpt == "info@stadt-koeln.de")
    (token,) = tokens_in(koeln.text(), SITE)
    invitation = Invitation.objects.by_token(token).get()
    assert invitation.survey == wave and invitation.member.name == "Köln"

    # 6. the member answers through the link
    flow = Flow(Client(), invitation)
    assert location(flow.open()).endswith("/willkommen/")  # the welcome page comes first
    for index, (code, answers) in enumerate(USER_PAGES):
        if code == "P2":
            assert NEW_WORDING in flow.get("P2").content.decode()
        target = location(flow.weiter(code, answers))
        following = USER_PAGES[index + 1][0] if index + 1 < len(USER_PAGES) else None
        assert target.endswith(f"/seite/{following}/" if following else "/pruefen/")
    assert location(flow.submit()).endswith("/danke/")

    # 7. the export has the answers under the same codes as the first wave
    first_out, wave_out = tmp_path / "2013.csv", tmp_path / "2025.csv"
    call_command("export_results", kgst_survey.slug, "--out", str(first_out))
    call_command("export_results", wave.slug, "--out", str(wave_out))
    first_header, _rows = _csv(first_out)
    header, rows = _csv(wave_out)
    assert header == first_header
    (row,) = rows
    assert row["ags"] == "05315000"
    for _code, answers in USER_PAGES:
        for variable, value in answers.items():
            if isinstance(value, list):  # one 0/1 column per option of a multiple choice question
                for option in value:
                    assert row[f"{variable}_{option}"] == "1", (variable, option)
            else:
                assert row[variable] == value, variable
