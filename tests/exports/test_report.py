"""The results report: the PDF holds the published reference figures (read back with pdftotext),
small-cell protection reaches every table of it, the HTML page serves analysts, and the PDF is an
export job like the others (status, download, log, permissions) — once through a real worker."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from exports.analysis import aggregation, protection
from exports.formats import registry
from exports.jobs import exportjob
from exports.models import DownloadLog, ExportJob
from harness.answer_data import Plan, insert_plans
from invitations.models import LAENDER
from tests.exports.reference import reference_plan
from tests.worker import celery_worker, wait_for

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) missing")


def pdf_text(path: Path) -> str:
    """The PDF's text in reading layout (a table row stays on one line)."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def sections(text: str, codes: list[str]) -> dict[str, str]:
    """The text of each question: from its heading "CODE – …" to the next question's heading."""
    starts = sorted((m.start(), code) for code in codes
                    for m in [re.search(rf"^\s*{re.escape(code)} – ", text, re.M)] if m)
    out = {}
    for (start, code), (end, _) in zip(starts, [*starts[1:], (len(text), "")], strict=True):
        out[code] = text[start:end]
    return out


def row_percent(section: str, label: str, code: str, count: int) -> float:
    """The percentage printed in the row of option `code` (label, code, count, percent). A long label
    wraps in its cell: then the row's figures stand between the label's lines."""
    lines = section.splitlines()
    for i, line in enumerate(lines):
        match = re.search(rf"\s{code}\s+{count}\s+(\d+,\d) %\s*$", line)
        if match and label[:20] in " ".join(lines[max(0, i - 1):i + 1]):
            return float(match.group(1).replace(",", "."))
    raise AssertionError((label, code, count, section[:1500]))


def footer_number(section: str, caption: str) -> int:
    match = re.search(rf"^\s*{re.escape(caption)}\s+(\d+)\s*$", section, re.M)
    assert match, (caption, section[:1500])
    return int(match.group(1))


@pytest.fixture
def reference_set(kgst_survey, kgst_structure):
    """The 318 respondents of the published figures (tests/exports/reference.py), written with COPY:
    test_reference.py shows that the respondent views store exactly these answers."""
    plans = [Plan(answers=answers, shown=[], member=member) for member, answers in reference_plan()]
    insert_plans(kgst_survey, kgst_structure, plans)
    return kgst_survey


# (question, option code, option label, count, base, published percent) — the Kommune21 figures
PUBLISHED = [
    ("B1_nutzung", "1", "Ja", 172, 318, 54),
    ("B3_dauer", "1", "seit weniger als 12 Monaten", 26, 162, 16),
    ("B3_dauer", "2", "seit 12 bis 24 Monaten", 71, 162, 44),
    ("B3_dauer", "3", "seit mehr als 24 Monaten", 65, 162, 40),
    ("D1_extern", "3", "Content Communities (z. B. Flickr, YouTube)", 58, 120, 48),
    ("D1_extern", "4", "Partizipationsinstrumente (z. B. Bürgerhaushalt, Ideenplattform)", 46, 120, 38),
    ("D1_extern", "1", "Soziale Netzwerke (z. B. Facebook, Google+)", 32, 120, 27),
    ("E1_strategie", "1", "Ja", 28, 139, 20),
    ("E1_strategie", "2", "In Planung", 37, 139, 27),
    ("D3_reaktionszeit_festgelegt", "1", "Ja", 16, 114, 14),
    ("D4_reaktionszeit", "3", "innerhalb weniger Tage", 10, 110, 9),
    ("D4_reaktionszeit", "4", "gar nicht", 4, 110, 4),
    ("E3_monitoring", "1", "Nein, kein Monitoring", 57, 133, 43),
    ("E3_monitoring", "3", "Ja, teilautomatisiert", 31, 133, 23),
    ("E3_monitoring", "4", "Ja, automatisiert", 3, 133, 2),
    ("G1_ausbau", "1", "Außenkommunikation in sozialen Netzwerken", 63, 150, 42),
    ("G1_ausbau", "2", "Partizipationsinstrumente", 35, 150, 23),
]


def _suppressed(survey) -> dict[str, set[str]]:
    """{variable: option codes the report suppresses} under the publication rules."""
    hidden: dict[str, set[str]] = {}
    for table in aggregation.compute_tables(survey)["questions"]:
        published = protection.publishable_table(table, survey.min_base)
        for holder in published.get("rows", [published]):
            hidden[holder["code"]] = {o["code"] for o in holder.get("options", []) if o.get("suppressed")}
    return hidden


def suppressed_row(section: str, label: str, code: str) -> bool:
    """The row of option `code` shows a dash for the count (publication rules)."""
    lines = section.splitlines()
    return any(re.search(rf"\s{code}\s+–†\s+–\*\s*$", line) and label[:20] in " ".join(lines[max(0, i - 1):i + 1])
               for i, line in enumerate(lines))


def test_report_pdf_holds_the_published_reference_figures(reference_set, kgst_structure, tmp_path):
    path = tmp_path / "bericht.pdf"
    assert registry.build_export(reference_set, "pdf", path) == 318
    assert path.read_bytes().startswith(b"%PDF-")
    text = pdf_text(path)
    codes = [q.code for q in kgst_structure.questions]
    parts = sections(text, codes)
    assert list(parts) == codes, "every question, in questionnaire order"
    assert re.search(r"Abgeschickte Antworten\s+318\b", text)
    assert re.search(r"Ausgewertet\s+318 Antworten", text)
    hidden = _suppressed(reference_set)
    assert hidden["E3_monitoring"] >= {"4"}  # 3 of 133: below the minimum base, so not in the report
    for code, option, label, count, base, published in PUBLISHED:
        if option in hidden[code]:
            assert suppressed_row(parts[code], label, option), (code, option)
            assert footer_number(parts[code], "Basis (gültige Antworten)") == base, code
            continue
        pct = row_percent(parts[code], label, option, count)
        assert pct == pytest.approx(100 * count / base, abs=0.05), (code, option)
        assert round(pct) == published, (code, option, pct)
        assert footer_number(parts[code], "Basis (gültige Antworten)") == base, code
    # published as sums of two answers: "56 % gar nicht oder nur teilweise", "jede zehnte plant" — where
    # the minimum base suppresses one of them (C2: 9 "gar nicht" protect 3 "vollständig"), it is a dash
    for code, pair, published in (("C2_ziele_intern", (("teilweise", "3", 30), ("gar nicht", "4", 9)), 56),
                                  ("G2_einfuehrung", (("Ja, in den nächsten 12 Monaten", "1", 5),
                                                      ("Ja, später", "2", 9)), 10)):
        if any(option in hidden[code] for _, option, _ in pair):
            assert all(suppressed_row(parts[code], label, option) for label, option, _ in pair
                       if option in hidden[code])
        else:
            assert round(sum(row_percent(parts[code], *row) for row in pair)) == published
    for code, missing in (("B3_dauer", 10), ("C2_ziele_intern", 10), ("G1_ausbau", 22), ("G2_einfuehrung", 6),
                          ("B1_nutzung", 0)):
        assert footer_number(parts[code], "Fehlend (gezeigt, nicht beantwortet)") == missing, code
    # the overview sections before the questions
    assert "Rücklauf nach Land" in text and "Rücklauf nach Größenklasse" in text
    assert "Repräsentativität" in text and "Chi-Quadrat" in text
    # nothing that names a municipality or a person, no free text
    assert "Gemeinde 9" not in text and "@example.org" not in text and "Kämmerei" not in text
    assert "Zeitmangel" not in text and "HYPERLINK" not in text


def _small_set(survey, structure) -> None:
    """40 respondents, only 3 of them users: B1 has a base of 40, the user questions a base of 3."""
    plans = []
    for k in range(40):
        answers = {"A1_bereich": "1", "B1_nutzung": "1" if k < 3 else "2", "F1_hemmnisse": ["1"]}
        if k < 3:
            answers.update(B2_zweck=["2"], B3_dauer="2", A2_beschaeftigte=str(100 + k))
        plans.append(Plan(answers=answers, shown=[], member={"land": LAENDER[k % 2], "einwohner": 20_000 + k,
                                                             "typ": "Stadt"}))
    insert_plans(survey, structure, plans)


def test_small_cells_are_protected_throughout_the_pdf(kgst_survey, kgst_structure, tmp_path):
    _small_set(kgst_survey, kgst_structure)
    path = tmp_path / "bericht.pdf"
    registry.build_export(kgst_survey, "pdf", path)
    text = pdf_text(path)
    parts = sections(text, [q.code for q in kgst_structure.questions])
    # a large base keeps its percentages
    assert row_percent(parts["A1_bereich"], "Verwaltungsführung", "1", 40) == 100.0
    # 3 "Ja" of 40: the count is suppressed, and the 37 "Nein" with it (else 40 − 37 gives it away)
    assert suppressed_row(parts["B1_nutzung"], "Ja", "1") and suppressed_row(parts["B1_nutzung"], "Nein", "2")
    # a base of 3: counts, base and percentages become a dash, and the note does not name the base
    b3 = parts["B3_dauer"]
    assert suppressed_row(b3, "seit 12 bis 24 Monaten", "2"), b3
    assert not re.search(r"\d+,\d %", b3) and "n = 3" not in b3, b3
    assert "Basis unter 5: Anzahlen und Prozentwerte nicht ausgewiesen." in b3
    assert not re.search(r"\d+,\d %", parts["B2_zweck"])
    # number statistics of three answers are not shown either
    a2 = parts["A2_beschaeftigte"]
    assert "Mittelwert" not in a2 and "Weniger als 5 Angaben" in a2
    # response rates of Länder with fewer than 5 invited members: none here (20 each), so shown
    assert re.search(r"^\s*Baden-Württemberg\s+20\s+20\s+100,0 %", text, re.M)


def test_small_register_cells_protect_response_rates(kgst_survey, kgst_structure, tmp_path):
    plans = [Plan(answers={"A1_bereich": "1", "B1_nutzung": "2", "F1_hemmnisse": ["1"]}, shown=[],
                  member={"land": "Bremen" if k < 2 else "Bayern", "einwohner": 20_000 + k, "typ": "Stadt"})
             for k in range(12)]
    insert_plans(kgst_survey, kgst_structure, plans)
    path = tmp_path / "bericht.pdf"
    registry.build_export(kgst_survey, "pdf", path)
    text = pdf_text(path)
    # 2 answers from Bremen are suppressed, and Bayern's 10 with them (else 12 − 10 gives them away)
    assert re.search(r"^\s*Bremen\s+2\s+–†\s+–\*", text, re.M), text[:4000]
    assert re.search(r"^\s*Bayern\s+10\s+–†\s+–\*", text, re.M), text[:4000]


def test_report_page_for_analysts_with_protection(analyst_client, kgst_survey, kgst_structure):
    _small_set(kgst_survey, kgst_structure)
    url = reverse("staff:report", args=[kgst_survey.slug])
    response = analyst_client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "B3_dauer – Seit wann nutzt Ihre Kommune Social Media?" in html
    assert "Basis unter 5: Anzahlen und Prozentwerte nicht ausgewiesen." in html and "(n = 3)" not in html
    assert "100,0 %" in html and 'value="pdf"' in html
    # every question in questionnaire order, and the report is linked from the results pages
    positions = [html.index(f'id="rep-q-{q.code}"') for q in kgst_structure.questions]
    assert positions == sorted(positions)
    results = analyst_client.get(reverse("staff:results", args=[kgst_survey.slug])).content.decode()
    assert f'href="{url}"' in results
    assert Client().get(url).status_code == 302


def test_report_export_job_downloads_and_logs(analyst_client, analyst_user, kgst_survey, kgst_structure,  # noqa: PLR0913
                                              settings, tmp_path, django_capture_on_commit_callbacks):
    """Eager tasks: the job runs after the request's commit, the PDF is stored, downloaded and logged."""
    settings.MEDIA_ROOT = tmp_path / "media"
    _small_set(kgst_survey, kgst_structure)
    with django_capture_on_commit_callbacks(execute=True):
        response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]), {"format": "pdf"})
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.format == "pdf" and job.status == "done", job.error
    assert exportjob.download_name(job).startswith(f"{kgst_survey.slug}_ergebnisbericht_")
    assert exportjob.download_name(job).endswith(".pdf")
    download = analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF-")
    assert DownloadLog.objects.get().user == analyst_user


@pytest.mark.django_db(transaction=True)
def test_report_pdf_on_a_real_worker(real_celery, kgst_survey, kgst_structure, analyst_client, analyst_user,
                                     tmp_path):
    _small_set(kgst_survey, kgst_structure)
    with celery_worker(log=tmp_path / "worker.log"):
        response = analyst_client.post(reverse("staff:export_create", args=[kgst_survey.slug]),
                                       {"format": "pdf", "include_partial": "on"})
        assert response.status_code == 302
        job = ExportJob.objects.get()
        assert wait_for(lambda: ExportJob.objects.get(pk=job.pk).status in ("done", "failed"), timeout=180,
                        interval=0.2), (tmp_path / "worker.log").read_text()[-3000:]
    job.refresh_from_db()
    assert job.status == "done", job.error
    assert job.progress == 100 and job.expires_at is not None and job.include_partial
    nobody = Client()
    nobody.force_login(User.objects.create_user("nobody", "n@example.org", "Test-Passwort-123"))
    assert nobody.get(reverse("staff:export_download", args=[job.pk])).status_code == 403
    download = analyst_client.get(reverse("staff:export_download", args=[job.pk]))
    assert download.status_code == 200
    pdf = tmp_path / "job.pdf"
    pdf.write_bytes(b"".join(download.streaming_content))
    text = pdf_text(pdf)
    assert "Ergebnisbericht" in text and "Basis unter 5: Anzahlen und Prozentwerte" in text
    assert DownloadLog.objects.get().user == analyst_user
