"""Hostile posts against every staff form and filter: never a 500, nothing stored that is not allowed."""

import io
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exports.formats import registry
from exports.models import ExportJob
from invitations.models import LAENDER, TYPEN, Member
from surveys.models import Survey

from .strategies import HOSTILE, form, scalar, value

pytestmark = pytest.mark.django_db

FUZZ = settings(max_examples=int(os.getenv("FUZZ_EXAMPLES", "50")), deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])
OK = {200, 302, 400, 403, 404, 405, 429}  # 429: the login throttle
SLUG = "kgst-social-media-2013"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


def assert_register_allowed() -> None:
    for m in Member.objects.all():
        assert re.fullmatch(r"\d{8}", m.ags), m.ags
        assert m.land in LAENDER and m.typ in TYPEN and m.einwohner >= 0
        assert "\x00" not in m.name + m.ansprechpartner + m.email
        assert EMAIL.match(m.email), m.email
        assert m.fallback_email == "" or EMAIL.match(m.fallback_email), m.fallback_email


def assert_survey_allowed(survey: Survey) -> None:
    survey.refresh_from_db()
    assert survey.status in Survey.Status.values
    if survey.opens_on and survey.closes_on:
        assert survey.closes_on >= survey.opens_on
    assert (survey.status == "closed") == (survey.closed_at is not None) or survey.status == "draft"


@pytest.fixture
def staff(staff_user):
    client = Client()
    client.force_login(staff_user)
    return client


@pytest.fixture
def survey(kgst_survey, make_invitation):
    for n in range(3):
        make_invitation(kgst_survey, ags=f"0511100{n}", name=f"Ort {n}")
    return kgst_survey


def test_fuzz_login(db, staff_user):
    client = Client()

    @FUZZ
    @given(data=form(["username", "password", "next"], ["staff", "Test-Passwort-123", "/staff/", "//evil.example"]))
    def check(data):
        result = client.post("/staff/login/", data)
        assert result.status_code in OK
        if result.status_code == 302:  # only the right password logs in, never an open redirect
            assert data.get("username") == "staff" and data.get("password") == "Test-Passwort-123"
            assert not result["Location"].startswith(("//", "http"))
            client.logout()

    check()


def test_fuzz_survey_dates_and_lifecycle(survey, staff):
    actions = ["oeffnen", "schliessen", "wieder-oeffnen"]

    @FUZZ
    @given(data=form(["opens_on", "closes_on"], ["2024-01-01", "2013-06-03", "31.12.2030", "2099-02-29"]),
           action=st.one_of(st.sampled_from(actions), st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)),
           transition=form(["closes_on", "confirm"], ["2099-12-31", "2000-01-01"]))
    def check(data, action, transition):
        assert staff.post(f"/staff/befragungen/{SLUG}/feldphase/", data).status_code in OK
        assert_survey_allowed(survey)
        assert staff.post(f"/staff/befragungen/{SLUG}/status/{action}/", transition).status_code in OK
        assert_survey_allowed(survey)

    check()


CSV_HEADER = "ags;name;land;typ;einwohner;email;ansprechpartner\n"


def register_files():
    row = st.tuples(*(scalar(["05315000", "Köln", "Nordrhein-Westfalen", "Stadt", "1000", "a@example.org"])
                      for _ in range(7))).map(lambda cells: ";".join(c.replace("\n", " ") for c in cells))
    csv_text = st.lists(row, max_size=5).map(lambda rows: (CSV_HEADER + "\n".join(rows)).encode("utf-8"))
    good = st.just((CSV_HEADER + "05315000;Köln;Nordrhein-Westfalen;kreisfreie Stadt;1000000;info@koeln.de;\n")
                   .encode())
    content = st.one_of(st.binary(max_size=3000), csv_text, good,
                        st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
                        st.sampled_from([b"", b"\xef\xbb\xbf", b"\x00" * 100, CSV_HEADER.encode("utf-16")]))
    name = st.one_of(st.sampled_from(["register.csv", "register.xlsx", "r.txt", "r.xls", "../../etc/passwd",
                                      "a.csv\x00.exe", ".csv", "x" * 300 + ".csv", "regíster.CSV"]),
                     st.text(max_size=30))
    return st.tuples(name, content)


def test_fuzz_register_upload_and_preview(db, staff):
    @FUZZ
    @given(upload=register_files(), extra=form(["file", "skip_invalid"], ["on", "1"]),
           confirm=form(["skip_invalid"], ["on", "1", "true"]), key=st.one_of(st.none(), scalar()))
    def check(upload, extra, confirm, key):
        name, content = upload
        data = {k: v for k, v in extra.items() if k != "file"}
        data["file"] = SimpleUploadedFile(name or "x", content) if name else io.BytesIO(content)
        result = staff.post("/staff/register/", data)
        assert result.status_code in OK, result.status_code
        if key is None and result.status_code == 302 and "/pruefung/" in result["Location"]:
            url = result["Location"]
        else:
            url = f"/staff/register/pruefung/{(key or 'x').replace('/', '%2F').replace('?', '%3F')}/"
        assert staff.get(url).status_code in OK
        assert staff.post(url, confirm).status_code in OK
        assert_register_allowed()

    check()


def test_fuzz_bounce_and_resend(survey, staff):
    ags = "05111000"

    @FUZZ
    @given(data=form(["fallback_email"], ["neu@example.org", "rathaus-05111000@example.org"]),
           target=st.one_of(st.just(ags), st.text(min_size=1, max_size=12)))
    def check(data, target):
        from urllib.parse import quote

        base = f"/staff/befragungen/{SLUG}/mitglieder/{quote(target, safe='')}/"
        assert staff.post(base + "unzustellbar/", data).status_code in OK
        assert staff.post(base + "link-senden/", data).status_code in OK
        assert_register_allowed()

    check()


def test_fuzz_search_and_filters(survey, staff, analyst_client):
    names = ["q", "land", "klasse", "status", "seite", "teilantworten"]

    @FUZZ
    @given(params=st.dictionaries(st.one_of(st.sampled_from(names), st.text(max_size=8)),
                                  value(["Bayern", "3", "abgeschickt", "1", "-1", "999999999999"]), max_size=6))
    def check(params):
        for url in (f"/staff/befragungen/{SLUG}/mitglieder/", f"/staff/befragungen/{SLUG}/nicht-antwortende.csv",
                    f"/staff/befragungen/{SLUG}/postausgang/", f"/staff/befragungen/{SLUG}/ruecklauf/",
                    f"/staff/befragungen/{SLUG}/ergebnisse/", f"/staff/befragungen/{SLUG}/exporte/", "/staff/"):
            assert staff.get(url, params).status_code in OK, url
        assert analyst_client.get(f"/staff/befragungen/{SLUG}/ergebnisse/", params).status_code in OK

    check()


def test_fuzz_export_creation_and_results(survey, staff):
    @FUZZ
    @given(data=form(["format", "include_partial"], ["xlsx", "csv", "sav", "pdf", "on", "1"]),
           pk=st.one_of(st.integers(-5, 10**12), st.just(0)))
    def check(data, pk):
        assert staff.post(f"/staff/befragungen/{SLUG}/exporte/neu/", data).status_code in OK
        assert staff.post(f"/staff/befragungen/{SLUG}/ergebnisse/aktualisieren/", data).status_code in OK
        if pk >= 0:
            for tail in ("", "wiederholen/", "herunterladen/"):
                method = staff.post if tail == "wiederholen/" else staff.get
                assert method(f"/staff/exporte/{pk}/{tail}", data).status_code in OK
        for job in ExportJob.objects.all():
            assert job.format in registry.exporters() and job.status in ExportJob.Status.values

    check()
    assert ExportJob.objects.exists()


def test_fuzz_sending_confirmations(survey, staff):
    @FUZZ
    @given(data=form(["confirm", "count", "survey"], list(HOSTILE[:5])))
    def check(data):
        for tail in ("einladen/", "erinnern/"):
            assert staff.post(f"/staff/befragungen/{SLUG}/{tail}", data).status_code in OK

    check()
