"""The exporter registry: every file format, found in `exports/formats/exporters/`.

Formats are found, not listed: each module of that package is imported once, and every `Exporter`
subclass it defines with an `identifier` is a format. Readers: the staff export form, the choices
of ExportJob.format (migration 0004 refers to `choices` by this module's dotted path: keep it),
`export_results --out FILE.<ext>` and the export job, the last two through `build_export`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from surveys.models import Survey

from . import exporters as exporters_package
from .base import Exporter, ExportRequest, Progress, no_progress

DEFAULT = "xlsx"


@functools.cache
def exporters() -> dict[str, type[Exporter]]:
    """Identifier → exporter class, in the order of `Exporter.position`."""
    found: dict[str, type[Exporter]] = {}
    for info in pkgutil.iter_modules(exporters_package.__path__):
        # importing the module is its registration; done on first use, not when models load
        module = importlib.import_module(f"{exporters_package.__name__}.{info.name}")
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, Exporter) and obj.__module__ == module.__name__
                    and getattr(obj, "identifier", None)):
                if obj.identifier in found:
                    raise ImproperlyConfigured(f"Two export formats are called {obj.identifier!r}: "
                                               f"{found[obj.identifier].__module__} and {module.__name__}.")
                found[obj.identifier] = obj
    return dict(sorted(found.items(), key=lambda item: (item[1].position, item[0])))


def get(identifier: str) -> type[Exporter]:
    try:
        return exporters()[identifier]
    except KeyError:
        raise ValueError(f"unknown export format {identifier!r}") from None


def for_filename(name: str | Path) -> type[Exporter] | None:
    """The format whose extension the file name has (any case), or None."""
    suffix = Path(name).suffix.lower()
    return next((e for e in exporters().values() if suffix in e.extensions), None)


def extensions() -> list[str]:
    return [extension for e in exporters().values() for extension in e.extensions]


def choices() -> list[tuple[str, str | Promise]]:
    """(identifier, label) of every format: ExportJob.format and the export form offer these."""
    return [(e.identifier, e.verbose_name) for e in exporters().values()]


class PublicationNotAvailable(ValueError):
    """The publication variant was asked of a per-response format."""


def publication_refusal(fmt: str) -> str:
    """The German message for a publication variant of format `fmt`, or "" if it has one."""
    if get(fmt).publishable:
        return ""
    names = ", ".join(str(e.verbose_name) for e in exporters().values() if e.publishable)
    return str(_("Die Veröffentlichungsfassung enthält keine Einzeldaten, nur Tabellen: Es gibt sie als %(names)s, "
                 "nicht als %(format)s.") % {"names": names, "format": get(fmt).verbose_name})


def build_export(survey: Survey, fmt: str, path: Path | str, include_partial: bool = False,
                 progress: Progress | None = None, *, publication: bool = False,
                 options: dict[str, Any] | None = None) -> int:
    """Write one export file in format `fmt` from one consistent snapshot; returns the number of
    responses it holds. The export job and `export_results` both build files through this.

    `options` is a cross-tab choice (crosstab.Spec.as_dict): it fills the Kreuztabellen sheet and,
    when weighted, adds a weight column; `publication` writes what may be published (aggregates with
    counts suppressed; only formats with `publishable`, others raise PublicationNotAvailable)."""
    if publication and not get(fmt).publishable:
        raise PublicationNotAvailable(publication_refusal(fmt))
    report = progress or no_progress
    request = ExportRequest(survey, include_partial, publication, options, report)
    count = get(fmt)().export(path, request)
    report(100)
    return count
