"""Staff area: create surveys and move questionnaires in and out as files.

- a new empty survey (slug and title; the questionnaire editor fills it);
- a new wave of a survey: the same questionnaire and codes under a new slug, title and field period,
  remembering the survey it came from (surveys/definition/waves.py);
- an upload of a definition (YAML/JSON or XLSForm) with the validation of `load_survey`: first a report
  of what would be created or updated — or every problem with its place — and only a confirmation POST
  stores it. The uploaded bytes wait in the shared cache under their sha256 (bound to the uploading
  user), and the confirmation checks them again, so nothing but the key comes from the client;
- downloads of any survey's definition as YAML and as XLSForm, written from the database.

Creating needs `create` from a role on all surveys; the downloads are reading (`view`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from surveys.definition_errors import DefinitionError, DefinitionRefused, Message, german
from surveys.models import Survey, SurveyChange
from surveys.permissions import global_permission, survey_permission
from surveys.uploads import Uploads
from surveys.xlsform.write import write_xlsform

from .canonical import question_variables
from .export import export_definition
from .forms import DefinitionUploadForm, NewSurveyForm, NewWaveForm
from .read import parse_definition
from .sync import existing_survey_refusals, is_unchanged, sync_survey
from .validate import validate_definition
from .waves import copy_survey
from .write import dump_yaml

log = logging.getLogger(__name__)

UPLOADS = Uploads("definition")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- a new empty survey ----------------------------------------------------------------------

@global_permission("create")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_create(request: HttpRequest) -> HttpResponse:
    form = NewSurveyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                survey = Survey.objects.create(slug=form.cleaned_data["slug"], title=form.cleaned_data["title"])
        except IntegrityError:
            form.add_error("slug", _("Eine Befragung mit dieser Kennung gibt es bereits."))
        else:
            SurveyChange.record(survey, request.user, "Befragung", {}, {"slug": survey.slug, "title": survey.title})
            messages.success(request, _("Die Befragung „%(title)s“ wurde als Entwurf angelegt.")
                             % {"title": survey.title})
            return redirect("staff:survey_detail", slug=survey.slug)
    return render(request, "surveys/staff/survey_create.html", {"form": form},
                  status=400 if form.errors else 200)


# --- a new wave --------------------------------------------------------------------------------

@global_permission("create")
@require_http_methods(["GET", "HEAD", "POST"])
def survey_copy(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(Survey, slug=slug)
    form = NewWaveForm(request.POST if request.method == "POST" else None, source=source)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wave = copy_survey(source, data["slug"], data["title"], data["opens_on"], data["closes_on"])
        except DefinitionError as exc:
            log.warning("copy of %s refused: %s", source.slug, exc)
            form.add_error(None, _("Die Befragung konnte nicht kopiert werden: %(reason)s")
                           % {"reason": _german(exc, "; ")})
        else:
            SurveyChange.record(wave, request.user, "Befragung", {},
                                {"slug": wave.slug, "title": wave.title, "copied_from": source.slug})
            messages.success(request, _("Die neue Welle „%(title)s“ wurde als Entwurf angelegt: %(pages)d Seiten, "
                                        "%(questions)d Fragen, mit denselben Codes wie „%(source)s“.")
                             % {"title": wave.title, "pages": wave.pages.count(),
                                "questions": wave.questions.count(), "source": source.title})
            return redirect("staff:survey_detail", slug=wave.slug)
    return render(request, "surveys/staff/survey_copy.html",
                  {"source": source, "survey": source, "form": form, "active_tab": "detail",
                   "pages": source.pages.count(), "questions": source.questions.count()},
                  status=400 if form.errors else 200)


# --- upload with report ------------------------------------------------------------------------

_store_upload = UPLOADS.store  # (user_id, filename, data) → key; tests stage uploads with it


@dataclass
class Report:
    """What an uploaded definition would do, or why it cannot be loaded."""

    filename: str
    errors: list[str]
    refusals: list[str]
    data: dict[str, Any] | None = None
    existing: Survey | None = None

    @property
    def can_apply(self) -> bool:
        return self.data is not None and not self.errors and not self.refusals

    @cached_property
    def unchanged(self) -> bool:
        return self.existing is not None and self.data is not None and is_unchanged(self.existing, self.data)

    def error_items(self) -> list[tuple[str, str]]:
        """(text, language) of the errors: German where the message has been translated, English otherwise."""
        return [(german(e), "de" if isinstance(e, Message) else "en") for e in self.errors]

    def refusal_items(self) -> list[tuple[str, str]]:
        return [(german(e), "de" if isinstance(e, Message) else "en") for e in self.refusals]

    def pages(self) -> list[dict[str, Any]]:
        out = []
        for page in (self.data or {}).get("pages", []):
            questions = [{**q, "variables": list(question_variables(q))} for q in page["questions"]]
            out.append({**page, "questions": questions})
        return out

    def counts(self) -> dict[str, int]:
        pages = (self.data or {}).get("pages", [])
        questions = [q for p in pages for q in p["questions"]]
        return {"pages": len(pages), "questions": len(questions),
                "variables": sum(len(question_variables(q)) for q in questions)}


def _read(filename: str, raw: bytes) -> tuple[dict[str, Any] | None, list[str]]:
    """The valid definition, or the errors: what the file alone says (kept with the upload)."""
    try:
        return validate_definition(parse_definition(raw, filename)), []
    except DefinitionError as exc:
        return None, exc.errors


def _report(filename: str, read: tuple[dict[str, Any] | None, list[str]]) -> Report:
    data, errors = read
    if data is None:
        return Report(filename, errors, [])
    existing, refusals = existing_survey_refusals(data)  # against today's tables, on every view
    return Report(filename, [], refusals, data, existing)


@global_permission("create")
@require_http_methods(["GET", "HEAD", "POST"])
def definition_upload(request: HttpRequest) -> HttpResponse:
    form = DefinitionUploadForm()
    if request.method == "POST":
        form = DefinitionUploadForm(request.POST, request.FILES)
        if form.is_valid():
            key = UPLOADS.store_or_say_why(request, form.cleaned_data["file"].name, form.read())
            if key:
                return redirect("staff:definition_preview", digest=key)
    return render(request, "surveys/staff/definition_upload.html", {"form": form},
                  status=400 if form.errors else 200)


@global_permission("create")
@require_http_methods(["GET", "HEAD", "POST"])
def definition_preview(request: HttpRequest, digest: str) -> HttpResponse:
    key = digest
    stored = UPLOADS.load(request.user.pk, key)
    if stored is None:
        messages.error(request, _("Die hochgeladene Datei ist nicht mehr vorhanden (nach einer Stunde wird sie "
                                  "verworfen). Bitte laden Sie sie erneut hoch."))
        return redirect("staff:definition_upload")
    # The file is read once per upload; what it would change is checked again on every view and before storing.
    # Kept per language: the places in the messages are worded when the file is read.
    read = UPLOADS.parsed(request.user.pk, key, lambda: _read(stored.filename, stored.data), variant=get_language())
    report = _report(stored.filename, read)
    if request.method == "POST":
        if not report.can_apply:
            messages.error(request, _("Die Datei enthält Fehler und wurde nicht übernommen. Es wurde nichts "
                                      "gespeichert."))
        else:
            return _apply(request, key, report)
    status = 200 if report.can_apply or request.method != "POST" else 400
    return render(request, "surveys/staff/definition_preview.html",
                  {"report": report, "key": key, "counts": report.counts()}, status=status)


def _german(exc: DefinitionError, sep: str = " ") -> str:
    """The problems of a refusal as the staff area shows them: German where the message has it."""
    return sep.join(str(german(e)) for e in exc.errors)


def _apply(request: HttpRequest, key: str, report: Report) -> HttpResponse:
    assert report.data is not None
    before = {"definition_hash": report.existing.definition_hash} if report.existing else {}
    try:
        result = sync_survey(report.data)
    except DefinitionRefused as exc:  # answers arrived since the report was shown
        messages.error(request, _("Nicht übernommen: %(reason)s") % {"reason": _german(exc)})
        return redirect("staff:definition_preview", digest=key)
    except DefinitionError as exc:
        messages.error(request, _("Nicht übernommen: %(reason)s") % {"reason": _german(exc)})
        return redirect("staff:definition_preview", digest=key)
    counts = report.counts()
    SurveyChange.record(result.survey, request.user, "Fragebogen (Datei)", before,
                        {"file": report.filename, "definition_hash": result.survey.definition_hash, **counts})
    UPLOADS.discard(request.user.pk, key)
    if result.action == "unchanged":
        messages.info(request, _("Der Fragebogen ist unverändert; es wurde nichts gespeichert."))
    else:
        messages.success(request, _("Fragebogen übernommen: %(pages)d Seiten, %(questions)d Fragen.") % counts)
    return redirect("staff:survey_detail", slug=result.survey.slug)


# --- downloads -----------------------------------------------------------------------------------

def _attachment(content: bytes | str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@survey_permission("view")
@require_safe
def definition_yaml(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    text = dump_yaml(export_definition(survey))
    return _attachment(text.encode("utf-8"), "application/yaml; charset=utf-8", f"{survey.slug}.yaml")


@survey_permission("view")
@require_safe
def definition_xlsform(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey, slug=slug)
    try:
        content = write_xlsform(export_definition(survey))
    except ValueError as exc:  # a condition value with both kinds of quotes has no XPath form
        messages.error(request, _("Dieser Fragebogen lässt sich nicht als XLSForm schreiben: %(reason)s")
                       % {"reason": exc})
        return redirect("staff:survey_detail", slug=survey.slug)
    return _attachment(content, XLSX_TYPE, f"{survey.slug}.xlsx")
