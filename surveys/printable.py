"""The printable questionnaire: every page and question with its options, on paper or as PDF.

Municipal staff collect answers from several departments on paper before typing them in, so
the print shows everything a respondent could be asked, with a plain "nur wenn …" note where a
page or question depends on earlier answers (surveys.texts.in_words.condition_in_words). The same
template serves the HTML page (print styles) and the PDF, which WeasyPrint renders from that
HTML with the app's own stylesheet — no browser and no request to anywhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import Survey
from .structure import PageDef, QuestionDef, SurveyStructure, get_structure
from .texts.in_words import condition_in_words

# Only the print stylesheet: it is complete on its own, and Bootstrap would triple the render time.
PRINT_CSS = "css/printable.css"
PDF_CACHE_SECONDS = 24 * 60 * 60
log = logging.getLogger(__name__)
# WeasyPrint reports every layout step at INFO level; keep the application log readable.
logging.getLogger("weasyprint").setLevel(logging.WARNING)
logging.getLogger("fontTools").setLevel(logging.WARNING)


@dataclass
class PrintQuestion:
    number: str
    question: QuestionDef
    condition: str
    note: str  # how to answer, e.g. "Mehrfachnennung möglich"


@dataclass
class PrintPage:
    page: PageDef
    condition: str
    questions: list[PrintQuestion] = field(default_factory=list)


def _note(q: QuestionDef) -> str:
    if q.type == "multi":
        exclusive = [o.label for o in q.options if o.exclusive]
        if exclusive:
            return _("Mehrfachnennung möglich (außer „%(options)s“)") % {"options": "“, „".join(exclusive)}
        return _("Mehrfachnennung möglich")
    if q.type in ("single", "matrix"):
        return _("Bitte eine Antwort ankreuzen") if q.type == "single" else _("Bitte je Zeile eine Antwort ankreuzen")
    if q.type == "number":
        if q.min_value is not None and q.max_value is not None:
            return _("Ganze Zahl von %(min)s bis %(max)s") % {"min": q.min_value, "max": q.max_value}
        if q.min_value is not None:
            return _("Ganze Zahl ab %(min)s") % {"min": q.min_value}
        return _("Ganze Zahl")
    if q.type == "date":
        return _("Datum (TT.MM.JJJJ)")
    if q.type == "email":
        return _("E-Mail-Adresse")
    if q.max_length:
        return _("Text, höchstens %(n)s Zeichen") % {"n": q.max_length}
    return ""


def pages_for_print(structure: SurveyStructure) -> list[PrintPage]:
    """Every page and question in order, numbered 1, 2, … across the survey, with conditions in words."""
    pages, number = [], 0
    for page in structure.pages:
        item = PrintPage(page, condition_in_words(page.condition_node, structure))
        for q in page.questions:
            number += 1
            item.questions.append(PrintQuestion(str(number), q, condition_in_words(q.condition_node, structure),
                                                _note(q)))
        pages.append(item)
    return pages


def context(survey: Survey, **extra: object) -> dict[str, object]:
    """The survey's texts and questions in the active language: English where they have English wording."""
    english = (translation.get_language() or "de").lower().startswith("en")
    return {"survey": survey, "language": "en" if english else "de",
            "title": english and survey.title_en or survey.title, "intro": english and survey.intro_en or survey.intro,
            "print_pages": pages_for_print(get_structure(survey, translation.get_language())), **extra}


TEMPLATE = "surveys/printable.html"


def html_response(request: HttpRequest, survey: Survey, **extra: object) -> HttpResponse:
    return render(request, TEMPLATE, context(survey, base_template="base.html", **extra))


def _cache_key(survey: Survey) -> str:
    stamp = survey.updated_at.isoformat() if survey.updated_at else ""
    return f"printable-pdf:{survey.pk}:{survey.definition_hash}:{stamp}:{translation.get_language()}"


def pdf_bytes(survey: Survey) -> bytes:
    """The printable questionnaire as PDF (WeasyPrint, A4, local stylesheet only).

    Rendering takes seconds, so the PDF is kept in the shared cache per survey version
    (definition hash and last change of its texts) and language; it names no member, so
    every respondent of a survey gets the same file.
    """
    key = _cache_key(survey)
    try:
        cached = cache.get(key)
    except Exception:  # cache (Redis) unavailable: render without it
        log.warning("printable PDF: cache unavailable", exc_info=True)
        cached = None
    if cached is not None:
        return cached
    data = _render_pdf(survey)
    try:
        cache.set(key, data, PDF_CACHE_SECONDS)
    except Exception:
        log.warning("printable PDF: cache unavailable", exc_info=True)
    return data


def _render_pdf(survey: Survey) -> bytes:
    html = render_to_string(TEMPLATE, context(survey, pdf=True, base_template="surveys/printable_pdf_base.html"))
    return html_to_pdf(html, [PRINT_CSS])


def html_to_pdf(html: str, stylesheets: list[str]) -> bytes:
    """HTML rendered by WeasyPrint with the app's own static stylesheets (paths as for `{% static %}`),
    nothing fetched from anywhere. Shared by the printable questionnaire and the results report
    (exports/formats/exporters/pdf.py)."""
    from weasyprint import CSS, HTML  # imported here: only the PDF downloads need it

    def no_fetch(url: str, *args: object, **kwargs: object) -> dict:
        # Everything the PDF needs is inline or a local file; refuse the network outright.
        raise ValueError(f"not fetched: {url}")

    document = HTML(string=html, base_url=str(Path(settings.BASE_DIR)), url_fetcher=no_fetch)
    return document.write_pdf(stylesheets=[CSS(filename=path) for path in stylesheet_paths(stylesheets)])


def stylesheet_paths(names: list[str]) -> list[str]:
    """Files of the app's static stylesheets (found by the staticfiles finders, never fetched)."""
    found = [finders.find(name) for name in names]
    return [str(path) for path in found if path]


def _stylesheets() -> list[str]:
    return stylesheet_paths([PRINT_CSS])


def pdf_response(survey: Survey, request: HttpRequest | None = None) -> HttpResponse:
    try:
        data = pdf_bytes(survey)
    except (ImportError, OSError):  # WeasyPrint or the system's Pango missing: say so, never a 500
        log.exception("printable PDF: WeasyPrint cannot render")
        return render(request, "503.html", status=503) if request is not None else HttpResponse(status=503)
    response = HttpResponse(data, content_type="application/pdf")
    name = slugify(survey.slug) or "fragebogen"
    response["Content-Disposition"] = f'inline; filename="fragebogen-{name}.pdf"'
    return response
