"""Where export files live: `MEDIA_ROOT/exports/`.

It holds the finished files of export jobs (`<random>.<ext>`, served only through the download
view), a file while a job writes it (`<random>.<ext>.part`, renamed when complete) and the work
directory of a workbook being written (`tmp-xlsx-*`: openpyxl streams each sheet through a file
there). The sweep (exports/jobs/sweep.py) removes what a killed export left behind.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

EXPORT_DIR = "exports"  # below MEDIA_ROOT; ExportJob.file names start with it
TEMP_PREFIX = "tmp-xlsx-"  # a workbook's sheet files while it is written (exports/formats/safe.py)


def directory() -> Path:
    """The export directory (it may not exist yet)."""
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR


def ensure_directory() -> Path:
    """The export directory, created if missing."""
    path = directory()
    path.mkdir(parents=True, exist_ok=True)
    return path
