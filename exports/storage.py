"""Where export files live: `MEDIA_ROOT/exports/`.

It holds the finished files of export jobs (`<random>.<ext>`, served only through the download
view), a file while a job writes it (`<random>.<ext>.part`, renamed when complete) and the work
directory of a workbook being written (`tmp-xlsx-*`: openpyxl streams each sheet through a file
there). The sweep (exports/jobs/sweep.py) removes what a killed export left behind.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings

EXPORT_DIR = "exports"  # below MEDIA_ROOT; ExportJob.file names start with it
TEMP_PREFIX = "tmp-xlsx-"  # a workbook's sheet files while it is written (exports/formats/safe.py)


def directory() -> Path:
    """The export directory (it may not exist yet)."""
    return Path(settings.MEDIA_ROOT) / EXPORT_DIR


FILE_MODE, DIRECTORY_MODE = 0o600, 0o700  # export files hold personal data: the service account only


def ensure_directory() -> Path:
    """The export directory, created if missing, readable by the service account only (0700)."""
    path = directory()
    path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    path.chmod(DIRECTORY_MODE)  # mkdir's mode is masked by the umask, and an older directory may be 0755
    return path


def create_private(path: Path) -> Path:
    """Create `path` empty with mode 0600 before an exporter writes it: a writer opening it with "w" keeps the
    mode, and `seal` sets it again for a writer that replaced the file."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE))
    path.chmod(FILE_MODE)
    return path


def seal(path: Path) -> None:
    """The finished file readable by the service account only."""
    path.chmod(FILE_MODE)
