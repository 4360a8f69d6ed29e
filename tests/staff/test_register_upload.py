"""Register upload with preview: happy path (CSV, XLSX), error file, too large, wrong type, ownership."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts import roles
from invitations.models import Member

pytestmark = pytest.mark.django_db

HEADER = "ags;name;land;typ;einwohner;email;ansprechpartner\r\n"
GOOD = HEADER + (
    "05315000;Köln;Nordrhein-Westfalen;kreisfreie Stadt;1084795;rathaus@koeln.example;Frau Beispiel\r\n"
    "09162000;München;Bayern;kreisfreie Stadt;1512491;buergerbuero@muenchen.example;\r\n"
    "06411000;Darmstadt;Hessen;Stadt;159878;info@darmstadt.example;Herr Muster\r\n"
)
BAD = HEADER + (
    "05315000;Köln;Nordrhein-Westfalen;kreisfreie Stadt;1084795;rathaus@koeln.example;\r\n"
    "09162000;München;Bayern;kreisfreie Stadt;viele;buergerbuero@muenchen.example;\r\n"
    "06411000;Darmstadt;Atlantis;Stadt;159878;kaputt;\r\n"
)
UPLOAD_URL = "/staff/register/"


def _upload(client, content: bytes, name="register.csv", content_type="text/csv"):
    return client.post(UPLOAD_URL, {"file": SimpleUploadedFile(name, content, content_type=content_type)})


def _preview_url(response) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    assert re.match(r"^/staff/register/pruefung/[\w-]{20,}/$", response["Location"])
    return response["Location"]


def test_upload_page_renders(staff_client):
    response = staff_client.get(reverse("staff:register_upload"))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


def test_happy_path_preview_then_confirm(staff_client):
    Member.objects.create(ags="06411000", name="Darmstadt alt", land="Hessen", typ="Stadt", einwohner=150_000,
                          email="alt@darmstadt.example")
    preview_url = _preview_url(_upload(staff_client, ("\ufeff" + GOOD).encode("utf-8")))
    preview = staff_client.get(preview_url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert '<dd class="col-sm-8" id="count-new">2</dd>' in html
    assert '<dd class="col-sm-8" id="count-update">1</dd>' in html
    assert "München" in html and "Register übernehmen" in html
    assert Member.objects.count() == 1  # previewing stores nothing

    done = staff_client.post(preview_url, follow=True)
    assert "2 neu, 1 aktualisiert" in done.content.decode()
    assert Member.objects.count() == 3
    darmstadt = Member.objects.get(ags="06411000")
    assert darmstadt.name == "Darmstadt" and darmstadt.email == "info@darmstadt.example"
    assert Member.objects.get(ags="09162000").groessenklasse == 7
    # the stored upload is gone: a second confirm cannot apply it again
    again = staff_client.post(preview_url)
    assert again.status_code == 302 and again["Location"] == reverse("staff:register_upload")


def test_xlsx_upload(staff_client):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for line in GOOD.strip().split("\r\n"):
        cells = line.split(";")
        sheet.append([int(c) if c.isdigit() and len(c) > 6 and i == 4 else c for i, c in enumerate(cells)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview_url = _preview_url(_upload(
        staff_client, buffer.getvalue(), "Register.XLSX",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ))
    staff_client.post(preview_url)
    assert set(Member.objects.values_list("ags", flat=True)) == {"05315000", "09162000", "06411000"}


def test_error_file_shows_problems_and_stores_nothing(staff_client):
    preview_url = _preview_url(_upload(staff_client, BAD.encode("utf-8")))
    preview = staff_client.get(preview_url)
    html = preview.content.decode()
    assert 'id="error-summary"' in html
    # row numbers as in a spreadsheet (header = row 1), column and reason in German
    assert re.search(r"<td>3</td>\s*<td><code>einwohner</code></td>\s*<td>„viele“ ist keine ganze Zahl", html)
    assert re.search(r"<td>4</td>\s*<td><code>land</code></td>\s*<td>„Atlantis“ ist kein Bundesland", html)
    assert re.search(r"<td>4</td>\s*<td><code>email</code></td>", html)
    assert "Register übernehmen" not in html
    # confirming without "skip invalid rows" stores nothing either, and says why
    refused = staff_client.post(preview_url)
    assert refused.status_code == 400 and "Bitte bestätigen Sie" in refused.content.decode()
    assert Member.objects.count() == 0


def test_error_file_can_skip_invalid_rows_on_request(staff_client):
    preview_url = _preview_url(_upload(staff_client, BAD.encode("utf-8")))
    response = staff_client.post(preview_url, {"skip_invalid": "on"}, follow=True)
    assert "1 neu, 0 aktualisiert, 0 unverändert, 2 fehlerhafte Zeilen übersprungen" in response.content.decode()
    assert list(Member.objects.values_list("ags", flat=True)) == ["05315000"]


def test_empty_file_is_refused_on_upload(staff_client):
    response = _upload(staff_client, b"")
    assert response.status_code == 400
    assert "leer" in response.content.decode()
    assert Member.objects.count() == 0


@pytest.mark.parametrize("content", [
    b"\r\n;;;;;;\r\n",
    b"\x00\x01\x02\xff\xfe garbage \x00",
    "name;ort\r\nKöln;Köln\r\n".encode(),
    HEADER.encode(),
])
def test_unreadable_files_cannot_be_applied(staff_client, content):
    preview_url = _preview_url(_upload(staff_client, content))
    html = staff_client.get(preview_url).content.decode()
    assert 'id="error-summary"' in html
    assert "Gültige Zeilen übernehmen" not in html
    staff_client.post(preview_url, {"skip_invalid": "on"})
    assert Member.objects.count() == 0


def test_too_large(staff_client, settings):
    settings.REGISTER_UPLOAD_MAX_BYTES = 100
    response = _upload(staff_client, GOOD.encode("utf-8"))
    assert response.status_code == 400
    assert "zu groß" in response.content.decode()
    assert Member.objects.count() == 0


def test_far_too_large_is_refused_by_content_length(staff_client, settings):
    settings.REGISTER_UPLOAD_MAX_BYTES = 10
    response = _upload(staff_client, GOOD.encode("utf-8") * 2000)
    assert response.status_code == 400
    assert "zu groß" in response.content.decode()


@pytest.mark.parametrize(("name", "content", "message"), [
    ("register.pdf", b"%PDF-1.4 ...", "CSV-Datei (.csv) oder eine Excel-Arbeitsmappe"),
    ("register.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Ältere Excel-Dateien"),
    ("register.exe", b"MZ\x90\x00", "CSV-Datei (.csv)"),
    ("register.xlsx", b"ags;name\r\n", "keine Excel-Arbeitsmappe"),
    ("register.csv", b"PK\x03\x04rest-of-zip", "heißt aber nicht .xlsx"),
])
def test_wrong_type(staff_client, name, content, message):
    response = _upload(staff_client, content, name, "application/octet-stream")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert Member.objects.count() == 0


def test_missing_file(staff_client):
    response = staff_client.post(UPLOAD_URL, {})
    assert response.status_code == 400
    assert 'id="error-summary"' in response.content.decode()


def test_another_user_cannot_use_my_upload(staff_client, client):
    from django.contrib.auth.models import User

    preview_url = _preview_url(_upload(staff_client, GOOD.encode("utf-8")))
    colleague = User.objects.create_user("kollegin", "k@example.org", "Test-Passwort-123")
    roles.grant(colleague, roles.OWNER)
    other = type(client)()
    other.force_login(colleague)
    response = other.post(preview_url)
    assert response.status_code == 302 and response["Location"] == reverse("staff:register_upload")
    assert Member.objects.count() == 0


def test_file_is_rechecked_on_confirm(staff_client):
    """A member created between preview and confirm is updated, not duplicated."""
    preview_url = _preview_url(_upload(staff_client, GOOD.encode("utf-8")))
    staff_client.get(preview_url)
    Member.objects.create(ags="05315000", name="Köln (zwischendurch)", land="Nordrhein-Westfalen",
                          typ="kreisfreie Stadt", einwohner=1, email="x@koeln.example")
    response = staff_client.post(preview_url, follow=True)
    assert "2 neu, 1 aktualisiert" in response.content.decode()
    assert Member.objects.filter(ags="05315000").count() == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_register_template_checks_clean_and_is_linked(staff_client, fmt):
    """The downloadable template has the expected header and one example row that passes the check."""
    from invitations.register.check import COLUMNS, check_register

    page = staff_client.get(reverse("staff:register_upload")).content.decode()
    url = reverse("staff:register_template", args=[fmt])
    assert f'href="{url}"' in page
    response = staff_client.get(url)
    assert response.status_code == 200
    assert f"register-vorlage.{fmt}" in response["Content-Disposition"]
    check = check_register(response.content, f"vorlage.{fmt}")
    assert check.is_clean, check.problems
    assert len(check.rows) == 1 and check.rows[0].ags == "05315000"
    if fmt == "csv":
        header = response.content.decode("utf-8-sig").splitlines()[0]
        assert header == ";".join(COLUMNS)
    assert staff_client.get(reverse("staff:register_template", args=["exe"])).status_code == 404
