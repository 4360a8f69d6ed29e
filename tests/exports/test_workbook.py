"""The workbook: sheets, layout, numbers as numbers, formula safety, readable by other programs."""

import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from exports.formats.registry import build_export
from tests.exports.independent import count_plans
from tests.exports.readback import SHEETS, result_tables


@pytest.fixture
def workbook(kgst_survey, generated, tmp_path):
    plans = generated(250, seed=3, partial_share=0.2, nasty=True)
    path = tmp_path / "export.xlsx"
    assert build_export(kgst_survey, "xlsx", path) == sum(p.status == "submitted" for p in plans)
    return path, plans


def test_sheets_and_layout(workbook, kgst_structure):
    path, plans = workbook
    wb = load_workbook(path)
    assert wb.sheetnames == SHEETS
    daten = wb["Daten"]
    header = [c.value for c in daten[1]]
    assert header[:9] == ["ags", "name", "land", "typ", "einwohner", "groessenklasse", "status", "started_at",
                          "submitted_at"]
    assert "D1_extern_1" in header and "D1_extern_7" in header and "D1_extern_7_text" in header
    assert "C1_6" in header and "B2_zweck_2" in header and "B2_zweck" not in header
    assert daten.freeze_panes == "A2"
    assert daten.auto_filter.ref == f"A1:{daten.cell(1, len(header)).column_letter}{daten.max_row}"
    assert daten.column_dimensions["B"].width >= 20
    assert wb["Codebuch"].freeze_panes == "A2"
    # numbers are numbers
    row2 = {h: c.value for h, c in zip(header, daten[2], strict=False)}
    assert isinstance(row2["einwohner"], int) and isinstance(row2["B1_nutzung"], int)
    tables = result_tables(path)
    b3 = tables["B3_dauer"]
    assert b3["title"] == "B3_dauer – Seit wann nutzt Ihre Kommune Social Media?"
    expected = count_plans(kgst_structure, plans)["B3_dauer"]
    assert {str(code): v[1] for code, v in b3["options"].items() if v[1]} == dict(expected["options"])
    assert b3["base"] == expected["base"] and b3["missing"] == expected["shown"] - expected["base"]
    assert all(fmt == "0.0%" for fmt in b3["formats"].values())
    assert all(isinstance(v[2], float) for v in b3["options"].values())
    choice = [q for q in kgst_structure.questions if q.type in ("single", "multi", "matrix")]
    assert len(wb["Diagramme"]._charts) == len(choice) == 17
    kreuz = [c.value for c in wb["Kreuztabellen"]["A"] if isinstance(c.value, str)]
    assert any(v.startswith("B3_dauer – ") and v.endswith("nach Land") for v in kreuz)
    assert any(v.startswith("B3_dauer – ") and v.endswith("nach Größenklasse") for v in kreuz)


def test_respondent_text_never_becomes_a_formula(workbook):
    path, _ = workbook
    wb = load_workbook(path)
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert '=HYPERLINK("http://example.org","klick")' in texts
    assert "Ä" * 5000 in texts
    assert "Emoji 🎉👍 und Umlaute äöüß" in texts
    assert "Steuerzeichen  Ende" in texts


def test_opens_in_calamine(workbook):
    from python_calamine import CalamineWorkbook

    path, _ = workbook
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == SHEETS
    rows = book.get_sheet_by_name("Daten").to_python()
    assert rows[0][0] == "ags" and len(rows) > 100


@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice not installed")
def test_opens_in_libreoffice(workbook, tmp_path):
    path, _ = workbook
    out = tmp_path / "lo"
    out.mkdir()
    profile = tmp_path / "profile"
    result = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "xlsx",
         "--outdir", str(out), str(path)],
        capture_output=True, text=True, timeout=180,
    )
    converted = out / "export.xlsx"
    assert converted.exists(), result.stdout + result.stderr
    wb = load_workbook(converted)
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    assert not value.startswith(("#NAME?", "#REF!")), (ws.title, value)
                    assert value not in ("#NAME?", "#REF!", "#VALUE!")
    assert wb["Daten"].max_row == load_workbook(path)["Daten"].max_row
    texts = [c.value for row in wb["Daten"].iter_rows() for c in row if c.data_type == "f"]
    assert texts == []  # LibreOffice read respondents' "=…" as text, too
    # and a CSV of every sheet converts too
    for index, name in enumerate(SHEETS, 1):
        csv_result = subprocess.run(
            ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
             f"csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,{index}",
             "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180,
        )
        produced = list(out.glob("export*.csv"))
        assert produced, csv_result.stdout + csv_result.stderr
        text = "".join(p.read_text(encoding="utf-8") for p in produced)
        assert "#NAME?" not in text and "#REF!" not in text, name
        for p in produced:
            p.unlink()


def test_workbook_sheets_stream_through_the_exports_own_directory(kgst_survey, generated, settings, tmp_path,
                                                                  monkeypatch):
    """Nothing of a workbook export lands in the system's temporary directory, and nothing stays."""
    import tempfile

    from exports.formats.registry import build_export

    generated(20, seed=5)
    settings.MEDIA_ROOT = tmp_path / "media"
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    seen = {}

    def progress(pct: int) -> None:
        if pct == 92:  # every sheet written, the workbook about to be saved
            seen["system"] = list(system_tmp.iterdir())
            seen["own"] = list((settings.MEDIA_ROOT / "exports").glob("tmp-xlsx-*/sheet-*.xml"))

    assert build_export(kgst_survey, "xlsx", tmp_path / "out.xlsx", progress=progress) > 0
    assert seen["system"] == [] and len(seen["own"]) == 7  # one file per sheet
    assert list(system_tmp.iterdir()) == []
    assert list((settings.MEDIA_ROOT / "exports").iterdir()) == []
