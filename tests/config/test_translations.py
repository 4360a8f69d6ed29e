"""The English catalogue is complete, keeps every placeholder, and the staff area really renders in English."""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PO_FILE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# Python %-placeholders (named or positional) and {{ var }} leftovers from blocktranslate.
PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]*\)[sdif]|%[sdif]|\{\{\s*[^}]+?\s*\}\}")
KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(\".*\")\s*$")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid[:70]!r}"


def _unquote(token: str) -> str:
    return ast.literal_eval(token)


def parse_po(text: str) -> list[Entry]:
    """A small PO parser: enough for django.po (flags, plurals, multi-line strings, obsolete entries)."""
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            current, key = None, None
            continue
        if current is None:
            current = Entry(line=number)
            entries.append(current)
        if line.startswith("#~"):
            current.obsolete = True
            continue
        if line.startswith("#,"):
            current.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = KEYWORD.match(line)
        if match:
            key, value = match.group(1), _unquote(match.group(2))
        elif line.startswith('"') and key:
            value = _unquote(line)
        else:
            raise AssertionError(f"unparsable PO line {number}: {raw!r}")
        if key == "msgid":
            current.msgid += value
        elif key == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + value
        elif key == "msgstr":
            current.msgstr[0] = current.msgstr.get(0, "") + value
        elif key and key.startswith("msgstr["):
            index = int(key[7:-1])
            current.msgstr[index] = current.msgstr.get(index, "") + value
    return [entry for entry in entries if not entry.obsolete and (entry.msgid or entry.msgstr)]


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    return [entry for entry in parse_po(PO_FILE.read_text(encoding="utf-8")) if entry.msgid]


def _placeholders(text: str) -> list[str]:
    return sorted(re.sub(r"\s+", "", p) for p in PLACEHOLDER.findall(text))


def test_parser_understands_plurals_flags_and_continuations():
    sample = (
        'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
        '#, fuzzy, python-format\nmsgid "Eine %(n)s"\nmsgid_plural "Viele "\n"%(n)s"\n'
        'msgstr[0] "One %(n)s"\nmsgstr[1] ""\n\n#~ msgid "alt"\n#~ msgstr "old"\n'
    )
    header, entry = parse_po(sample)
    assert header.msgid == "" and "Language: en" in header.msgstr[0]
    assert entry.msgid_plural == "Viele %(n)s"
    assert entry.msgstr == {0: "One %(n)s", 1: ""}
    assert "fuzzy" in entry.flags


def test_compiled_catalogue_matches_the_po_file(catalogue):
    """django.mo is what Django reads: it must carry every translation of django.po (run compilemessages)."""
    with MO_FILE.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert len(catalogue) > 300
    stale = []
    for entry in catalogue:
        if entry.msgid_plural is None:
            if compiled.gettext(entry.msgid) != entry.msgstr.get(0):
                stale.append(entry.label)
        elif compiled.ngettext(entry.msgid, entry.msgid_plural, 2) != entry.msgstr.get(1):
            stale.append(entry.label)
    assert stale == []


def test_no_fuzzy_entries(catalogue):
    fuzzy = [entry.label for entry in catalogue if "fuzzy" in entry.flags]
    assert fuzzy == []


def test_no_untranslated_entries(catalogue):
    missing = []
    for entry in catalogue:
        forms = 2 if entry.msgid_plural is not None else 1
        if any(not entry.msgstr.get(index, "").strip() for index in range(forms)):
            missing.append(entry.label)
    assert missing == []


def test_placeholders_survive_translation(catalogue):
    broken = []
    for entry in catalogue:
        if entry.msgid_plural is None:
            if _placeholders(entry.msgid) != _placeholders(entry.msgstr.get(0, "")):
                broken.append(entry.label)
            continue
        # The singular may omit the count (\"the first valid row\"), but no form may invent a placeholder,
        # and the plural form must keep all of msgid_plural's.
        allowed = set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural))
        plural = entry.msgstr.get(1, "")
        if _placeholders(plural) != _placeholders(entry.msgid_plural):
            broken.append(entry.label)
        if not set(_placeholders(entry.msgstr.get(0, ""))) <= allowed:
            broken.append(entry.label)
    assert broken == []


def test_html_markup_survives_translation(catalogue):
    tag = re.compile(r"</?[a-z]+")
    broken = [entry.label for entry in catalogue
              if sorted(tag.findall(entry.msgid)) != sorted(tag.findall(entry.msgstr.get(0, "")))]
    assert broken == []


@pytest.mark.django_db
def test_staff_home_renders_in_english(analyst_client):
    assert analyst_client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"}).status_code == 302
    page = analyst_client.get("/staff/")
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "en"
    assert "Staff area" in html and "All surveys" in html and "Fieldwork period" in html
    assert "Befragungen" not in html and "Feldphase" not in html


@pytest.mark.django_db
def test_staff_home_stays_german_without_the_switch(analyst_client):
    html = analyst_client.get("/staff/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Feldphase" in html and "Fieldwork period" not in html
