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


def _live_box(html: str) -> str:
    start = html.index("data-live-status")
    return html[start:html.index("</div>", start)]


def test_results_page_shows_the_status_while_computing_without_a_timed_refresh(analyst_client, kgst_survey):
    """No <meta http-equiv="refresh"> (WCAG 2.2.1): a status text, a link to reload by hand, the polling
    script served by the app, and a JSON status that says when the work is done."""
    running = ResultSet.objects.create(survey=kgst_survey, status=ResultSet.Status.RUNNING, include_partial=True)
    url = reverse("staff:results", args=[kgst_survey.slug]) + "?teilantworten=1"
    html = analyst_client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in html and "{#" not in html and "live.status_url" not in html
    box = _live_box(html)
    assert 'aria-live="polite"' in box and "Die Ergebnisse werden gerade berechnet." in box
    status_url = reverse("staff:results_status", args=[kgst_survey.slug]) + "?teilantworten=1"
    assert f'data-status-url="{status_url}"' in box and f'data-state="{running.pk}:running"' in box
    assert f'href="{url}"' in box and "Status aktualisieren" in box  # reloads the same view by hand
    assert '<script src="/static/js/live-status.js" defer></script>' in html
    status = analyst_client.get(status_url)
    assert status["Content-Type"] == "application/json" and status["Cache-Control"] == "private, no-store"
    assert status.json() == {"active": True, "text": "Die Ergebnisse werden gerade berechnet.",
                             "state": f"{running.pk}:running", "progress": None}
    # the other variant (submitted answers only) has nothing running
    other = analyst_client.get(reverse("staff:results_status", args=[kgst_survey.slug])).json()
    assert other["active"] is False and other["state"] == "none"

    ResultSet.objects.filter(pk=running.pk).update(status=ResultSet.Status.DONE, tables={"questions": [],
                                                   "crosstabs": [], "respondents": 0})
    assert analyst_client.get(status_url).json()["active"] is False
    html = analyst_client.get(url).content.decode()
    assert "data-live-status" not in html and "<script" not in html
    ResultSet.objects.create(survey=kgst_survey, status=ResultSet.Status.FAILED, include_partial=True, error="x")
    failed = analyst_client.get(status_url).json()
    assert failed["active"] is False and failed["text"] == "Die Berechnung ist fehlgeschlagen."


def test_export_pages_show_the_status_while_running(analyst_client, kgst_survey):
    job = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING, progress=40)
    ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.DONE, progress=100)
    detail_url = reverse("staff:export_detail", args=[job.pk])
    html = analyst_client.get(detail_url).content.decode()
    assert 'http-equiv="refresh"' not in html
    box = _live_box(html)
    assert "Der Export wird erstellt: 40 %." in box and 'data-state="running"' in box
    assert f'href="{detail_url}"' in box
    assert analyst_client.get(reverse("staff:export_status", args=[job.pk])).json() == {
        "active": True, "text": "Der Export wird erstellt: 40 %.", "state": "running", "progress": 40}

    list_url = reverse("staff:exports", args=[kgst_survey.slug])
    html = analyst_client.get(list_url).content.decode()
    assert 'http-equiv="refresh"' not in html
    box = _live_box(html)
    assert "1 Export wird erstellt (40 %)." in box and f'data-state="{job.pk}:running:40"' in box
    assert 'id="export-list" data-live-content' in html  # only the list is replaced, not the form above it
    status_url = reverse("staff:exports_status", args=[kgst_survey.slug])
    assert analyst_client.get(status_url).json()["state"] == f"{job.pk}:running:40"

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.FAILED, error="kaputt")
    assert analyst_client.get(status_url).json() == {
        "active": False, "text": "Alle Exporte sind abgeschlossen.", "state": "none", "progress": None}
    done = analyst_client.get(reverse("staff:export_status", args=[job.pk])).json()
    assert done["active"] is False and done["text"] == "Stand des Exports: Fehlgeschlagen."
    for url in (list_url, detail_url):
        html = analyst_client.get(url).content.decode()
        assert "data-live-status" not in html and "<script" not in html
    # an invalid export form keeps the list and reloads it from the list's own URL, not from the POST target
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.QUEUED)
    response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "exe"})
    assert response.status_code == 400 and f'data-page-url="{list_url}"' in response.content.decode()


def test_status_of_another_survey_or_a_missing_job_is_404(analyst_client, kgst_survey):
    assert analyst_client.get(reverse("staff:results_status", args=["gibt-es-nicht"])).status_code == 404
    assert analyst_client.get(reverse("staff:exports_status", args=["gibt-es-nicht"])).status_code == 404
    assert analyst_client.get(reverse("staff:export_status", args=[999999])).status_code == 404


def test_export_list_is_paged_and_sortable(analyst_client, kgst_survey):
    from datetime import timedelta

    from django.utils import timezone

    from exports.staff.exports import EXPORTS_PER_PAGE

    now = timezone.now()
    formats = ["xlsx", "csv", "sav", "dta", "rds"]
    jobs = [ExportJob.objects.create(survey=kgst_survey, format=formats[n % 5], progress=n % 101)
            for n in range(EXPORTS_PER_PAGE + 5)]
    for n, job in enumerate(jobs):  # created one minute apart, the last one newest
        ExportJob.objects.filter(pk=job.pk).update(created_at=now - timedelta(minutes=len(jobs) - n))
    url = reverse("staff:exports", args=[kgst_survey.slug])
    first = analyst_client.get(url)
    assert [j.pk for j in first.context["jobs"]] == [j.pk for j in reversed(jobs)][:EXPORTS_PER_PAGE]
    html = first.content.decode()
    assert f"{len(jobs)} Exporte. Seite 1 von 2." in html
    assert 'aria-sort="descending"' in html and 'href="?sortierung=erstellt"' in html
    assert 'href="?seite=2"' in html and 'aria-label="Seiten der Exportliste"' in html
    second = analyst_client.get(url + "?seite=2")
    assert [j.pk for j in second.context["jobs"]] == [j.pk for j in reversed(jobs)][EXPORTS_PER_PAGE:]

    by_progress = analyst_client.get(url + "?sortierung=-fortschritt")
    progress = [j.progress for j in by_progress.context["jobs"]]
    assert progress == sorted((j.progress for j in jobs), reverse=True)[:EXPORTS_PER_PAGE]
    assert 'href="?sortierung=-fortschritt&amp;seite=2"' in by_progress.content.decode()  # paging keeps the order
    page_two = analyst_client.get(url + "?sortierung=-fortschritt&seite=2").context["jobs"]
    assert [j.progress for j in page_two] == sorted((j.progress for j in jobs), reverse=True)[EXPORTS_PER_PAGE:]
    by_format = analyst_client.get(url + "?sortierung=format").context["jobs"]
    assert [j.format for j in by_format] == sorted(j.format for j in jobs)[:EXPORTS_PER_PAGE]
    # a hand-edited sort key or page number falls back to the default, never a 500
    assert analyst_client.get(url + "?sortierung=passwort&seite=x").status_code == 200
    assert [j.pk for j in analyst_client.get(url + "?seite=99").context["jobs"]] == [jobs[4].pk, jobs[3].pk,
                                                                                    jobs[2].pk, jobs[1].pk, jobs[0].pk]


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

    from exports import tasks
    from exports.jobs import exportjob

    with django_capture_on_commit_callbacks(execute=True):
        job = tasks.create_job(kgst_survey, "csv", False, None)
    job.refresh_from_db()
    path = exportjob.job_path(job)
    assert path.exists()
    ExportJob.objects.filter(pk=job.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    old = timezone.now() - timedelta(minutes=settings.EXPORT_STUCK_MINUTES + 1)
    stuck = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING, started_at=old,
                                     heartbeat_at=old)
    fresh = ExportJob.objects.create(survey=kgst_survey, status=ExportJob.Status.RUNNING,
                                     started_at=timezone.now(), heartbeat_at=timezone.now())
    result = tasks.sweep()
    assert result["stuck"] == 1 and result["expired"] == 1
    assert not path.exists()
    job.refresh_from_db(), stuck.refresh_from_db(), fresh.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert stuck.status == ExportJob.Status.FAILED and "erneut" in stuck.error
    assert fresh.status == ExportJob.Status.RUNNING
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.retry_job(stuck)
    stuck.refresh_from_db()
    assert stuck.status == ExportJob.Status.DONE and stuck.attempts == 1
