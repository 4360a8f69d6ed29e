"""The results report as PDF: what exports/analysis/report.py builds, in the same template body as the
staff page, rendered by WeasyPrint with the app's own stylesheet (surveys.printable.html_to_pdf: no
browser, no request to anywhere). Aggregates only, never the raw data rows, so the publication
variant and the cross-tab options change nothing here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy

from exports.analysis import report
from surveys.models import Survey
from surveys.printable import html_to_pdf

from ..base import Exporter, ExportRequest, Progress, no_progress

REPORT_CSS = "css/report.css"
PDF_TEMPLATE = "exports/report_pdf.html"


def render_pdf(data: dict[str, Any]) -> bytes:
    """The report as PDF bytes (A4; the app's report stylesheet only)."""
    html = render_to_string(PDF_TEMPLATE, {**data, "pdf": True})
    return html_to_pdf(html, [REPORT_CSS])


def write_pdf(path: Path | str, survey: Survey, include_partial: bool = False,
              progress: Progress = no_progress) -> int:
    """Build the report and write it to `path`; returns the number of respondents it counts."""
    data = report.build(survey, include_partial)
    progress(20)
    Path(path).write_bytes(render_pdf(data))
    return data["respondents"]


class ReportExporter(Exporter):
    identifier = "pdf"
    extensions = (".pdf",)
    verbose_name = gettext_lazy("Ergebnisbericht (.pdf)")
    content_type = "application/pdf"
    position = 60
    download_label = "_ergebnisbericht"
    publishable = True  # the report always follows the publication rules (analysis/report.py)

    def export(self, path: Path | str, request: ExportRequest) -> int:
        return write_pdf(path, request.survey, request.include_partial, request.progress)
