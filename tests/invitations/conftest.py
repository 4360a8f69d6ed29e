"""Fixtures for the invitations tests: a plain open survey and register files made in the test."""

import datetime
import io

import pytest

HEADER = ["ags", "name", "land", "typ", "einwohner", "email", "ansprechpartner"]
GOOD_ROWS = [
    ["05315000", "Köln", "Nordrhein-Westfalen", "kreisfreie Stadt", "1.084.831", "info@stadt-koeln.de", "Frau Muster"],
    ["09162000", "München", "Bayern", "kreisfreie Stadt", "1484226", "rathaus@muenchen.de", ""],
    ["05370", "Kreis Heinsberg", "Nordrhein-Westfalen", "Landkreis", "255000", "kreis@heinsberg.de", "Herr A"],
]


def csv_bytes(rows, delimiter=";", bom=False, header=HEADER, crlf=True) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows, header=HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def survey(db):
    from surveys.models import Survey

    return Survey.objects.create(
        slug="test-befragung", title="Wie nutzen Kommunen Social Media?", status=Survey.Status.OPEN,
        contact_email="befragung@kgst.example", organisers="KGSt", closes_on=datetime.date(2013, 8, 30),
    )


def make_members(count: int, domain_count: int = 20, start: int = 10_000_000) -> list:
    from invitations.models import Member, groessenklasse

    members = [
        Member(ags=str(start + i), name=f"Gemeinde {i}", land="Nordrhein-Westfalen", typ="Gemeinde",
               einwohner=5_000 + i, groessenklasse=groessenklasse(5_000 + i),
               email=f"rathaus{i}@gemeinde{i % domain_count}.example")
        for i in range(count)
    ]
    return Member.objects.bulk_create(members, batch_size=1000)
