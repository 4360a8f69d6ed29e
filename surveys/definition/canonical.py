"""The shape of a definition: which types take options, which survey texts it carries, the variables a
question produces, and its canonical form (stable key order, empty optionals left out), which the
downloads, the "unchanged" check and the round trip file → tables → file rely on."""

from __future__ import annotations

from typing import Any

CHOICE_TYPES = {"single", "multi", "matrix"}
# Optional texts of the survey that the definition and the Survey model name alike.
SURVEY_TEXTS = ("title_en", "intro", "intro_en", "closing_text", "closing_text_en", "privacy_notice",
                "organisers", "contact_email", "sender_name")

# Key order of the canonical form; keys not listed here do not exist in a valid definition.
SURVEY_KEYS = ("slug", "title", "title_en", "intro", "intro_en", "estimated_minutes", "closing_text",
               "closing_text_en", "privacy_notice", "organisers", "contact_email", "sender_name",
               "field_period", "emails", "pages")
PAGE_KEYS = ("code", "title", "title_en", "intro", "intro_en", "show_if", "questions")
QUESTION_KEYS = ("code", "type", "text", "text_en", "help", "help_en", "required", "show_if", "min", "max",
                 "max_length", "rows", "options")
OPTION_KEYS = ("code", "label", "label_en", "exclusive", "other_text")
ROW_KEYS = ("code", "label", "label_en")


def question_variables(question: dict[str, Any]) -> dict[str, str]:
    """The answer-mapping keys a question produces → their kind (the question type, "row" or "text")."""
    code, qtype = question["code"], question["type"]
    if qtype == "matrix":
        return {row["code"]: "row" for row in question.get("rows", [])}
    out = {code: qtype}
    for opt in question.get("options", []):
        if opt.get("other_text"):
            out[f"{code}_{opt['code']}_text"] = "text"
    return out


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """The listed keys in that order, without empty optionals ("", None, False, {}, []); 0 is kept."""
    return {key: source[key] for key in keys if key in source and not _empty(source[key])}


def _empty(value: Any) -> bool:
    # `value in ("", False, ...)` would count 0 as False and drop a minimum of 0.
    return value is None or value is False or (isinstance(value, str | dict | list) and not value)


def canonical_question(question: dict[str, Any]) -> dict[str, Any]:
    """A question in canonical form: key order of QUESTION_KEYS, empty optionals left out."""
    q = dict(question)
    if "options" in q:
        q["options"] = [_pick(o, OPTION_KEYS) for o in q["options"]]
    if "rows" in q:
        q["rows"] = [_pick(r, ROW_KEYS) for r in q["rows"]]
    return _pick(q, QUESTION_KEYS)


def canonical(data: dict[str, Any]) -> dict[str, Any]:
    """The canonical form of a validated definition: stable key order, empty optionals omitted.

    Canonical form of a file = parse → validate_definition (normalise) → canonical → dump_yaml."""
    out = dict(data)
    if "field_period" in out:
        out["field_period"] = _pick(out["field_period"], ("opens", "closes"))
    if "emails" in out:
        emails = {kind: _pick(out["emails"].get(kind, {}), ("subject", "body")) for kind in ("invitation", "reminder")}
        out["emails"] = _pick(emails, ("invitation", "reminder"))
    pages = [_pick({**page, "questions": [canonical_question(q) for q in page["questions"]]}, PAGE_KEYS)
             for page in data.get("pages", [])]
    out["pages"] = pages
    result = _pick(out, SURVEY_KEYS)
    result.setdefault("pages", [])
    return result
