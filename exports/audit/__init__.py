"""A survey's audit trail for its owners: /staff/befragungen/<slug>/protokoll/ and its CSV export.

Here, in the top app, because the CSV goes through exports/formats/safe.py (no formula injection);
the entries themselves are written by accounts.audit.record from every app.
"""
