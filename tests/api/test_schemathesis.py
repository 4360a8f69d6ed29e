"""schemathesis against gunicorn: requests generated from /api/v1/schema/ with a staff key never get a
5xx (check not_a_server_error). POST is left out: it queues export jobs for a worker this server
has not got (tests/api/test_exports.py creates jobs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from harness.answer_data import generate
from surveys.structure import get_structure
from tests.e2e.conftest import app_url, live_server_process  # noqa: F401  (the gunicorn fixtures)

pytestmark = pytest.mark.slow
SCHEMATHESIS = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "schemathesis"


def test_no_server_error_for_generated_requests(app_url, kgst_survey, staff_user, tmp_path):  # noqa: F811
    from exports.api import keys

    assert SCHEMATHESIS.exists() or shutil.which("schemathesis"), "schemathesis is in requirements-dev.lock"
    generate(kgst_survey, get_structure(kgst_survey), 12, seed=5, partial_share=0.2)
    key = keys.create_key(staff_user, "schemathesis", None, 1).plain
    done = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{app_url}/api/v1/schema/?format=json", "--url", app_url,
         "--checks", "not_a_server_error", "--header", f"Authorization: Bearer {key}",
         "--exclude-method", "POST", "--max-examples", "12", "--generation-deterministic",
         "--phases", "examples,coverage,fuzzing", "--request-timeout", "60", "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)  # its cache (.schemathesis/) goes there
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "passed" in done.stdout.lower() or "No issues found" in done.stdout, done.stdout[-3000:]
