"""purge_personal_data and export_member_data (Art. 15)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from exports.models import ExportJob, ResultSet
from invitations.models import Invitation, OutboxMessage
from responses.models import Answer, Response
from tests.responses.helpers import Flow
from tests.responses.test_flow import NON_USER, USER, walk

pytestmark = pytest.mark.django_db

SLUG = "kgst-social-media-2013"


@pytest.fixture
def answered(kgst_survey, make_invitation, client):
    """Two submitted responses (both branches), one started, outbox messages and an export file."""
    from django.test import Client

    invs = []
    for pages, submit in ((USER, True), (NON_USER, True), (USER[:2], False)):
        inv = make_invitation(kgst_survey, ansprechpartner="Erika Mustermann")
        flow = Flow(Client(), inv)
        walk(flow, pages if submit else USER, upto=None if submit else 2)
        if submit:
            assert flow.submit().status_code == 302
        OutboxMessage.objects.create(invitation=inv, step="invitation", to_email=inv.member.email,
                                     subject="Einladung", body_text=f"Ihr Link: {inv.link()}")
        invs.append(inv)
    return invs


def close(survey, days_ago: int) -> None:
    survey.close()
    type(survey).objects.filter(pk=survey.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    survey.refresh_from_db()


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_refused_for_open_survey(answered, kgst_survey):
    with pytest.raises(CommandError, match="not closed"):
        run("purge_personal_data", SLUG)
    assert Answer.objects.count() > 0 and OutboxMessage.objects.count() == 3


def test_refused_within_retention(answered, kgst_survey, settings):
    settings.RETENTION_DAYS = 365
    close(kgst_survey, days_ago=30)
    with pytest.raises(CommandError, match="less than 365 days ago"):
        run("purge_personal_data", SLUG)
    with pytest.raises(CommandError, match="less than 40 days"):
        run("purge_personal_data", SLUG, "--older-than", "40")
    assert Answer.objects.count() > 0


def test_open_survey_exits_non_zero_as_a_process(transactional_db):
    """The real command line: an open survey is refused with exit status 1 and an English message."""
    import subprocess
    import sys

    from surveys.models import Survey
    from tests.worker import worker_env

    Survey.objects.create(slug="laeuft-noch", title="Läuft noch", status="open")
    proc = subprocess.run([sys.executable, "manage.py", "purge_personal_data", "laeuft-noch"],
                          capture_output=True, text=True, timeout=120, env=worker_env())
    assert proc.returncode == 1, proc.stderr
    assert "is open, not closed" in proc.stderr and "Nothing was deleted." in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_slug(db):
    with pytest.raises(CommandError, match="Unknown survey slug"):
        run("purge_personal_data", "gibt-es-nicht")


def test_dry_run_changes_nothing(answered, kgst_survey):
    close(kgst_survey, days_ago=400)
    before = Answer.objects.count()
    tokens = set(Invitation.objects.values_list("token_hash", flat=True))
    output = run("purge_personal_data", SLUG, "--dry-run")
    # submitted user: A1/D1/F1 "other" texts, H1, H3 (5); started: A1 "other" text (1); non-user: none
    assert "Would delete 6 free-text and e-mail answers." in output
    assert "Nothing was changed (dry run)." in output
    assert Answer.objects.count() == before
    assert set(Invitation.objects.values_list("token_hash", flat=True)) == tokens
    assert OutboxMessage.objects.count() == 3 and ResultSet.objects.count() == 0


def test_purge_deletes_personal_data_and_keeps_aggregates(answered, kgst_survey, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from exports.jobs.exportjob import run_job

    job = ExportJob.objects.create(survey=kgst_survey, format="csv", include_partial=True)
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.file
    export_file = tmp_path / job.file.name
    assert export_file.exists() and "Mastodon" in export_file.read_text(encoding="utf-8-sig")
    old_links = [(inv.token, inv.access_code) for inv in answered]
    close(kgst_survey, days_ago=400)

    output = run("purge_personal_data", SLUG)

    assert "Deleted 0" not in output.splitlines()[1]
    assert Answer.objects.filter(response__survey=kgst_survey).count() == 0
    assert Response.objects.filter(survey=kgst_survey).count() == 0
    assert OutboxMessage.objects.filter(invitation__survey=kgst_survey).count() == 0
    for token, code in old_links:
        assert not Invitation.objects.by_token(token).exists()
        assert not Invitation.objects.by_access_code(code).exists()
        assert client.get(f"/s/{token}/").status_code == 404
    assert not export_file.exists()
    job.refresh_from_db()
    assert job.status == "expired" and not job.file
    # Anonymous aggregates remain: submitted only (2) and with partial answers (3).
    submitted = ResultSet.objects.get(survey=kgst_survey, include_partial=False)
    partial = ResultSet.objects.get(survey=kgst_survey, include_partial=True)
    assert submitted.status == partial.status == "done"
    assert submitted.tables["overview"]["submitted"] == 2 and partial.tables["respondents"] == 3
    b1 = next(t for t in submitted.tables["questions"] if t["code"] == "B1_nutzung")
    assert {o["code"]: o["count"] for o in b1["options"]} == {"1": 1, "2": 1}
    dumped = json.dumps([submitted.tables, partial.tables])
    for secret in ("Mastodon", "digital@example.org", "Digitalisierung", "Zweite Zeile"):
        assert secret not in dumped
    # The results page still shows them.
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))
    page = client.get(f"/staff/befragungen/{SLUG}/ergebnisse/")
    assert page.status_code == 200 and "B1_nutzung" in page.content.decode()
    # A second run finds nothing and keeps the aggregates.
    again = run("purge_personal_data", SLUG)
    assert "Deleted 0 free-text" in again and "earlier result tables are kept" in again
    assert ResultSet.objects.filter(survey=kgst_survey).count() == 2


def test_purge_leaves_other_surveys_alone(answered, kgst_survey, make_invitation):
    from surveys.models import Survey

    other = Survey.objects.create(slug="andere", title="Andere", status="open")
    inv = make_invitation(other)
    OutboxMessage.objects.create(invitation=inv, step="invitation", to_email="x@example.org", subject="s",
                                 body_text="b")
    close(kgst_survey, days_ago=400)
    run("purge_personal_data", SLUG, "--older-than", "100")
    assert OutboxMessage.objects.filter(invitation=inv).count() == 1
    assert Invitation.objects.get(pk=inv.pk).token == inv.token


def test_export_member_data(answered, tmp_path):
    inv = answered[0]
    out = tmp_path / "auskunft.json"
    call_command("export_member_data", inv.member.ags, "--out", str(out), stderr=StringIO())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["member"]["ags"] == inv.member.ags
    assert data["member"]["email"] == inv.member.email
    assert data["member"]["ansprechpartner"] == "Erika Mustermann"
    [invitation] = data["invitations"]
    assert invitation["survey"] == SLUG
    assert invitation["response"]["status"] == "submitted"
    answers = {(a["variable"], a["value"]) for a in invitation["response"]["answers"]}
    assert ("D1_extern_7_text", "Mastodon") in answers and ("H3_email", "digital@example.org") in answers
    assert ("D1_extern", "1") in answers and ("D1_extern", "3") in answers
    assert len(invitation["response"]["answers"]) == Answer.objects.filter(response__invitation=inv).count()
    history = invitation["response"]["history"]  # the response's history belongs to what is stored, too
    assert [e["kind"] for e in history] == ["opened"] + ["saved"] * len(USER) + ["submitted"]
    [message] = invitation["messages"]
    assert message["to_email"] == inv.member.email
    text = out.read_text(encoding="utf-8")
    assert inv.token not in text and inv.access_code not in text  # credentials are not handed out


def test_export_member_data_stdout_and_unknown(answered):
    text = run("export_member_data", answered[1].member.ags)
    assert json.loads(text)["member"]["ags"] == answered[1].member.ags
    with pytest.raises(CommandError, match="No member with AGS"):
        run("export_member_data", "99999999")


def test_export_member_without_invitation(db):
    from invitations.models import Member

    Member.objects.create(ags="01001000", name="Flensburg", land="Schleswig-Holstein", typ="Stadt",
                          einwohner=90_000, email="info@example.org")
    data = json.loads(run("export_member_data", "01001000"))
    assert data["invitations"] == [] and data["member"]["groessenklasse"] == 4


def test_export_job_model_untouched_for_other_survey_files(db):
    assert ExportJob.objects.count() == 0


def test_refresh_after_purge_keeps_the_stored_results(answered, kgst_survey, client):
    close(kgst_survey, days_ago=400)
    run("purge_personal_data", SLUG)
    kept = ResultSet.objects.get(survey=kgst_survey, include_partial=False)
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "x"))
    refreshed = client.post(f"/staff/befragungen/{SLUG}/ergebnisse/aktualisieren/", follow=True)
    html = refreshed.content.decode()
    assert refreshed.status_code == 200 and "dabei gespeicherten Ergebnistabellen" in html
    assert ResultSet.objects.filter(survey=kgst_survey).count() == 2  # nothing new queued
    assert "B1_nutzung" in html and kept.tables["overview"]["submitted"] == 2
