"""File formats of the exports: one module per format in `exporters/`, found by `registry.py`.

To add a format, add a module to `exporters/` with an `Exporter` subclass (`base.py`; a format of the
raw data matrix subclasses `rawdata.DataExporter` and only writes rows). Nothing else lists formats:
the staff export form, ExportJob.format, `export_results --out FILE.<ext>` and the export job all
ask the registry. `safe.py` makes respondents' text safe for spreadsheets, `frames.py` builds the
labelled pandas frame the statistics formats write.
"""
