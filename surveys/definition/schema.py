"""The JSON schema check of a definition (surveys/schema.json), each error said in English and German."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext_lazy as _

from surveys.definition_errors import Message

SCHEMA_PATH = Path(__file__).parent.parent / "schema.json"  # surveys/schema.json, a stable interface


def schema_errors(data: dict[str, Any]) -> list[Message]:
    """Every place where `data` breaks the schema, in the order of the places."""
    return [_schema_message(err)
            for err in sorted(_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])]


@lru_cache(maxsize=1)
def _validator() -> Any:
    """The schema validator, imported on first use: jsonschema's import takes a tenth of a second or more, and
    the staff URLs import this module when a web process starts (its health check must answer quickly)."""
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _format_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


# What the schema names a list of things (the key before an index) → how the report counts them.
_GERMAN_ITEMS = {"pages": _("Seite %(n)s"), "questions": _("Frage %(n)s"), "options": _("Option %(n)s"),
                 "rows": _("Matrixzeile %(n)s")}


def _german_path(parts: Any) -> str:
    """The place of a schema error as the report says it: „Seite 2, Frage 3, Feld ‚type‘“."""
    out: list[str] = []
    previous: Any = None
    for part in parts:
        if isinstance(part, int):
            template = _GERMAN_ITEMS.get(previous)
            if template is not None and out:
                out.pop()  # „Seite 2“, not „Feld ‚pages‘, Seite 2“
            out.append(str(template or _("Eintrag %(n)s")) % {"n": part + 1})
        else:
            out.append(str(_("Feld ‚%(name)s‘")) % {"name": part})
        previous = part
    return ", ".join(out) or str(_("Oberste Ebene der Definition"))


# schema.json's pattern for texts that become mail headers (sender name, subjects).
HEADER_SAFE_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
_GERMAN_TYPES = {"string": _("ein Text"), "integer": _("eine ganze Zahl"), "number": _("eine Zahl"),
                 "boolean": _("true oder false"), "array": _("eine Liste"), "object": _("eine Zuordnung"),
                 "null": _("leer")}


def _schema_message(err: Any) -> Message:
    """A jsonschema ValidationError as a Message: the English line load_survey has always printed, and a
    German sentence built from the validator kind (the library's own text is English only)."""
    english = f"{_format_path(err.absolute_path)}: {err.message}"
    kind, value, instance = err.validator, err.validator_value, err.instance
    why: Any
    params: dict[str, Any] = {}
    if kind == "required" and isinstance(instance, dict):
        missing = [name for name in value if name not in instance]
        why, params = _("Das Pflichtfeld „%(name)s“ fehlt."), {"name": ", ".join(missing)}
    elif kind == "additionalProperties" and isinstance(instance, dict):
        known = set(err.schema.get("properties", {}))
        extra = [name for name in instance if name not in known]
        why, params = _("Das Feld „%(name)s“ ist hier nicht vorgesehen."), {"name": ", ".join(map(str, extra))}
    elif kind == "type":
        wanted = value if isinstance(value, list) else [value]
        why = _("Hier wird %(expected)s erwartet, nicht „%(value)s“.")
        params = {"expected": str(_(" oder ")).join(str(_GERMAN_TYPES.get(t, t)) for t in wanted),
                  "value": _shown(instance)}
    elif kind == "enum":
        why = _("„%(value)s“ ist nicht erlaubt; erlaubt sind: %(allowed)s.")
        params = {"value": _shown(instance), "allowed": ", ".join(map(str, value))}
    elif kind == "const":
        why, params = _("Hier ist nur „%(allowed)s“ erlaubt."), {"allowed": value}
    elif kind == "pattern" and value == HEADER_SAFE_PATTERN:
        why = _("Darf keine Zeilenumbrüche oder Steuerzeichen enthalten: der Text steht im Kopf jeder E-Mail.")
    elif kind == "pattern":
        why, params = _("„%(value)s“ hat nicht die erwartete Form (Muster %(pattern)s)."), {
            "value": _shown(instance), "pattern": value}
    elif kind == "minLength":
        why, params = (_("Darf nicht leer sein.") if value == 1 else _("Ist zu kurz (mindestens %(limit)s Zeichen)."),
                       {"limit": value})
    elif kind == "maxLength":
        why, params = _("Ist zu lang (%(length)s Zeichen, höchstens %(limit)s)."), {
            "limit": value, "length": len(instance) if isinstance(instance, str) else "?"}
    elif kind in ("minimum", "exclusiveMinimum"):
        why = (_("%(value)s ist zu klein (mindestens %(limit)s).") if kind == "minimum"
               else _("%(value)s ist zu klein (muss größer als %(limit)s sein)."))
        params = {"value": instance, "limit": value}
    elif kind in ("maximum", "exclusiveMaximum"):
        why = (_("%(value)s ist zu groß (höchstens %(limit)s).") if kind == "maximum"
               else _("%(value)s ist zu groß (muss kleiner als %(limit)s sein)."))
        params = {"value": instance, "limit": value}
    elif kind == "minItems":
        why = (_("Die Liste darf nicht leer sein.") if value == 1
               else _("Die Liste braucht mindestens %(limit)s Einträge."))
        params = {"limit": value}
    elif kind == "maxItems":
        why, params = _("Die Liste hat mehr als %(limit)s Einträge."), {"limit": value}
    elif kind == "uniqueItems":
        why = _("Die Liste enthält einen Eintrag zweimal.")
    else:  # a rule the schema may gain later: still German, still with its place
        why, params = _("Der Wert entspricht nicht der Regel „%(rule)s“ der Definition."), {"rule": kind}
    return Message(english, _("%(where)s: %(problem)s"), where=_german_path(err.absolute_path),
                   problem=Message(err.message, why, **params))


def _shown(value: Any) -> str:
    """A value as the report quotes it: short, JSON-like (a dict or list is named, not printed)."""
    if isinstance(value, dict):
        return str(_("eine Zuordnung"))
    if isinstance(value, list):
        return str(_("eine Liste"))
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"
