"""What a file format declares, in the style of pretix's `base/exporter.py`.

A format is a subclass of `Exporter` in a module of `exports/formats/exporters/` that sets the class
attributes below and implements `export`. The registry (registry.py) finds it there; the class is
instantiated once per file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from django.utils.functional import Promise

from surveys.models import Survey

Progress = Callable[[int], None]


def no_progress(pct: int) -> None:
    """Progress for a caller that shows none (the management command)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export: the survey, which responses, which variant, and where progress goes (0-100)."""

    survey: Survey
    include_partial: bool = False
    publication: bool = False  # aggregates only, counts suppressed (analysis/protection.py)
    options: dict[str, Any] | None = None  # a cross-tab choice: analysis.crosstab.Spec.as_dict()
    progress: Progress = no_progress


class Exporter:
    """One file format."""

    # Stored in ExportJob.format (at most 5 characters) and sent by the staff export form.
    identifier: ClassVar[str]
    # File name extensions with the dot; the first names the stored and the downloaded file,
    # any of them picks the format in `export_results --out FILE`.
    extensions: ClassVar[tuple[str, ...]]
    # German label with gettext_lazy: the choice in the export form and the job list.
    verbose_name: ClassVar[str | Promise]
    # Media type of the download.
    content_type: ClassVar[str]
    # Order in the export form and in messages that list the formats.
    position: ClassVar[int] = 100
    # Inserted after the survey's slug in the download name, e.g. "_ergebnisbericht".
    download_label: ClassVar[str] = ""
    # Offers the publication variant: aggregates only (the workbook, the report). A per-response
    # format cannot be published (analysis/protection.py says why) and refuses it.
    publishable: ClassVar[bool] = False

    def export(self, path: Path | str, request: ExportRequest) -> int:
        """Write the file to `path`; returns the number of responses it counts."""
        raise NotImplementedError
