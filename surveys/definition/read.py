"""Reading a definition file: YAML or JSON (YAML is a superset of JSON), or an XLSForm workbook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext_lazy as _

from surveys.definition_errors import DefinitionError, Message
from surveys.xlsform.read import read_xlsform

# libyaml's parser when PyYAML was built with it: the same safe loader, twenty times faster on big files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_FILE_BYTES = 2_000_000


def read_definition(path: str | Path) -> dict[str, Any]:
    """Parse a YAML or JSON file (YAML is a superset of JSON), or an XLSForm workbook, into a dict."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DefinitionError(f"{path}: file not found")
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read file ({exc.strerror or exc})")
    return parse_definition(raw, str(path))


def is_workbook(name: str, raw: bytes) -> bool:
    """An .xlsx file is a ZIP archive; either the name or the first bytes make it one."""
    return name.lower().endswith(".xlsx") or raw.startswith(b"PK\x03\x04")


def parse_definition(raw: bytes, name: str) -> dict[str, Any]:
    """The definition dict of an uploaded or read file: XLSForm for workbooks, YAML/JSON otherwise."""
    path = name
    if len(raw) > MAX_FILE_BYTES:
        raise DefinitionError(Message(f"{path}: file is too large ({len(raw)} bytes, at most {MAX_FILE_BYTES})",
                                      _("%(path)s: Die Datei ist zu groß (%(size)s Bytes, höchstens %(limit)s)."),
                                      path=path, size=len(raw), limit=MAX_FILE_BYTES))
    if is_workbook(name, raw):
        return read_xlsform(raw, name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(Message(f"{path}: not valid UTF-8 (byte {exc.start})",
                                      _("%(path)s: Die Datei ist kein gültiges UTF-8 (Byte %(byte)s)."),
                                      path=path, byte=exc.start))
    try:
        data = yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 – a safe loader (CSafeLoader or SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise DefinitionError(Message(
            f"{path}: YAML syntax error{where}: {problem}",
            _("%(path)s: YAML-Syntaxfehler in Zeile %(line)s, Spalte %(column)s: %(problem)s") if mark else
            _("%(path)s: YAML-Syntaxfehler: %(problem)s"), path=path, problem=problem,
            line=mark.line + 1 if mark else 0, column=mark.column + 1 if mark else 0))
    if not isinstance(data, dict):
        raise DefinitionError(Message(f"{path}: the file must contain a mapping (slug, title, pages, ...), "
                                      f"not {type(data).__name__}",
                                      _("%(path)s: Die Datei muss eine Zuordnung (slug, title, pages, …) enthalten."),
                                      path=path))
    return data
