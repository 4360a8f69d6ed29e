"""Counting and tables: everything the results page, the analyses and the exports show, computed in
PostgreSQL from one snapshot (aggregation.snapshot). No files, no HTTP, no Celery here.

aggregation (frequencies, the default cross-tabs by Land and size class, the snapshot), crosstab
(by any variable, filtered, weighted), register (the register variables), representativeness (and
the raking weights), weighted (weighted frequency tables), waves (two waves side by side),
freetexts (free-text answers listed as counted), protection (small-cell protection and the
publication variant), datarows (the raw data matrix), variants (what an export's options change),
report (the results report's content), rawsql (the raw SQL helpers).
"""
