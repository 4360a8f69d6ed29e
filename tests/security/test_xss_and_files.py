"""XSS in answers, member names and survey texts; formula injection in every export format;
path tricks on downloads; register upload size and type limits."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exports.formats.registry import build_export
from exports.jobs.results import compute_results
from exports.models import ExportJob, ResultSet
from tests.responses.helpers import Flow

from .conftest import FORMULA, XSS

pytestmark = pytest.mark.django_db

RAW = ("<script>alert(", "<img src=x onerror")  # escaped text may say onerror=, a tag may not


def assert_escaped(response, where: str) -> None:
    assert response.status_code == 200, (where, response.status_code)
    html = response.content.decode()
    for needle in RAW:
        assert needle not in html, f"{where}: unescaped {needle!r}"


@pytest.fixture
def answered(hostile_survey, make_invitation):
    evil_name = f"{XSS[0]}{XSS[1]}{FORMULA}"
    inv = make_invitation(hostile_survey, ags="05315000", name=evil_name, ansprechpartner=XSS[1])
    flow = Flow(Client(), inv)
    flow.open()
    assert flow.weiter("S1", {"X1_wahl": "3", "X1_wahl_3_text": FORMULA + XSS[0],
                              "X3_1": "1", "X3_2": "2"}).status_code == 302
    assert flow.weiter("S2", {"X4_zahl": "-5", "X5_text": XSS[1][:40], "X6_lang": XSS[0] + "\n" + FORMULA,
                              "X7_mail": "a@example.org", "X8_datum": "2013-06-03"}).status_code == 302
    review = flow.review()
    assert_escaped(review, "review")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in review.content.decode()
    assert flow.submit().status_code == 302
    assert_escaped(flow.client.get(flow.url("danke/")), "receipt")
    return flow


def test_respondent_pages_escape_survey_texts(answered, make_invitation, hostile_survey):
    flow = Flow(Client(), make_invitation(hostile_survey))
    flow.open()
    assert_escaped(flow.get("S1"), "page S1")
    flow.weiter("S1", {"X1_wahl": "1"})
    assert_escaped(flow.get("S2"), "page S2")
    assert_escaped(Client().get("/s/"), "access code")
    assert_escaped(Client().get(f"/abmelden/{flow.token}/"), "opt-out")


def test_staff_views_escape_everything(answered, staff_client, hostile_survey):
    result_set = ResultSet.objects.create(survey=hostile_survey)
    compute_results(result_set.pk)
    slug = hostile_survey.slug
    ags = "05315000"
    for url in ("/staff/", f"/staff/befragungen/{slug}/", f"/staff/befragungen/{slug}/ruecklauf/",
                f"/staff/befragungen/{slug}/mitglieder/", f"/staff/befragungen/{slug}/mitglieder/?q=%3Cscript%3E",
                f"/staff/befragungen/{slug}/mitglieder/{ags}/",
                f"/staff/befragungen/{slug}/mitglieder/{ags}/unzustellbar/",
                f"/staff/befragungen/{slug}/ergebnisse/", f"/staff/befragungen/{slug}/exporte/",
                f"/staff/befragungen/{slug}/postausgang/", f"/staff/befragungen/{slug}/feldphase/",
                f"/staff/befragungen/{slug}/status/schliessen/", f"/staff/befragungen/{slug}/einladen/"):
        assert_escaped(staff_client.get(url), url)
    results = staff_client.get(f"/staff/befragungen/{slug}/ergebnisse/").content.decode()
    assert "X1_wahl" in results and "&lt;script&gt;alert(&#x27;option&#x27;)&lt;/script&gt;" in results
    admin = Client()
    from django.contrib.auth.models import User

    admin.force_login(User.objects.create_superuser("root", "r@example.org", "x"))
    for url in ("/admin/surveys/survey/", f"/admin/surveys/survey/{hostile_survey.pk}/change/",
                "/admin/invitations/member/"):
        assert_escaped(admin.get(url), url)


def test_nonresponder_csv_is_neutralised(hostile_survey, make_invitation, staff_client):
    make_invitation(hostile_survey, ags="05315001", name=FORMULA, ansprechpartner="@SUM(1)")
    response = staff_client.get(f"/staff/befragungen/{hostile_survey.slug}/nicht-antwortende.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), cell


def test_xlsx_has_no_formulas(answered, hostile_survey, tmp_path):
    path = tmp_path / "out.xlsx"
    build_export(hostile_survey, "xlsx", path)
    book = openpyxl.load_workbook(path)
    texts = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert any(t.startswith("=HYPERLINK") for t in texts)  # present, as text
    assert any(XSS[0] in t for t in texts)


def test_csv_cells_are_prefixed(answered, hostile_survey, tmp_path):
    path = tmp_path / "out.csv"
    build_export(hostile_survey, "csv", path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    for cell in rows[1]:
        if cell and not cell.lstrip("-").replace(",", "").isdigit():  # negative numbers are numbers
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert any(cell.startswith("'=HYPERLINK") for cell in rows[1])


def test_sav_holds_text_as_text(answered, hostile_survey, tmp_path):
    pyreadstat = pytest.importorskip("pyreadstat")
    path = tmp_path / "out.sav"
    build_export(hostile_survey, "sav", path)
    frame, _meta = pyreadstat.read_sav(str(path))
    assert frame["name"][0].startswith("<script>alert(1)</script>")  # stored verbatim, no code runs in SPSS
    assert frame["X4_zahl"][0] == -5


@pytest.mark.parametrize("file", ["../../../etc/passwd", "/etc/passwd", "exports/../../secret.txt", "exports/"])
def test_download_path_tricks_fail(staff_client, kgst_survey, settings, tmp_path, file):
    settings.MEDIA_ROOT = tmp_path / "media"
    (tmp_path / "secret.txt").write_text("geheim")
    job = ExportJob.objects.create(survey=kgst_survey, format="csv", status="done", file=file, size=6)
    assert staff_client.get(f"/staff/exporte/{job.pk}/herunterladen/").status_code == 404


def test_download_urls_with_odd_ids(staff_client):
    for url in ("/staff/exporte/999999/herunterladen/", "/staff/exporte/..%2F..%2Fetc%2Fpasswd/herunterladen/",
                "/staff/exporte/99999999999999999999999/herunterladen/", "/staff/exporte/-1/herunterladen/"):
        assert staff_client.get(url).status_code == 404, url
    assert Client().get("/staff/exporte/1/herunterladen/").status_code == 302  # anonymous → login


def test_register_upload_too_large_gives_a_german_message(staff_client, settings):
    settings.REGISTER_UPLOAD_MAX_BYTES = 10_000
    big = SimpleUploadedFile("register.csv", b"ags;name\n" + b"x" * 200_000)
    response = staff_client.post("/staff/register/", {"file": big})
    assert response.status_code == 400
    assert "zu groß" in response.content.decode()


def test_register_upload_over_the_request_limit_is_not_a_crash(staff_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 50_000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 50_000
    settings.REGISTER_UPLOAD_MAX_BYTES = 40_000
    big = SimpleUploadedFile("register.csv", b"x" * 400_000)
    response = staff_client.post("/staff/register/", {"file": big})
    assert response.status_code == 400 and "zu groß" in response.content.decode()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("register.xls", b"\xd0\xcf\x11\xe0", "Bitte eine CSV-Datei"),
    ("register.exe", b"MZ\x90\x00", "Bitte eine CSV-Datei"),
    ("register.xlsx", b"ags;name\n", "keine Excel-Arbeitsmappe"),
    ("register.csv", b"PK\x03\x04rest", "heißt aber nicht .xlsx"),
])
def test_register_upload_type_checks(staff_client, name, content, message):
    response = staff_client.post("/staff/register/", {"file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400 and message in response.content.decode()
