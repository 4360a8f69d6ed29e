"""Export jobs through the API: create (POST format), status, download."""

import csv
import io

import pytest

from exports.models import DownloadLog, ExportJob

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_create_status_download(client, answered, analyst_user, make_key, settings, tmp_path, empty_cache,
                                django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = tmp_path
    key = make_key(analyst_user)
    url = f"/api/v1/surveys/{answered.slug}/exports/"
    with django_capture_on_commit_callbacks(execute=True):  # the job is queued on commit; Celery runs eagerly
        created = client.post(url, {"format": "csv"}, content_type="application/json", **bearer(key))
    assert created.status_code == 202, created.content
    job_id = created.json()["id"]
    status = client.get(f"/api/v1/exports/{job_id}/", **bearer(key)).json()
    assert status["status"] == "done" and status["download"].endswith(f"/api/v1/exports/{job_id}/file/")
    download = client.get(f"/api/v1/exports/{job_id}/file/", **bearer(key))
    assert download.status_code == 200
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";")) or list(csv.reader(io.StringIO(text)))
    submitted = answered.responses.filter(status="submitted").count()
    assert len(rows) - 1 == submitted
    assert DownloadLog.objects.filter(job_id=job_id, user=analyst_user).exists()
    listed = client.get(url, **bearer(key)).json()
    assert [j["id"] for j in listed] == [job_id]


def test_bad_format_and_unfinished_job(client, answered, analyst_user, make_key, empty_cache):
    key = make_key(analyst_user)
    bad = client.post(f"/api/v1/surveys/{answered.slug}/exports/", {"format": "doc"},
                      content_type="application/json", **bearer(key))
    assert bad.status_code == 400 and "format" in bad.json()["errors"]
    job = ExportJob.objects.create(survey=answered, format="csv")
    waiting = client.get(f"/api/v1/exports/{job.pk}/file/", **bearer(key))
    assert waiting.status_code == 409 and waiting["Content-Type"] == "application/problem+json"


def test_job_of_another_survey_is_not_found(client, answered, staff_user, make_key, empty_cache):
    from surveys.models import Survey

    other = Survey.objects.create(slug="andere", title="Andere")
    job = ExportJob.objects.create(survey=answered, format="csv")
    key = make_key(staff_user, survey=other)
    assert client.get(f"/api/v1/exports/{job.pk}/", **bearer(key)).status_code == 404
