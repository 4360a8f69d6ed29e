"""A definition as YAML text in canonical form (keys in canonical order), readable and diffable."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .canonical import canonical
from .read import read_definition
from .validate import validate_definition


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Block style for multi-line texts, so a downloaded definition stays readable and diffable."""


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump_yaml(data: dict[str, Any]) -> str:
    """YAML text of a definition in canonical form (keys in canonical order, UTF-8, no line wrapping)."""
    header = "# Rücklauf survey definition; load with: python manage.py load_survey FILE\n"
    return header + yaml.dump(canonical(data), Dumper=_Dumper, allow_unicode=True, sort_keys=False,
                              width=10_000, default_flow_style=False)


def canonical_yaml_of_file(path: str | Path) -> str:
    """The canonical form of a definition file: parse → normalise → dump."""
    return dump_yaml(validate_definition(read_definition(path)))
