"""Uploads that cannot take a worker down: each hostile file goes through the staff upload views (upload,
then the preview that parses it) and is refused in under 10 s with the process's RSS growing < 300 MB.

RSS is sampled every 5 ms by a thread while the requests run (psutil); the figures are printed (-s)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from invitations.register.check import COLUMNS
from surveys.spreadsheets import Limits, SpreadsheetRefused, check_xlsx

from .hostile import many_tiny_shared_strings, one_huge_shared_string, sheet_xml, workbook

pytestmark = pytest.mark.django_db

SECONDS, MEGABYTES = 10, 300


@dataclass
class Figures:
    seconds: float
    rss_growth_mb: float


def measured(work):
    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()
    try:
        result = work()
    finally:
        elapsed = time.perf_counter() - start
        done.set()
        sampler.join()
    figures = Figures(elapsed, (peak[0] - before) / 1e6)
    return result, figures


def register_upload(client, name: str, data: bytes):
    response = client.post("/staff/register/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return client.get(response["Location"])


def definition_upload(client, name: str, data: bytes):
    response = client.post("/staff/neue-befragung/hochladen/", {"file": SimpleUploadedFile(name, data)})
    assert response.status_code == 302, response.content[:2000]
    return client.get(response["Location"])


def report(label: str, data: bytes, figures: Figures) -> None:
    print(f"\n{label}: {len(data) / 1e3:.0f} kB upload, {figures.seconds:.2f} s, RSS +{figures.rss_growth_mb:.1f} MB")
    assert figures.seconds < SECONDS and figures.rss_growth_mb < MEGABYTES


HUGE_STRING = one_huge_shared_string(100)  # 100 MB of one shared string, deflated
RATIO_BOMB = one_huge_shared_string(20)  # under the size limits: refused by its compression ratio
NOISE_STRING = one_huge_shared_string(1, random=True)  # one shared string of 1 MB: refused by its length
PROBE_STRINGS = many_tiny_shared_strings(3_700_000)  # the probe's file: refused by size and ratio
TINY_STRINGS = many_tiny_shared_strings(300_000, numbered=True)  # under the size and ratio limits: by count
HEADER = ";".join(COLUMNS)
WIDE_CSV = (HEADER + ";" * 100_000 + "\n05315000;Köln;Nordrhein-Westfalen;kreisfreie Stadt;1000;a@example.org;\n")
CLAIMED = workbook(sheet_xml([COLUMNS, ["05315000", "Köln", "Nordrhein-Westfalen", "kreisfreie Stadt", "1000",
                                        "a@example.org", ""]], dimension="A1:XFD1048576"))


# The same hostile workbooks against both spreadsheet uploads: (label, file, the reason the refusal names).
BOMBS = [
    ("shared-string bomb 100 MB", HUGE_STRING, "entpackt größer als"),
    ("one shared string of 20 MB", RATIO_BOMB, "mehr als 200:1 komprimiert"),
    ("one shared string of 1 MB noise", NOISE_STRING, "mehr als 32767 Zeichen"),
    ("3.7 million tiny shared strings", PROBE_STRINGS, "entpackt größer als"),
    ("300,000 numbered shared strings", TINY_STRINGS, "gemeinsame Zeichenketten"),
]


@pytest.mark.parametrize(("label", "data", "reason"), BOMBS)
def test_register_workbook_bombs_are_refused(staff_client, empty_cache, label, data, reason):
    response, figures = measured(lambda: register_upload(staff_client, "register.xlsx", data))
    report(f"register, {label}", data, figures)
    assert reason in response.content.decode()


@pytest.mark.parametrize(("label", "data", "reason"), BOMBS)
def test_xlsform_bombs_are_refused(staff_client, empty_cache, label, data, reason):
    response, figures = measured(lambda: definition_upload(staff_client, "fragebogen.xlsx", data))
    report(f"XLSForm, {label}", data, figures)
    assert reason in response.content.decode()


def test_register_csv_with_100000_columns_is_refused_quickly(staff_client, empty_cache):
    data = WIDE_CSV.encode()
    response, figures = measured(lambda: register_upload(staff_client, "register.csv", data))
    report("register CSV, 100,000-column header", data, figures)
    assert "mehr als 100 Spalten" in response.content.decode()


def test_header_check_is_linear():
    from invitations.register.check import _check_header

    start = time.perf_counter()
    assert _check_header([*COLUMNS, *[""] * 100_000], []) is not None  # trailing empties are harmless
    assert time.perf_counter() - start < 1


def test_register_dimension_claim_is_read_by_content(staff_client, empty_cache):
    response, figures = measured(lambda: register_upload(staff_client, "register.xlsx", CLAIMED))
    report("register, <dimension ref=A1:XFD1048576> with one real row", CLAIMED, figures)
    assert response.status_code == 200
    assert "Köln" in response.content.decode()


def test_xlsform_dimension_claim_is_read_by_content(staff_client, empty_cache):
    data = workbook(sheet_xml([["type", "name", "label"], ["text", "a", "A"]], dimension="A1:XFD1048576"),
                    sheet_name="survey")
    response, figures = measured(lambda: definition_upload(staff_client, "fragebogen.xlsx", data))
    report("XLSForm, <dimension ref=A1:XFD1048576>", data, figures)
    assert response.status_code == 200


def test_limits_on_the_command_line_are_english():
    with pytest.raises(SpreadsheetRefused) as refused:
        check_xlsx(TINY_STRINGS, Limits(max_rows=10))
    assert str(refused.value) == "the workbook has more than 200000 shared strings"
