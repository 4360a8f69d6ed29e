"""Staff pages for results and exports: permissions, refresh, jobs, downloads (eager Celery)."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from exports.models import DownloadLog, ExportJob, ResultSet


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def plain_client(client, db):
    user = User.objects.create_user("nobody", "nobody@example.org", "Test-Passwort-123")
    client.force_login(user)
    return client


def _urls(survey, job=None):
    urls = [
        ("get", reverse("staff:results", args=[survey.slug])),
        ("post", reverse("staff:results_refresh", args=[survey.slug])),
        ("get", reverse("staff:exports", args=[survey.slug])),
        ("post", reverse("staff:export_create", args=[survey.slug])),
    ]
    if job:
        urls += [
            ("get", reverse("staff:export_detail", args=[job.pk])),
            ("post", reverse("staff:export_retry", args=[job.pk])),
            ("get", reverse("staff:export_download", args=[job.pk])),
        ]
    return urls


def test_every_view_requires_login_and_permission(plain_client, kgst_survey):
    from django.test import Client

    anonymous = Client()
    job = ExportJob.objects.create(survey=kgst_survey)
    for method, url in _urls(kgst_survey, job):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"], url
    for method, url in _urls(kgst_survey, job):
        assert getattr(plain_client, method)(url).status_code == 403, url
    assert not DownloadLog.objects.exists()


def test_results_refresh_computes_and_shows_tables(analyst_client, kgst_survey, generated,
                                                   django_capture_on_commit_callbacks):
    generated(60, seed=5)
    page = analyst_client.get(reverse("staff:results", args=[kgst_survey.slug]))
    assert page.status_code == 200
    assert "Es liegen noch keine berechneten Ergebnisse vor." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("staff:results_refresh", args=[kgst_survey.slug]))
    assert response.status_code == 302
    result_set = ResultSet.objects.get()
    assert result_set.status == ResultSet.Status.DONE and result_set.computed_at
    html = analyst_client.get(reverse("staff:results", args=[kgst_survey.slug])).content.decode()
    assert "B3_dauer – Seit wann nutzt Ihre Kommune Social Media?" in html
    assert "<svg" in html and "<script" not in html
    assert "Berechnet am" in html and 'http-equiv="refresh"' not in html
    b1 = next(t for t in result_set.tables["questions"] if t["code"] == "B1_nutzung")
    assert f'<td class="text-end">{b1["options"][0]["count"]}</td>' in html


def test_results_page_refreshes_while_computing(analyst_client, kgst_survey):
    ResultSet.objects.create(survey=kgst_survey, status=ResultSet.Status.RUNNING)
    html = analyst_client.get(reverse("staff:results", args=[kgst_survey.slug])).content.decode()
    assert '<meta http-equiv="refresh" content="3">' in html


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "sav"])
def test_export_job_create_run_download(analyst_client, analyst_user, kgst_survey, generated, fmt,
                                        django_capture_on_commit_callbacks):
    generated(40, seed=9, nasty=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": fmt})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("staff:export_detail", args=[job.pk])
    assert job.status == ExportJob.Status.DONE and job.progress == 100 and job.size > 0
    assert job.requested_by == analyst_user and job.expires_at > job.finished_at
    assert job.file.name.startswith("exports/") and kgst_survey.slug not in job.file.name
    assert len(job.file.name.split("/")[1].split(".")[0]) >= 32  # unguessable
    detail = analyst_client.get(reverse("staff:export_detail", args=[job.pk])).content.decode()
    assert "Datei herunterladen" in detail and 'http-equiv="refresh"' not in detail
    download = analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert f'filename="{kgst_survey.slug}_' in download["Content-Disposition"]
    assert download["Content-Disposition"].startswith("attachment")
    body = b"".join(download.streaming_content)
    assert len(body) == job.size
    log = DownloadLog.objects.get()
    assert log.job == job and log.user == analyst_user
    if fmt == "csv":
        assert body.startswith(b"\xef\xbb\xbfags;name;land;")
        assert b"'=HYPERLINK" in body or b"'=1+1" in body


def test_staff_role_may_download_too(staff_client, staff_user, kgst_survey, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert staff_client.get(reverse("staff:export_download", args=[job.pk])).status_code == 200
    assert DownloadLog.objects.get().user == staff_user


def test_bad_format_is_a_form_error_not_a_500(analyst_client, kgst_survey):
    response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "exe"})
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_download_of_unfinished_or_expired_job_is_404(analyst_client, kgst_survey, settings):
    from django.utils import timezone

    job = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING)
    assert analyst_client.get(reverse("staff:export_download", args=[job.pk])).status_code == 404
    job = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.DONE, file="exports/../../etc/passwd",
                                   expires_at=timezone.now() + timezone.timedelta(hours=1))
    assert analyst_client.get(reverse("staff:export_download", args=[job.pk])).status_code == 404
    assert not DownloadLog.objects.exists()


def test_sweep_expires_files_and_fails_stuck_jobs(kgst_survey, settings, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from django.utils import timezone

    from exports import services

    with django_capture_on_commit_callbacks(execute=True):
        job = services.create_job(kgst_survey, "csv", False, None)
    job.refresh_from_db()
    path = services.job_path(job)
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    old = timezone.now() - timedelta(minutes=settings.EXPORT_STUCK_MINUTES + 1)
    stuck = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING, started_at=old,
                                     heartbeat_at=old)
    fresh = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING,
                                     started_at=timezone.now(), heartbeat_at=timezone.now())
    result = services.sweep()
    assert result["stuck"] == 1 and result["expired"] == 1
    assert not path.exists()
    job.refresh_from_db(), stuck.refresh_from_db(), fresh.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert stuck.status == ExportJob.Status.FAILED and "erneut" in stuck.error
    assert fresh.status == ExportJob.Status.RUNNING
    with django_capture_on_commit_callbacks(execute=True):
        assert services.retry_job(stuck)
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.DONE and stuck.attempts == 1
