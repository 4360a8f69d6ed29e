"""The exporter registry (exports/formats/registry.py): every format is found in its own module and
offered everywhere in one order; a file name picks its format."""

from pathlib import Path

import pytest

from exports.formats import registry
from exports.formats.base import Exporter
from exports.models import ExportJob


def test_the_formats_are_found_in_their_modules_in_the_form_order():
    assert list(registry.exporters()) == ["xlsx", "csv", "sav", "dta", "rds", "pdf"]
    assert registry.extensions() == [".xlsx", ".csv", ".sav", ".dta", ".rds", ".pdf"]
    assert registry.DEFAULT in registry.exporters()


@pytest.mark.parametrize("identifier", ["xlsx", "csv", "sav", "dta", "rds", "pdf"])
def test_each_format_declares_what_the_form_the_job_and_the_download_need(identifier):
    exporter = registry.get(identifier)
    assert issubclass(exporter, Exporter) and exporter.__module__.startswith("exports.formats.exporters.")
    assert len(identifier) <= ExportJob._meta.get_field("format").max_length
    assert exporter.extensions and all(e.startswith(".") for e in exporter.extensions)
    assert str(exporter.verbose_name) and exporter.content_type


def test_job_choices_and_file_names_come_from_the_registry():
    assert list(ExportJob._meta.get_field("format").choices) == registry.choices()
    assert registry.for_filename(Path("out/Ergebnisse.XLSX")) is registry.get("xlsx")
    assert registry.for_filename("daten.txt") is None
    with pytest.raises(ValueError, match="unknown export format"):
        registry.get("docx")
