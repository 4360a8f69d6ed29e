"""The questionnaire editor driven from outside: a generated survey of any size, a question definition →
the editor's form POST, and structure comparison (for the editor tests and bench.editor)."""

from __future__ import annotations

from typing import Any

from surveys.definition.export import export_definition
from surveys.models import Survey

TYPES = ("single", "multi", "matrix", "number", "text", "textarea", "email", "date", "single", "multi")


def generated_definition(slug: str, n_pages: int = 100, per_page: int = 10) -> dict[str, Any]:
    """A valid definition of n_pages × per_page questions cycling through every type; every page after
    the first and every fifth question carry a condition on the first question of the page before."""
    pages = []
    for p in range(1, n_pages + 1):
        questions = []
        for i in range(1, per_page + 1):
            qtype = TYPES[(i - 1) % len(TYPES)]
            code = f"Q{p}_{i}"
            q: dict[str, Any] = {"code": code, "type": qtype, "text": f"Frage {i} auf Seite {p}: Wie ist es?",
                                 "help": "Ein Hinweis zur Frage."}
            if qtype in ("single", "multi", "matrix"):
                q["options"] = [{"code": str(k), "label": f"Antwort {k}"} for k in range(1, 6)]
            if qtype == "multi":
                q["options"].append({"code": "9", "label": "Keine davon", "exclusive": True})
            if qtype == "single":
                q["options"][-1]["other_text"] = True
            if qtype == "matrix":
                q["rows"] = [{"code": f"{code}_r{r}", "label": f"Aspekt {r}"} for r in range(1, 5)]
            if qtype == "number":
                q.update(min=0, max=1000)
            if qtype == "textarea":
                q["max_length"] = 2000
            if i == 5:
                q["show_if"] = f"Q{p}_1 = 1"
            questions.append(q)
        page: dict[str, Any] = {"code": f"P{p}", "title": f"Seite {p}", "questions": questions}
        if p > 1:
            page["show_if"] = f"answered Q{p - 1}_1 or Q{p - 1}_4 > 3"
        pages.append(page)
    return {"slug": slug, "title": f"Generierte Befragung ({n_pages * per_page} Fragen)", "pages": pages}


def question_post(qdef: dict[str, Any], page_id: int, extra: int = 0, action: str = "speichern") -> dict[str, str]:
    """The POST data the question form sends for `qdef` (a definition dict), with `extra` blank lines."""
    data = {
        "code": qdef["code"], "type": qdef["type"], "page": str(page_id), "text": qdef["text"],
        "text_en": qdef.get("text_en", ""), "help_text": qdef.get("help", ""), "help_text_en": qdef.get("help_en", ""),
        "condition": qdef.get("show_if", ""), action: "1",
    }
    if qdef.get("required"):
        data["required"] = "on"
    for key, name in (("min", "min_value"), ("max", "max_value"), ("max_length", "max_length")):
        if key in qdef:
            data[name] = str(qdef[key])
    for prefix, items in (("optionen", qdef.get("options")), ("zeilen", qdef.get("rows"))):
        if items is None:
            continue
        lines = [*items, *({} for _ in range(extra))]
        data.update({f"{prefix}-TOTAL_FORMS": str(len(lines)), f"{prefix}-INITIAL_FORMS": "0",
                     f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"})
        for i, item in enumerate(lines):
            if not item:
                continue
            data[f"{prefix}-{i}-code"] = item["code"]
            data[f"{prefix}-{i}-label"] = item["label"]
            data[f"{prefix}-{i}-label_en"] = item.get("label_en", "")
            data[f"{prefix}-{i}-ORDER"] = str(i + 1)
            if item.get("exclusive"):
                data[f"{prefix}-{i}-exclusive"] = "on"
            if item.get("other_text"):
                data[f"{prefix}-{i}-other_text"] = "on"
    return data


def structure_of(survey: Survey) -> list[dict[str, Any]]:
    """Pages, questions, options, rows and conditions of a survey as plain data (for comparing two surveys)."""
    return export_definition(survey)["pages"]
