"""Helpers for editor tests: a question definition → the editor's form POST, and structure comparison."""

from __future__ import annotations

from typing import Any

from surveys.definition.export import export_definition
from surveys.models import Survey


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
