"""Issue L: export files and their directory are for the service account only (0600 / 0700), whatever the umask."""

import os
import stat

import pytest

from exports.jobs.exportjob import run_job
from exports.models import ExportJob

pytestmark = pytest.mark.django_db


def test_export_files_are_0600_in_a_0700_directory(kgst_survey, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "media" / "exports").mkdir(parents=True, mode=0o755)  # an older, open directory
    old = os.umask(0o022)  # a usual umask: without the fix files would be 0644
    try:
        job = ExportJob.objects.create(survey=kgst_survey, format="csv")
        run_job(job.pk)
    finally:
        os.umask(old)
    job.refresh_from_db()
    assert job.status == "done", job.error
    path = tmp_path / "media" / job.file.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_uploaded_media_files_are_private(settings):
    from django.conf import settings as live

    assert live.FILE_UPLOAD_PERMISSIONS == 0o600 and live.FILE_UPLOAD_DIRECTORY_PERMISSIONS == 0o700
