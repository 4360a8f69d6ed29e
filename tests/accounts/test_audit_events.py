"""Each audited action writes exactly one entry of the audit trail (accounts.audit.record), with no
answer content; a download without the role writes a refusal and serves no file; owners read and
export the survey's trail."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from accounts.models import AuditEvent
from exports.models import ExportJob
from invitations.models import Invitation, Member, OutboxMessage
from responses.models import Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(kgst_survey):
    kgst_survey.closes_on = None  # sending is offered only while the field period lasts
    kgst_survey.save(update_fields=["closes_on"])
    return kgst_survey


def only(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, [str(e) for e in AuditEvent.objects.all()]
    return events[0]


def test_closing_and_reopening_the_survey(staff_client, staff_user, survey):
    staff_client.post(reverse("staff:survey_transition", args=[survey.slug, "schliessen"]), {})
    event = only("survey_state_changed")
    assert (event.actor, event.survey, event.detail["status"]) == (staff_user, survey, "closed")
    call_command("open_survey", survey.slug, "--closes-on", "2099-12-31", stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="survey_state_changed").count() == 2
    assert AuditEvent.objects.latest("pk").detail["status"] == "open"


def test_field_period_change(staff_client, survey):
    staff_client.post(reverse("staff:survey_dates", args=[survey.slug]),
                      {"opens_on": "2026-01-05", "closes_on": "2099-06-30"})
    assert only("survey_dates_changed").detail == {"opens_on": "2026-01-05", "closes_on": "2099-06-30"}


def test_invitations_and_reminders_one_entry_per_send_with_counts(staff_client, survey):
    for n in range(3):
        Member.objects.create(ags=f"0900000{n}", name=f"Gemeinde {n}", land="Bayern", typ="Gemeinde",
                              einwohner=1000, email=f"g{n}@example.org")
    staff_client.post(reverse("staff:send_invitations", args=[survey.slug]))
    assert only("invitations_sent").detail == {"queued": 3}
    OutboxMessage.objects.filter(invitation__survey=survey).update(status=OutboxMessage.Status.SENT)
    staff_client.post(reverse("staff:send_reminders", args=[survey.slug]))
    assert only("reminders_sent").detail == {"queued": 3}


def test_response_reopened_without_the_reason(staff_client, survey, make_invitation):
    invitation = make_invitation(survey)
    response = Response.objects.create(survey=survey, invitation=invitation, status="submitted",
                                       submitted_at=timezone.now())
    staff_client.post(reverse("staff:response_reopen", args=[survey.slug, response.pk]),
                      {"reason": "Anruf: Seite 2 wird korrigiert"})
    event = only("response_reopened")
    assert event.target == f"response {response.pk}" and "Anruf" not in str(event.detail)


def test_export_requested_and_downloaded(analyst_client, analyst_user, survey, settings, tmp_path,
                                        django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):  # the job is built (eagerly) after the commit
        analyst_client.post(reverse("staff:export_create", args=[survey.slug]), {"format": "csv"})
    job = ExportJob.objects.get(survey=survey)
    event = only("export_requested")
    assert (event.actor, event.target, event.detail["format"]) == (analyst_user, f"export {job.pk}", "csv")
    job.refresh_from_db()
    assert job.status == "done"
    download = analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content)
    assert only("export_download").outcome == "ok"
    analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert AuditEvent.objects.filter(action="export_download").count() == 2  # every download


def test_refused_download_is_recorded_and_serves_no_file(client, survey, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "daten.csv").write_text("ags;name\n05315000;Köln\n")
    job = ExportJob.objects.create(survey=survey, format="csv", status="done", file="exports/daten.csv", size=20)
    viewer = User.objects.create_user("vera", "v@example.org", "x")
    roles.grant(viewer, roles.VIEWER, survey)
    client.force_login(viewer)
    refused = client.get(reverse("staff:export_download", args=[job.pk]))
    assert refused.status_code == 403
    assert "Köln" not in refused.content.decode() and "attachment" not in refused.get("Content-Disposition", "")
    event = only("export_download")
    assert (event.outcome, event.actor, event.survey) == ("refused", viewer, survey)
    assert not job.downloads.exists()


def test_the_audit_page_and_its_csv(staff_client, staff_user, survey):
    roles.grant(User.objects.create_user("=cmd|' /C calc'!A0"), roles.VIEWER, survey, by=staff_user)
    AuditEvent.objects.create(action="export_download", survey=None, survey_slug="andere-befragung")
    page = staff_client.get(reverse("staff:survey_audit", args=[survey.slug]))
    html = page.content.decode()
    assert page.status_code == 200 and "Rolle vergeben" in html and "andere-befragung" not in html
    filtered = staff_client.get(reverse("staff:survey_audit", args=[survey.slug]) + "?ereignis=role_revoked")
    assert "Keine Einträge." in filtered.content.decode()
    nul = staff_client.get(reverse("staff:survey_audit", args=[survey.slug]) + "?ereignis=%00")
    assert nul.status_code in (200, 400)  # refused or ignored, never a 500
    download = staff_client.get(reverse("staff:survey_audit_csv", args=[survey.slug]))
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["at", "user", "action", "survey", "target", "outcome", "address", "detail"]
    assert [r[2] for r in rows[1:]] == ["role_granted"]
    assert rows[1][4].startswith("'=")  # a formula never reaches Excel
    event = only("audit_exported")
    assert event.detail["entries"] == 1


def test_audit_pages_are_for_owners_only(client, survey):
    analyst = User.objects.create_user("ana", "a@example.org", "x")
    roles.grant(analyst, roles.ANALYST, survey)
    client.force_login(analyst)
    assert client.get(reverse("staff:survey_audit", args=[survey.slug])).status_code == 403
    assert client.get(reverse("staff:survey_audit_csv", args=[survey.slug])).status_code == 403
    assert not AuditEvent.objects.filter(action="audit_exported").exists()


def test_retention_task_purges_old_entries(db, settings):
    from accounts.tasks import purge_audit

    settings.AUDIT_RETENTION_DAYS = 30
    kept = AuditEvent.objects.create(action="role_granted")
    stale = AuditEvent.objects.create(action="role_revoked")
    with connection.cursor() as cursor:  # entries cannot be updated through the ORM: age one in SQL
        cursor.execute("UPDATE accounts_auditevent SET at = now() - interval '31 days' WHERE id = %s", [stale.pk])
    assert purge_audit.delay().get() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [kept.pk]
    assert "purge-audit" in settings.CELERY_BEAT_SCHEDULE


def test_nonresponders_download_is_recorded(staff_client, survey, make_invitation):
    make_invitation(survey)
    staff_client.get(reverse("staff:nonresponders_csv", args=[survey.slug]))
    assert only("nonresponders_download").survey == survey
    assert Invitation.objects.count() == 1


def test_sending_from_the_command_line_is_one_entry_too(survey):
    Member.objects.create(ags="09000009", name="Gemeinde 9", land="Bayern", typ="Gemeinde", einwohner=1000,
                          email="g9@example.org")
    call_command("send_invitations", survey.slug, stdout=io.StringIO())
    event = only("invitations_sent")
    assert (event.actor, event.detail) == (None, {"queued": 1, "via": "command"})
