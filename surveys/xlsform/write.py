"""Writing a definition as an XLSForm workbook of the shape read.py reads, so that
XLSForm → database → XLSForm gives the same workbook.
"""

from __future__ import annotations

import io
from typing import Any

from .expressions import condition_to_xpath
from .layout import EMAIL_REGEX, ENGLISH, GERMAN, OTHER_TEXT_LABEL, OTHER_TEXT_LABEL_EN, SETTINGS_TEXTS


def write_xlsform(data: dict[str, Any]) -> bytes:
    """A definition in canonical form (surveys/definition/canonical.py, export.py) as an XLSForm workbook."""
    # Imported on use: openpyxl's import takes tenths of a second that every web process would pay at start.
    from openpyxl import Workbook

    pages = data.get("pages", [])
    questions = [q for p in pages for q in p["questions"]]
    english_labels = bool(data.get("title_en")) or any(
        p.get("title_en") for p in pages) or any(
        q.get("text_en") or any(o.get("label_en") for o in q.get("options", []) + q.get("rows", []))
        for q in questions)
    english_hints = any(p.get("intro_en") for p in pages) or any(q.get("help_en") for q in questions)
    header = ["type", "name", f"label::{GERMAN}"] + ([f"label::{ENGLISH}"] if english_labels else []) + \
        [f"hint::{GERMAN}"] + ([f"hint::{ENGLISH}"] if english_hints else []) + \
        ["required", "relevant", "constraint", "appearance"]
    survey_rows: list[dict[str, str]] = []
    choice_rows: list[dict[str, str]] = []
    for page in pages:
        survey_rows.append({"type": "begin_group", "name": page["code"], "label": page["title"],
                            "label_en": page.get("title_en", ""), "hint": page.get("intro", ""),
                            "hint_en": page.get("intro_en", ""), "relevant": _xpath(page.get("show_if")),
                            "appearance": "field-list"})
        for question in page["questions"]:
            survey_rows.extend(_question_rows(question))
            if question.get("options"):
                choice_rows.extend({"list_name": question["code"], "name": o["code"], "label": o["label"],
                                    "label_en": o.get("label_en", "")} for o in question["options"])
        survey_rows.append({"type": "end_group", "name": page["code"]})
    workbook = Workbook()
    ws = workbook.active
    ws.title = "survey"
    keys = {"type": "type", "name": "name", f"label::{GERMAN}": "label", f"label::{ENGLISH}": "label_en",
            f"hint::{GERMAN}": "hint", f"hint::{ENGLISH}": "hint_en", "required": "required",
            "relevant": "relevant", "constraint": "constraint", "appearance": "appearance"}
    _write_rows(ws, header, [[row.get(keys[h], "") for h in header] for row in survey_rows])
    choice_header = ["list_name", "name", f"label::{GERMAN}"] + ([f"label::{ENGLISH}"] if english_labels else [])
    _write_rows(workbook.create_sheet("choices"), choice_header,
                [[row["list_name"], row["name"], row["label"]] + ([row["label_en"]] if english_labels else [])
                 for row in choice_rows])
    settings = {"form_title": data.get("title", ""), "form_id": data.get("slug", ""), "default_language": GERMAN}
    if data.get("title_en"):
        settings[f"form_title::{ENGLISH}"] = data["title_en"]
    emails = {f"{kind}_{part}": value for kind, texts in data.get("emails", {}).items()
              for part, value in texts.items()}
    flat = {**data, **data.get("field_period", {}), **emails}
    settings.update({key: str(flat[key]) for key in SETTINGS_TEXTS if key != "title_en" and flat.get(key)})
    _write_rows(workbook.create_sheet("settings"), list(settings), [list(settings.values())])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xpath(condition: str | None) -> str:
    return condition_to_xpath(condition) if condition else ""


def _question_rows(q: dict[str, Any]) -> list[dict[str, str]]:
    base = {"name": q["code"], "label": q["text"], "label_en": q.get("text_en", ""), "hint": q.get("help", ""),
            "hint_en": q.get("help_en", ""), "required": "yes" if q.get("required") else "",
            "relevant": _xpath(q.get("show_if"))}
    qtype = q["type"]
    if qtype == "matrix":
        rows = [{**base, "type": "begin_group", "required": "", "appearance": "table-list"}]
        rows += [{"type": f"select_one {q['code']}", "name": r["code"], "label": r["label"],
                  "label_en": r.get("label_en", ""), "required": base["required"]} for r in q.get("rows", [])]
        return rows + [{"type": "end_group", "name": q["code"]}]
    row = dict(base)
    if qtype in ("single", "multi"):
        row["type"] = f"{'select_one' if qtype == 'single' else 'select_multiple'} {q['code']}"
        row["constraint"] = " and ".join(f"not(selected(., '{o['code']}') and count-selected(.) > 1)"
                                         for o in q.get("options", []) if o.get("exclusive"))
    elif qtype == "number":
        row["type"] = "integer"
        row["constraint"] = " and ".join(part for part in (
            f". >= {q['min']}" if "min" in q else "", f". <= {q['max']}" if "max" in q else "") if part)
    elif qtype in ("text", "textarea"):
        row["type"] = "text"
        row["appearance"] = "multiline" if qtype == "textarea" else ""
        row["constraint"] = f"string-length(.) <= {q['max_length']}" if "max_length" in q else ""
    elif qtype == "email":
        row["type"] = "text"
        row["constraint"] = f"regex(., '{EMAIL_REGEX}')"
    else:
        row["type"] = qtype
    rows = [row]
    for option in q.get("options", []):
        if option.get("other_text") and qtype in ("single", "multi"):
            rows.append({"type": "text", "name": f"{q['code']}_{option['code']}_text", "label": OTHER_TEXT_LABEL,
                         "label_en": OTHER_TEXT_LABEL_EN if q.get("text_en") else "",
                         "relevant": f"selected(${{{q['code']}}}, '{option['code']}')"})
    return rows


def _write_rows(ws: Any, header: list[str], rows: list[list[Any]]) -> None:
    """Every cell as a string cell: a text starting with "=" stays text and is never a formula."""
    # Imported on use: openpyxl's import takes tenths of a second that every web process would pay at start.
    from openpyxl.utils import get_column_letter

    ws.append(header)
    for values in rows:
        ws.append([None if value in ("", None) else str(value) for value in values])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if cell.value is not None:
                cell.data_type = "s"
    for index, title in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(index)].width = 40 if "label" in title or "hint" in title else 18
