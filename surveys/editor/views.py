"""The questionnaire editor in the staff area: pages, questions, options and rows, and the change history.

Every role on the survey may look (overview, a page's questions, history); every change needs `edit`, an ordinary
POST with CSRF followed by a redirect (works without JavaScript), and goes through services.py,
which checks what the change can affect (with the verdict of checking the whole questionnaire), refuses what
answers forbid, records it and gives the survey a new version token (so every process's structure cache sees
it). `check` answers the editor's script, which checks codes and conditions as they are typed.

Every editor request does a fixed number of queries whatever the survey's size: the overview lists the
pages with their question counts, a page lists only its own questions (bench/editor.py measures it).
"""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from surveys.models import Page, Question, Survey, SurveyChange
from surveys.permissions import can, survey_permission

from . import checks, services
from .checks import EditRefused
from .forms import (
    CHOICE_TYPES,
    OptionForm,
    OptionFormSet,
    PageSettingsForm,
    QuestionForm,
    QuestionTypeForm,
    RowForm,
    RowFormSet,
    check_syntax,
    item_formset,
)

NEW_ITEM_LINES = 8  # blank option/row lines of a new question (the KGSt survey's longest list has 8)
EXTRA_ITEM_LINES = 3  # blank lines below the existing options/rows of a question
MORE_ITEM_LINES = 5  # added by "Weitere Zeilen anzeigen"
HISTORY_PAGE_SIZE = 50


def _survey(slug: str) -> Survey:
    """The survey without its stored definition: the editor's pages never read it, and at 1,000 questions
    decoding it costs more than the rest of a request (services.py reads it where it needs it)."""
    return get_object_or_404(Survey.objects.defer("definition"), slug=slug)


def _context(survey: Survey, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    return {"survey": survey, "active_tab": "editor", "can_manage": can(request, "edit"), **extra}


def _apply_refusal(form: Any, refused: EditRefused) -> None:
    for name, errors in refused.field_errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
    for message in refused.messages:
        form.add_error(None, message)


# --- overview and pages ------------------------------------------------------------------------


@survey_permission("view")
@require_safe
def overview(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(slug)
    pages = list(survey.pages.annotate(n_questions=Count("questions")).order_by("position"))
    urls = _url_patterns(survey, "page_id", open="staff:editor_page", edit="staff:editor_page_edit",
                         move="staff:editor_page_move", delete="staff:editor_page_delete")
    for page in pages:
        page.urls = {name: pattern.format(pk=page.pk) for name, pattern in urls.items()}
    return render(request, "surveys/editor/overview.html", _context(survey, request, pages=pages))


_PLACEHOLDER = 987654321


def _url_patterns(survey: Survey, kwarg: str, **names: str) -> dict[str, str]:
    """Each named URL reversed once, as a format string with {pk}: a list of 100 pages would otherwise
    reverse 400 URLs, a good part of the overview's time."""
    return {key: reverse(name, kwargs={"slug": survey.slug, kwarg: _PLACEHOLDER}).replace(str(_PLACEHOLDER), "{pk}")
            for key, name in names.items()}


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def page_create(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(slug)
    form = PageSettingsForm(request.POST if request.method == "POST" else None,
                    initial={"code": f"P{survey.pages.count() + 1}"})
    if request.method == "POST" and form.is_valid():
        try:
            page = services.save_page(survey, None, form.cleaned_data, request.user)
        except EditRefused as refused:
            _apply_refusal(form, refused)
        else:
            messages.success(request, _("Die Seite %(code)s wurde angelegt.") % {"code": page.code})
            return redirect("staff:editor_page", slug=survey.slug, page_id=page.pk)
    return render(request, "surveys/editor/page_new.html", _context(survey, request, form=form))


@survey_permission("view")
@require_safe
def page_detail(request: HttpRequest, slug: str, page_id: int) -> HttpResponse:
    """A page's settings and its questions in order, with the controls to change them (staff)."""
    survey = _survey(slug)
    page = get_object_or_404(Page, pk=page_id, survey=survey)
    questions = list(page.questions.order_by("position").only("id", "code", "type", "text", "text_en", "required",
                                                                 "condition", "position", "page_id"))
    urls = _url_patterns(survey, "question_id", edit="staff:editor_question", move="staff:editor_question_move",
                         delete="staff:editor_question_delete")
    for question in questions:
        question.urls = {name: pattern.format(pk=question.pk) for name, pattern in urls.items()}
    neighbours = list(survey.pages.order_by("position").values_list("id", flat=True))
    index = neighbours.index(page.pk)
    return render(request, "surveys/editor/page.html", _context(
        survey, request, page=page, questions=questions, type_form=QuestionTypeForm(),
        previous_page=neighbours[index - 1] if index else None,
        next_page=neighbours[index + 1] if index + 1 < len(neighbours) else None,
        page_number=index + 1, page_total=len(neighbours),
    ))


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def page_edit(request: HttpRequest, slug: str, page_id: int) -> HttpResponse:
    survey = _survey(slug)
    page = get_object_or_404(Page, pk=page_id, survey=survey)
    form = PageSettingsForm(request.POST if request.method == "POST" else None,
                            initial=PageSettingsForm.initial_for(page))
    if request.method == "POST" and form.is_valid():
        try:
            services.save_page(survey, page, form.cleaned_data, request.user)
        except EditRefused as refused:
            _apply_refusal(form, refused)
        else:
            messages.success(request, _("Die Seite %(code)s wurde gespeichert.") % {"code": page.code})
            return redirect("staff:editor_page", slug=survey.slug, page_id=page.pk)
    return render(request, "surveys/editor/page_new.html", _context(survey, request, form=form, page=page))


def _step(request: HttpRequest) -> int:
    return -1 if request.POST.get("richtung") == "hoch" else 1


@survey_permission("edit")
@require_POST
def page_move(request: HttpRequest, slug: str, page_id: int) -> HttpResponse:
    survey = _survey(slug)
    page = get_object_or_404(Page, pk=page_id, survey=survey)
    try:
        services.move_page(survey, page, _step(request), request.user)
    except EditRefused as refused:
        for message in refused.messages or [m for ms in refused.field_errors.values() for m in ms]:
            messages.error(request, message)
    else:
        messages.success(request, _("Die Seite %(code)s wurde verschoben.") % {"code": page.code})
    return redirect(reverse("staff:editor", kwargs={"slug": survey.slug}) + f"#seite-{page.pk}")


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def page_delete(request: HttpRequest, slug: str, page_id: int) -> HttpResponse:
    survey = _survey(slug)
    page = get_object_or_404(Page, pk=page_id, survey=survey)
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.delete_page(survey, page, request.user)
        except EditRefused as refused:
            problems = refused.messages
        else:
            messages.success(request, _("Die Seite %(code)s wurde gelöscht.") % {"code": page.code})
            return redirect("staff:editor", slug=survey.slug)
    return render(request, "surveys/editor/confirm_delete.html", _context(
        survey, request, problems=problems, what=_("Seite %(code)s – %(title)s") % {"code": page.code,
                                                                                    "title": page.title},
        consequence=_("Die Seite und ihre %(n)s Fragen werden gelöscht.") % {"n": page.questions.count()},
        back=reverse("staff:editor_page", kwargs={"slug": survey.slug, "page_id": page.pk}),
    ))


# --- questions ---------------------------------------------------------------------------------


def _with_more_lines(data: QueryDict, prefix: str) -> QueryDict:
    """The posted data with MORE_ITEM_LINES blank lines added to the formset `prefix`."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        data[key] = str(int(data.get(key, "0")) + MORE_ITEM_LINES)
    except ValueError:
        pass  # a tampered count: the formset reports it as invalid
    return data


def _question_page(request: HttpRequest, survey: Survey, question: Question | None, page: Page) -> HttpResponse:
    pages = list(survey.pages.order_by("position"))
    posted = request.method == "POST"
    if posted:
        qtype = request.POST.get("type", "")
    else:
        qtype = question.type if question else request.GET.get("typ", "")
    if qtype not in Question.Type.values:
        return redirect("staff:editor_page", slug=survey.slug, page_id=page.pk)
    initial = QuestionForm.initial_for(question) if question else {"type": qtype, "page": page.pk}
    data = request.POST if posted else None
    more = posted and "mehr_zeilen" in request.POST
    if more:
        data = _with_more_lines(_with_more_lines(request.POST, "optionen"), "zeilen")
    form = QuestionForm(data, initial=initial, qtype=qtype, pages=pages)
    extra = EXTRA_ITEM_LINES if question else NEW_ITEM_LINES
    option_initial, row_initial = _item_initial(question)
    # A type changed to one with options/rows: the form had no lines for them yet, so show them first.
    new_options = posted and qtype in CHOICE_TYPES and "optionen-TOTAL_FORMS" not in data
    new_rows = posted and qtype == "matrix" and "zeilen-TOTAL_FORMS" not in data
    options = (item_formset(OptionFormSet, None if new_options else data, option_initial, "optionen",
                            NEW_ITEM_LINES if new_options else extra, qtype)
               if qtype in CHOICE_TYPES else None)
    rows = (item_formset(RowFormSet, None if new_rows else data, row_initial, "zeilen",
                         NEW_ITEM_LINES if new_rows else extra, qtype) if qtype == "matrix" else None)
    if new_options or new_rows:
        form.is_valid()
        form.add_error(None, _("Nicht gespeichert: Der Typ „%(type)s“ braucht Antwortoptionen (und eine Matrix "
                               "Zeilen). Bitte unten ergänzen und erneut speichern.")
                       % {"type": Question.Type(qtype).label})
    elif posted and not more and _valid(form, options, rows):
        target = next(p for p in pages if p.pk == form.cleaned_data["page"])
        qdef = form.qdef(options.items() if options else [], rows.items() if rows else [])
        try:
            saved = services.save_question(survey, target, question, qdef, request.user)
        except EditRefused as refused:
            _apply_refusal(form, refused)
        else:
            messages.success(request, _("Die Frage %(code)s wurde gespeichert.") % {"code": saved.code})
            if "weiter_bearbeiten" in request.POST or saved.type != qtype:
                return redirect("staff:editor_question", slug=survey.slug, question_id=saved.pk)
            return redirect(reverse("staff:editor_page", kwargs={"slug": survey.slug, "page_id": saved.page_id})
                            + f"#frage-{saved.pk}")
    return render(request, "surveys/editor/question.html", _context(
        survey, request, page=page, question=question, form=form, options=options, rows=rows, qtype=qtype,
        qtype_label=Question.Type(qtype).label,
        items_for_errors=[(options, _("Antwortoption")), (rows, _("Zeile"))],
    ))


def _item_initial(question: Question | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if question is None:
        return [], []
    options = [{"code": o.code, "label": o.label, "label_en": o.label_en, "exclusive": o.exclusive,
                "other_text": o.has_text} for o in question.options.order_by("position")]
    rows = [{"code": r.code, "label": r.label, "label_en": r.label_en} for r in question.rows.order_by("position")]
    return options, rows


def _valid(form: QuestionForm, options: Any, rows: Any) -> bool:
    valid = form.is_valid()
    for formset, message in ((options, _("Bitte geben Sie mindestens eine Antwortoption an.")),
                             (rows, _("Bitte geben Sie mindestens eine Zeile der Matrix an."))):
        if formset is None:
            continue
        if not formset.is_valid():
            valid = False
        elif not formset.items():
            form.add_error(None, message)
            valid = False
    return valid


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def question_create(request: HttpRequest, slug: str, page_id: int) -> HttpResponse:
    survey = _survey(slug)
    page = get_object_or_404(Page, pk=page_id, survey=survey)
    if request.method != "POST" and "typ" not in request.GET:
        return render(request, "surveys/editor/question_type.html",
                      _context(survey, request, page=page, type_form=QuestionTypeForm()))
    return _question_page(request, survey, None, page)


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def question_edit(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    survey = _survey(slug)
    question = get_object_or_404(Question.objects.select_related("page"), pk=question_id, survey=survey)
    return _question_page(request, survey, question, question.page)


@survey_permission("edit")
@require_POST
def question_move(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    survey = _survey(slug)
    question = get_object_or_404(Question.objects.select_related("page"), pk=question_id, survey=survey)
    try:
        services.move_question(survey, question, _step(request), request.user)
    except EditRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Die Frage %(code)s wurde verschoben.") % {"code": question.code})
    return redirect(reverse("staff:editor_page", kwargs={"slug": survey.slug, "page_id": question.page_id})
                    + f"#frage-{question.pk}")


@survey_permission("edit")
@require_http_methods(["GET", "HEAD", "POST"])
def question_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    survey = _survey(slug)
    question = get_object_or_404(Question.objects.select_related("page"), pk=question_id, survey=survey)
    back = reverse("staff:editor_page", kwargs={"slug": survey.slug, "page_id": question.page_id})
    problems: list[str] = []
    if request.method == "POST":
        try:
            services.delete_question(survey, question, request.user)
        except EditRefused as refused:
            problems = refused.messages
        else:
            messages.success(request, _("Die Frage %(code)s wurde gelöscht.") % {"code": question.code})
            return redirect(back)
    return render(request, "surveys/editor/confirm_delete.html", _context(
        survey, request, problems=problems, back=back,
        what=_("Frage %(code)s – %(text)s") % {"code": question.code, "text": question.text},
        consequence=_("Die Frage wird mit ihren Antwortoptionen gelöscht."),
    ))


# --- live checks -------------------------------------------------------------------------------

_CODE_FIELDS = {"frage": QuestionForm.base_fields["code"], "zeile": RowForm.base_fields["code"],
                "option": OptionForm.base_fields["code"], "seite": PageSettingsForm.base_fields["code"]}


@survey_permission("edit")
@require_safe
def check(request: HttpRequest, slug: str) -> JsonResponse:
    """The editor's check of one value as it is typed (static/js/editor-checks.js): the messages a save would
    give for it, by the same rules (form field, then checks.py). Without JavaScript the save says so.

    `art`: frage, zeile, option, seite (codes), bedingung, seitenbedingung; `wert`: the value; `frage` and
    `seite`: the question and page being edited (empty for a new one)."""
    survey = _survey(slug)
    kind, value = request.GET.get("art", ""), request.GET.get("wert", "")
    page = _optional(Page, request.GET.get("seite"), survey)
    question = _optional(Question, request.GET.get("frage"), survey)
    if kind in _CODE_FIELDS:
        try:
            value = _CODE_FIELDS[kind].clean(value)
        except forms.ValidationError as exc:
            return JsonResponse({"ok": False, "messages": list(exc.messages)})
        if kind == "seite":
            taken = survey.pages.filter(code=value).exclude(pk=page.pk if page else None).exists()
            found = [_("Eine andere Seite hat bereits den Code „%(code)s“.") % {"code": value}] if taken else []
        elif kind == "option":
            found = []  # unique within its question only: the page checks that itself
        else:
            found = checks.code_messages(survey, value, question)
    elif kind in ("bedingung", "seitenbedingung"):
        try:
            value = PageSettingsForm.base_fields["condition"].clean(value)
            check_syntax(value)
        except forms.ValidationError as exc:
            return JsonResponse({"ok": False, "messages": list(exc.messages)})
        if kind == "bedingung" and page is None:
            return JsonResponse({"ok": True, "messages": []})  # no page, no place to check it at
        found = checks.condition_messages(survey, value, page, question, of_question=kind == "bedingung")
    else:
        return JsonResponse({"ok": True, "messages": []})  # nothing this check knows: nothing to say
    return JsonResponse({"ok": not found, "messages": found})


def _optional(model: type[Page] | type[Question], pk: str | None, survey: Survey) -> Any:
    return model.objects.filter(pk=int(pk), survey=survey).first() if pk and pk.isascii() and pk.isdigit() else None


# --- history -----------------------------------------------------------------------------------


@survey_permission("view")
@require_safe
def history(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey(slug)
    changes = SurveyChange.objects.filter(survey=survey).select_related("user")
    page = Paginator(changes, HISTORY_PAGE_SIZE).get_page(request.GET.get("seite"))
    for change in page:
        before, after = change.before, change.after
        if before and after:  # a change: only what differs, with the code that names it
            keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
            before = {k: before[k] for k in keys if k in before}
            after = {k: after[k] for k in keys if k in after}
        change.before_text, change.after_text = _as_yaml(before), _as_yaml(after)
    return render(request, "surveys/editor/history.html", _context(survey, request, page_obj=page))


def _as_yaml(data: dict[str, Any]) -> str:
    """YAML reads more easily than JSON, and is the language of definition files."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=60) if data else ""
