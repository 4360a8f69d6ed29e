"""A real OData v4 client from npm (@odata/client, $metadata through odata-csdl) against gunicorn:
it reads $metadata, pages through Responses with $filter and $count, and its counts equal the
workbook's for the KGSt survey. tests/odata/client/ holds the script, package.json and its lock;
`npm ci` there installs them (.ci/run does it; this test does it when node_modules is missing)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from exports.analysis import datarows
from exports.formats.registry import build_export
from harness.answer_data import generate
from responses.models import Response
from surveys.structure import get_structure
from tests.e2e.conftest import app_url, live_server_process  # noqa: F401  (the gunicorn fixtures)
from tests.exports.readback import result_tables

CLIENT = Path(__file__).parent / "client"
pytestmark = pytest.mark.slow


def _installed() -> None:
    assert shutil.which("node") and shutil.which("npm"), "node and npm are needed (Debian: apt-get install nodejs npm)"
    if not (CLIENT / "node_modules" / "@odata" / "client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=CLIENT, check=True, timeout=600,
                       capture_output=True)


def _run(service: str, key: str, page_size: int, filters: list[str]) -> dict:
    done = subprocess.run(["node", "client.js", service, key, str(page_size), *filters], cwd=CLIENT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_npm_client_counts_equal_the_workbook(app_url, kgst_survey, analyst_user, tmp_path):  # noqa: F811
    from exports.api import keys

    _installed()
    generate(kgst_survey, get_structure(kgst_survey), 60, seed=11, partial_share=0.15)
    key = keys.create_key(analyst_user, "npm client", kgst_survey, 1).plain
    workbook = tmp_path / "kgst.xlsx"
    build_export(kgst_survey, "xlsx", workbook)
    tables = result_tables(workbook)
    cols = datarows.columns(kgst_survey)
    # every option of every single choice question with number codes, and each multiple-choice option
    checks: list[tuple[str, int]] = []
    for col in cols:
        if col.kind == "single" and col.numeric and col.code in tables:
            for code, (_label, count, _pct) in tables[col.code]["options"].items():
                checks.append((f"{col.code} eq {int(code)}", count))
            checks.append((f"{col.code} ge 0", tables[col.code]["base"]))
    multi = [c for c in cols if c.kind == "multi" and c.question_code in tables][:6]
    for col in multi:
        option = col.code[len(col.question_code) + 1:]
        count = {str(k): v for k, v in tables[col.question_code]["options"].items()}[option][1]
        checks.append((f"{col.code} eq 1", count))
    assert len(checks) > 20
    submitted = Response.objects.filter(survey=kgst_survey, status="submitted").count()
    filters = ["", "groessenklasse ge 4 or land eq 'Bayern'"] + [text for text, _count in checks]

    out = _run(f"{app_url}/odata/{kgst_survey.slug}/", key, 7, filters)

    assert out["messages"] == [] and "Responses" in out["entitySets"]
    assert out["properties"] == ["id"] + [c.code for c in cols]
    assert out["descriptions"][cols[6].code] == cols[6].label
    everything, _either, *rest = out["results"]
    assert everything["count"] == everything["counted"] == everything["rows"] == submitted
    assert everything["pages"] == -(-submitted // 7) and len(set(everything["ids"])) == submitted
    for (text, count), result in zip(checks, rest, strict=True):
        assert result["filter"] == text
        assert result["count"] == result["rows"] == count, text
        assert result["pages"] == max(1, -(-count // 7))
