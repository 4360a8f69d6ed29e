"""Member register: every kind of faulty file, CSV `;`/`,`, BOM, XLSX, the command and re-imports."""

import pytest
from django.core.management import CommandError, call_command

from invitations.models import Member
from invitations.register.apply import RegisterError, apply_register
from invitations.register.check import check_register

from .conftest import GOOD_ROWS, HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


def problems(check):
    return [str(p) for p in check.problems]


# --- good files ------------------------------------------------------------------------

@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("bom", [False, True])
def test_clean_csv_imports(delimiter, bom):
    check = check_register(csv_bytes(GOOD_ROWS, delimiter=delimiter, bom=bom), "register.csv")
    assert check.is_clean, problems(check)
    assert (check.new_count, check.update_count) == (3, 0)
    result = apply_register(check)
    assert (result.created, result.updated, result.skipped) == (3, 0, 0)
    koeln = Member.objects.get(ags="05315000")
    assert koeln.name == "Köln"
    assert koeln.einwohner == 1_084_831  # German thousands separators accepted
    assert koeln.groessenklasse == 7
    assert Member.objects.get(ags="05370").groessenklasse == 6


def test_header_case_whitespace_and_order_are_forgiven():
    header = [" AGS ", "Name", "LAND", "Typ", "Einwohner ", "E-Mail" if False else "EMAIL", "Ansprechpartner"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5], r[6]] for r in GOOD_ROWS]
    check = check_register(csv_bytes(rows, header=header, bom=True), "r.csv")
    assert check.is_clean, problems(check)
    reordered = ["email", "ags", "name", "land", "typ", "einwohner", "ansprechpartner"]
    rows = [[r[5], r[0], r[1], r[2], r[3], r[4], r[6]] for r in GOOD_ROWS]
    check = check_register(csv_bytes(rows, header=reordered), "r.csv")
    assert check.is_clean, problems(check)
    assert {r.email for r in check.rows} == {r[5] for r in GOOD_ROWS}


def test_xlsx_with_numbers_and_dropped_leading_zero():
    rows = [
        [5315000, "Köln", "Nordrhein-Westfalen", "kreisfreie Stadt", 1084831, "info@stadt-koeln.de", None],
        ["01001000", "Flensburg", "Schleswig-Holstein", "kreisfreie Stadt", 90164.0, "a@flensburg.de", "X"],
    ]
    check = check_register(xlsx_bytes(rows), "register.xlsx")
    assert check.is_clean, problems(check)
    assert sorted(r.ags for r in check.rows) == ["01001000", "05315000"]  # zero restored where Land says so
    apply_register(check)
    assert Member.objects.get(ags="05315000").einwohner == 1084831


def test_excel_style_blank_rows_and_trailing_separators_are_ignored():
    data = csv_bytes(GOOD_ROWS) + b";;;;;;\r\n\r\n"
    check = check_register(data, "r.csv")
    assert check.is_clean, problems(check)
    assert check.total_rows == 3


def test_land_and_typ_are_canonicalised():
    rows = [["05315000", "Köln", "nordrhein-westfalen", "KREISFREIE STADT", "1000", "a@b.de", ""],
            ["16051000", "Erfurt", "Thueringen", "kreisfreie  stadt", "1000", "c@d.de", ""]]
    check = check_register(csv_bytes(rows), "r.csv")
    assert check.is_clean, problems(check)
    assert {(r.land, r.typ) for r in check.rows} == {("Nordrhein-Westfalen", "kreisfreie Stadt"),
                                                      ("Thüringen", "kreisfreie Stadt")}


# --- faulty files ----------------------------------------------------------------------

@pytest.mark.parametrize("data", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_empty_file(data):
    check = check_register(data, "r.csv")
    assert problems(check) == ["file: the file is empty"]
    assert check.has_fatal


def test_header_only():
    check = check_register(csv_bytes([]), "r.csv")
    assert problems(check) == ["file: the file has a header but no data rows"]


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 4,                                  # binary garbage
    b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,                   # an image
    "ags;name\n05315000;K\xf6ln\n".encode("latin-1"),       # not UTF-8 (legacy Excel CSV)
])
def test_binary_garbage_and_wrong_encoding(data):
    check = check_register(data, "register.csv")
    assert len(check.problems) == 1
    assert "neither an XLSX workbook nor UTF-8 text" in str(check.problems[0])
    assert "CSV UTF-8" in check.problems[0].message_de


def test_broken_xlsx():
    data = xlsx_bytes(GOOD_ROWS)[:300]  # a truncated zip
    check = check_register(data, "register.xlsx")
    assert check.has_fatal and len(check.problems) == 1
    assert "cannot be read" in str(check.problems[0])
    check = check_register(b"this is not excel", "register.xlsx")
    assert check.has_fatal


def test_wrong_missing_and_extra_headers():
    header = ["ags", "name", "bundesland", "typ", "einwohner", "email", "ansprechpartner", "telefon"]
    check = check_register(csv_bytes([r + ["123"] for r in GOOD_ROWS], header=header), "r.csv")
    text = problems(check)
    assert "row 1, column bundesland: unknown column 'bundesland' (expected: " \
           "ags;name;land;typ;einwohner;email;ansprechpartner)" in text
    assert any(t.startswith("row 1, column telefon: unknown column 'telefon'") for t in text)
    assert "row 1, column land: required column 'land' is missing" in text
    assert check.has_fatal and check.rows == []


def test_duplicate_header_and_tab_separated_file():
    check = check_register(csv_bytes(GOOD_ROWS, header=HEADER[:-1] + ["email"]), "r.csv")
    assert "row 1, column email: column 'email' appears more than once" in problems(check)
    check = check_register(csv_bytes(GOOD_ROWS, delimiter="\t"), "r.csv")
    assert check.has_fatal
    assert any("missing" in t for t in problems(check))


def test_every_row_problem_is_reported_with_row_and_column():
    rows = [
        GOOD_ROWS[0],                                                                         # row 2 ok
        ["1234", "A", "Bayern", "Gemeinde", "100", "a@a.de", ""],                             # row 3 ags
        ["09162001", "", "Bayern", "Gemeinde", "100", "b@b.de", ""],                          # row 4 name
        ["09162002", "C", "Bayern", "Gemeinde", "100", "x@", ""],                             # row 5 email
        ["09162003", "D", "Bayern", "Gemeinde", "zwölf", "d@d.de", ""],                       # row 6 population
        ["09162004", "E", "Bayern", "Gemeinde", "12,5", "e@e.de", ""],                        # row 7 population
        ["09162005", "F", "Bayern", "Gemeinde", "-3", "f@f.de", ""],                          # row 8 population
        ["09162006", "G", "Österreich", "Gemeinde", "100", "g@g.de", ""],                     # row 9 land
        ["09162007", "H", "Bayern", "Dorf", "100", "h@h.de", ""],                             # row 10 typ
        ["05315000", "Köln doppelt", "Nordrhein-Westfalen", "Stadt", "100", "k@k.de", ""],    # row 11 duplicate of 2
        ["0916200A", "I", "Bayern", "Gemeinde", "12.5", "", ""],                              # row 12 three problems
    ]
    check = check_register(csv_bytes(rows), "r.csv")
    text = problems(check)
    expected = [
        "row 2, column ags: AGS '05315000' appears more than once in the file (rows 2, 11)",
        "row 3, column ags: '1234' is not an AGS (5 or 8 digits)",
        "row 4, column name: a value is required",
        "row 5, column email: 'x@' is not a valid e-mail address",
        "row 6, column einwohner: 'zwölf' is not a whole non-negative number",
        "row 7, column einwohner: '12,5' is not a whole non-negative number",
        "row 8, column einwohner: '-3' is not a whole non-negative number",
        "row 9, column land: 'Österreich' is not a German Land (one of the 16, e.g. 'Nordrhein-Westfalen')",
        "row 10, column typ: 'Dorf' is not a known type (Gemeinde, Stadt, kreisfreie Stadt, Landkreis)",
        "row 11, column ags: AGS '05315000' appears more than once in the file (rows 2, 11)",
        "row 12, column ags: '0916200A' is not an AGS (5 or 8 digits)",
        "row 12, column einwohner: '12.5' is not a whole non-negative number",
        "row 12, column email: a value is required",
    ]
    assert text == expected
    assert check.total_rows == 11 and check.rows == [] and not check.is_clean
    german = [p.text_de for p in check.problems]
    assert "Zeile 5, Spalte email: „x@“ ist keine gültige E-Mail-Adresse." in german
    with pytest.raises(RegisterError):
        apply_register(check)
    assert Member.objects.count() == 0


def test_row_numbers_count_quoted_multiline_cells_as_one_row():
    rows = [["05315000", "Köln", "Nordrhein-Westfalen", "Stadt", "1", "a@b.de", "Frau\nMuster"],
            ["05315001", "X", "Nordrhein-Westfalen", "Stadt", "1", "kaputt", ""]]
    check = check_register(csv_bytes(rows), "r.csv")
    assert problems(check) == ["row 3, column email: 'kaputt' is not a valid e-mail address"]


def test_extra_cells_without_header_are_reported():
    rows = [GOOD_ROWS[0] + ["überzählig"]]
    check = check_register(csv_bytes(rows), "r.csv")
    assert problems(check) == ["row 2: the row has more cells than the header"]


def test_skip_invalid_imports_only_valid_rows():
    rows = GOOD_ROWS + [["09162002", "C", "Bayern", "Gemeinde", "100", "x@", ""]]
    check = check_register(csv_bytes(rows), "r.csv")
    assert len(check.problems) == 1
    result = apply_register(check, skip_invalid=True)
    assert (result.created, result.updated, result.skipped) == (3, 0, 1)
    assert not Member.objects.filter(ags="09162002").exists()


def test_fatal_problems_cannot_be_skipped():
    check = check_register(b"\x00\x01\x02garbage", "r.csv")
    with pytest.raises(RegisterError):
        apply_register(check, skip_invalid=True)


def test_reimport_updates_by_ags_and_never_duplicates():
    apply_register(check_register(csv_bytes(GOOD_ROWS), "r.csv"))
    member = Member.objects.get(ags="05315000")
    member.email_bounced = True
    member.fallback_email = "ersatz@stadt-koeln.de"
    member.save()
    changed = [list(r) for r in GOOD_ROWS]
    changed[0][4] = "90000"          # population → class changes
    changed[0][5] = "neu@stadt-koeln.de"
    changed.append(["05316000", "Leverkusen", "Nordrhein-Westfalen", "kreisfreie Stadt", "163000", "l@lev.de", ""])
    check = check_register(csv_bytes(changed, delimiter=","), "r.csv")
    assert (check.new_count, check.update_count) == (1, 3)
    result = apply_register(check)
    assert (result.created, result.updated, result.unchanged, result.skipped) == (1, 1, 2, 0)
    assert Member.objects.count() == 4
    member.refresh_from_db()
    assert (member.einwohner, member.groessenklasse, member.email) == (90000, 4, "neu@stadt-koeln.de")
    assert member.email_bounced is False  # a new address starts fresh
    assert member.fallback_email == "ersatz@stadt-koeln.de"


# --- the command -----------------------------------------------------------------------

def run(capsys, *args):
    try:
        call_command("import_register", *args)
        code = 0
    except CommandError as exc:
        code = exc.returncode
        captured = capsys.readouterr()
        return code, captured.out, captured.err + str(exc)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_command_clean_file(tmp_path, capsys):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(GOOD_ROWS, bom=True))
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "created 3, updated 0, unchanged 0, skipped 0" in out
    code, out, _ = run(capsys, str(path))
    assert code == 0 and "created 0, updated 0, unchanged 3, skipped 0" in out
    assert Member.objects.count() == 3


def test_command_reports_every_problem_and_stores_nothing(tmp_path, capsys):
    rows = GOOD_ROWS + [["09162002", "C", "Bayern", "Gemeinde", "100", "x@", ""],
                        ["09162003", "", "Bayern", "Gemeinde", "100", "d@d.de", ""]]
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(rows))
    code, out, err = run(capsys, str(path))
    assert code != 0
    assert "row 5, column email: 'x@' is not a valid e-mail address" in err
    assert "row 6, column name: a value is required" in err
    assert "nothing was stored" in err
    assert Member.objects.count() == 0


def test_command_dry_run_writes_nothing(tmp_path, capsys):
    path = tmp_path / "register.xlsx"
    path.write_bytes(xlsx_bytes(GOOD_ROWS))
    code, out, _ = run(capsys, str(path), "--dry-run")
    assert code == 0
    assert "would create 3 and update 0 member(s)" in out
    assert Member.objects.count() == 0


def test_command_skip_invalid(tmp_path, capsys):
    rows = GOOD_ROWS + [["09162002", "C", "Bayern", "Gemeinde", "100", "x@", ""]]
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(rows))
    code, out, err = run(capsys, str(path), "--skip-invalid", "--dry-run")
    assert code == 0 and "skip 1 invalid row(s)" in out and Member.objects.count() == 0
    code, out, err = run(capsys, str(path), "--skip-invalid")
    assert code == 0 and "created 3, updated 0, unchanged 0, skipped 1" in out
    assert "row 5, column email" in err
    assert Member.objects.count() == 3


def test_command_garbage_and_missing_file(tmp_path, capsys):
    path = tmp_path / "register.csv"
    path.write_bytes(bytes(range(256)))
    code, _, err = run(capsys, str(path), "--skip-invalid")
    assert code != 0 and "file: the file is neither" in err
    code, _, err = run(capsys, str(tmp_path / "missing.csv"))
    assert code != 0 and "no such file" in err
    assert Member.objects.count() == 0
