"""Non-responder download: CSV for German Excel, formula injection neutralised."""

import csv
import io

import pytest
from django.urls import reverse

from responses.dashboard.views import neutralise

pytestmark = pytest.mark.django_db


def _download(client, survey, **params):
    response = client.get(reverse("staff:nonresponders_csv", args=[survey.slug]), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="nicht-antwortende-feld-')
    return response.content


def _rows(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content[3:].decode("utf-8"), newline=""), delimiter=";"))


def test_lists_invited_members_who_have_not_submitted(staff_client, dataset):
    rows = _rows(_download(staff_client, dataset.survey))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["AGS", "Name", "Land"] and "Status" in header
    by_ags = {row[0]: row for row in body}
    # invited and not submitted: m1, m2, m3, m5, b3 (opted out still listed, marked)
    assert set(by_ags) == {"05111001", "05111002", "05111003", "05111005", "09111003"}
    status = header.index("Status")
    assert by_ags["09111003"][status] == "abgemeldet"
    assert by_ags["05111005"][status] == "unzustellbar"
    assert by_ags["05111003"][status] == "begonnen"
    assert by_ags["05111002"][header.index("Link zuerst geöffnet")] == "01.05.2024 09:00"
    assert by_ags["05111002"][header.index("Name")] == "Beispielheim"


def test_filters_of_the_member_list_apply(staff_client, dataset):
    rows = _rows(_download(staff_client, dataset.survey, land="Bayern"))
    assert [row[0] for row in rows[1:]] == ["09111003"]


def test_excel_dialect(staff_client, dataset):
    content = _download(staff_client, dataset.survey)
    text = content[3:].decode("utf-8")
    assert text.splitlines()[0].count(";") == 10
    assert "\r\n" in text
    assert "Großstadt" not in text  # submitted
    assert "Nordrhein-Westfalen" in text  # umlauts survive as UTF-8 (ü etc.)


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"http://evil\")", "'=HYPERLINK(\"http://evil\")"),
    ("+49 221 1234", "'+49 221 1234"),
    ("-1+1", "'-1+1"),
    ("@SUMME(A1)", "'@SUMME(A1)"),
    ("\tTab", "'\tTab"),
    ("\rCR", "'\rCR"),
    ("\x01ctrl", "'\x01ctrl"),
    ("Köln", "Köln"),
    ("", ""),
    (12000, "12000"),
    (None, ""),
])
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_formula_injection_in_register_data_is_neutralised(staff_client, dataset):
    member = dataset.members.m1
    member.name = '=HYPERLINK("http://evil.example","klick")'
    member.ansprechpartner = "@cmd|' /C calc'!A0"
    member.save()
    rows = _rows(_download(staff_client, dataset.survey))
    row = next(r for r in rows if r[0] == member.ags)
    assert row[1] == "'" + member.name
    assert row[rows[0].index("Ansprechperson")] == "'" + member.ansprechpartner
    for row in rows:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r"


def test_analyst_may_not_download(analyst_client, dataset):
    assert analyst_client.get(reverse("staff:nonresponders_csv", args=[dataset.survey.slug])).status_code == 403
