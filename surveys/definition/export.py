"""The survey as the tables hold it, back to a definition in canonical form (downloads, new waves, the
"unchanged" check after an edit, the editor's change log)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from surveys.models import Option, Question, Row, Survey

from .canonical import CHOICE_TYPES, SURVEY_TEXTS, canonical, canonical_question


def export_definition(survey: Survey) -> dict[str, Any]:
    """The survey as it is stored in the tables (the source of truth once staff edit it), in canonical form.

    The one reader of the tables into a definition (downloads, new waves, the "unchanged" check after an
    edit, tests): four queries whatever the survey's size, rows read as tuples rather than model instances."""
    data: dict[str, Any] = {"slug": survey.slug, "title": survey.title,
                            **{name: getattr(survey, name) for name in SURVEY_TEXTS},
                            "estimated_minutes": survey.estimated_minutes}
    data["field_period"] = {"opens": survey.opens_on.isoformat() if survey.opens_on else None,
                            "closes": survey.closes_on.isoformat() if survey.closes_on else None}
    data["emails"] = {kind: {"subject": getattr(survey, f"{kind}_subject"), "body": getattr(survey, f"{kind}_body")}
                      for kind in ("invitation", "reminder")}
    questions: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for page_id, _pk, qdef in question_defs(Question.objects.filter(survey=survey)):
        questions[page_id].append(qdef)
    data["pages"] = [
        {"code": p.code, "title": p.title, "title_en": p.title_en, "intro": p.intro, "intro_en": p.intro_en,
         "show_if": p.condition, "questions": questions[p.pk]}
        for p in survey.pages.order_by("position")
    ]
    return canonical(data)


def question_definition(question: Question) -> dict[str, Any]:
    """One question as the tables hold it, in canonical form (what export_definition writes for it)."""
    return next(qdef for _page, _pk, qdef in question_defs(Question.objects.filter(pk=question.pk)))


def question_defs(selected: Any) -> list[tuple[int, int, dict[str, Any]]]:
    """(page id, question id, canonical question) of the `selected` questions in page and position order;
    three queries however many they are."""
    options: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en, exclusive, has_text in (
        Option.objects.filter(question__in=selected.values("pk")).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en", "exclusive", "has_text")
    ):
        options[qid].append({"code": code, "label": label, "label_en": label_en, "exclusive": exclusive,
                             "other_text": has_text})
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for qid, code, label, label_en in (
        Row.objects.filter(question__in=selected.values("pk")).order_by("question_id", "position")
        .values_list("question_id", "code", "label", "label_en")
    ):
        rows[qid].append({"code": code, "label": label, "label_en": label_en})
    out = []
    for q in selected.order_by("page_id", "position").values(
        "id", "page_id", "code", "type", "text", "text_en", "help_text", "help_text_en", "required", "condition",
        "min_value", "max_value", "max_length",
    ):
        qdef = {"code": q["code"], "type": q["type"], "text": q["text"], "text_en": q["text_en"],
                "help": q["help_text"], "help_en": q["help_text_en"], "required": q["required"],
                "show_if": q["condition"], "min": q["min_value"], "max": q["max_value"],
                "max_length": q["max_length"]}
        if q["type"] in CHOICE_TYPES:
            qdef["options"] = options[q["id"]]
        if q["type"] == "matrix":
            qdef["rows"] = rows[q["id"]]
        out.append((q["page_id"], q["id"], canonical_question(qdef)))
    return out
