"""`manage.py export_results` and the CSV/SPSS formats."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from tests.exports.readback import SHEETS, result_tables

ROOT = Path(__file__).resolve().parents[2]


def test_command_writes_the_same_workbook(kgst_survey, generated, tmp_path, capsys):
    generated(80, seed=31, partial_share=0.25)
    out = tmp_path / "sub" / "ergebnis.xlsx"
    call_command("export_results", kgst_survey.slug, "--out", str(out))
    assert "Wrote" in capsys.readouterr().out
    assert load_workbook(out, read_only=True).sheetnames == SHEETS
    submitted = result_tables(out)["B1_nutzung"]["base"]
    call_command("export_results", kgst_survey.slug, "--out", str(out), "--include-partial")
    assert result_tables(out)["B1_nutzung"]["base"] > submitted
    assert not list(out.parent.glob("*.part"))


def test_command_errors_are_clear(kgst_survey, tmp_path):
    with pytest.raises(CommandError, match="Unknown survey slug 'nope'. Known surveys: kgst-social-media-2013"):
        call_command("export_results", "nope", "--out", str(tmp_path / "x.xlsx"))
    with pytest.raises(CommandError, match="Cannot write to"):
        call_command("export_results", kgst_survey.slug, "--out", "/proc/nope/x.xlsx")
    with pytest.raises(CommandError, match="is a directory"):
        call_command("export_results", kgst_survey.slug, "--out", str(tmp_path))
    with pytest.raises(CommandError, match="format"):
        call_command("export_results", kgst_survey.slug, "--out", str(tmp_path / "x.ods"))
    # .pdf is the results report, built by the same code as the export job
    call_command("export_results", kgst_survey.slug, "--out", str(tmp_path / "bericht.pdf"), verbosity=0)
    assert (tmp_path / "bericht.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.django_db(transaction=True)
def test_command_exit_status_as_a_process(kgst_survey, tmp_path):
    from tests.worker import worker_env

    run = subprocess.run([sys.executable, "manage.py", "export_results", "unknown-slug", "--out",
                          str(tmp_path / "x.xlsx")], cwd=ROOT, env=worker_env(), capture_output=True, text=True)
    assert run.returncode != 0
    assert "Unknown survey slug 'unknown-slug'" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "manage.py", "export_results", kgst_survey.slug, "--out",
                          str(tmp_path / "ok.xlsx")], cwd=ROOT, env=worker_env(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "ok.xlsx").stat().st_size > 0


def test_csv_for_german_excel(kgst_survey, generated, tmp_path):
    plans = generated(60, seed=32, nasty=True, partial_share=0.0)
    out = tmp_path / "daten.csv"
    call_command("export_results", kgst_survey.slug, "--out", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 61
    header = rows[0]
    assert header[:6] == ["ags", "name", "land", "typ", "einwohner", "groessenklasse"]
    body = raw.decode("utf-8-sig")
    for cell in (c for r in rows for c in r):
        assert not cell.startswith(("=", "+", "@")), cell
    assert "'=HYPERLINK" in body or "'=1+1" in body or "'+1+2" in body
    assert len(plans) == 60


def test_spss_with_labels(kgst_survey, generated, tmp_path):
    import pyreadstat

    generated(50, seed=33, nasty=True, partial_share=0.0)
    out = tmp_path / "daten.sav"
    call_command("export_results", kgst_survey.slug, "--out", str(out))
    df, meta = pyreadstat.read_sav(str(out))
    assert len(df) == 50
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["B3_dauer"] == "Seit wann nutzt Ihre Kommune Social Media?"
    missing = {-1.0: "nicht gezeigt (Filter)", -9.0: "keine Angabe"}  # the missing codes, labelled
    assert meta.variable_value_labels["B3_dauer"] == {1.0: "seit weniger als 12 Monaten",
                                                      2.0: "seit 12 bis 24 Monaten", 3.0: "seit mehr als 24 Monaten",
                                                      **missing}
    assert meta.variable_value_labels["D1_extern_3"] == {0.0: "nicht gewählt", 1.0: "gewählt", **missing}
    assert set(df["B1_nutzung"].dropna().unique()) <= {1.0, 2.0}
