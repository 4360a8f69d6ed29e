"""The R file (.rds): variable labels and value labels, read back by two independent readers —
rdata's parser (which returns every attribute) and pyreadr (librdata, as analysts' pandas would) —
and every value of the raw data as written, hostile texts included."""

from __future__ import annotations

import math
import struct

import pandas as pd
import pyreadr
import pytest
import rdata
from django.conf import settings

from exports.analysis import datarows
from exports.analysis.missing import is_missing_code
from exports.formats.registry import build_export
from exports.formats.safe import clean_text
from tests.exports.test_tables_features import three_respondents

pytestmark = pytest.mark.django_db


def _text(obj) -> list[str | None]:
    return [None if c.value is None else c.value.decode("utf-8") for c in obj.value]


def _attributes(obj) -> dict:
    """An R object's attributes pairlist as {name: R object} (symbols may be back-references)."""
    out = {}
    node = obj.attributes
    while node is not None and node.info.type == rdata.parser.RObjectType.LIST:
        tag = node.tag if node.tag.info.type == rdata.parser.RObjectType.SYM else node.tag.referenced_object
        out[tag.value.value.decode("utf-8")] = node.value[0]
        node = node.value[1]
    return out


def _columns(path) -> dict[str, tuple[object, dict]]:
    parsed = rdata.parser.parse_file(path)
    frame = parsed.object
    attrs = _attributes(frame)
    assert _text(attrs["class"]) == ["data.frame"]
    names = _text(attrs["names"])
    return {name: (col, _attributes(col)) for name, col in zip(names, frame.value, strict=True)}


def test_rds_holds_variable_and_value_labels(kgst_survey, kgst_structure, tmp_path):
    three_respondents(kgst_survey, kgst_structure)
    path = tmp_path / "daten.rds"
    assert build_export(kgst_survey, "rds", path) == 3
    cols = {c.code: c for c in datarows.columns(kgst_survey)}
    columns = _columns(path)
    assert list(columns) == list(cols)
    for code, (_, attrs) in columns.items():
        assert _text(attrs["label"]) == [clean_text(cols[code].label)], code
    assert _text(columns["B1_nutzung"][1]["label"])[0].startswith("Nutzt Ihre Kommune Social Media")
    # coded variables are factors whose levels are the value labels
    b1, b1_attrs = columns["B1_nutzung"]
    assert _text(b1_attrs["class"]) == ["factor"]
    assert _text(b1_attrs["levels"]) == ["Ja", "Nein"]
    assert list(b1.value) == [1, 1, 1]
    gk_levels = _text(columns["groessenklasse"][1]["levels"])
    assert "25.000 bis unter 50.000" in gk_levels
    assert _text(columns["submitted_at"][1]["class"]) == ["POSIXct", "POSIXt"]
    # the same file through pyreadr: factors, texts, dates, missing values
    df = pyreadr.read_r(str(path))[None]
    assert isinstance(df["B1_nutzung"].dtype, pd.CategoricalDtype)
    assert df["B1_nutzung"].tolist() == ["Ja"] * 3
    assert sorted(df["A1_bereich_6_text"]) == ["Stabsstelle 0", "Stabsstelle 1", "Stabsstelle 2"]
    assert df["submitted_at"].notna().all()
    assert df["E1_strategie"].isna().all()  # never shown: NA, not a level


def test_rds_values_round_trip(kgst_survey, generated, tmp_path):
    """Every cell as the raw data rows hold it: hostile texts, emoji, long texts, missing numbers."""
    generated(60, seed=5, partial_share=0.3, nasty=True)
    path = tmp_path / "daten.rds"
    count = build_export(kgst_survey, "rds", path, include_partial=True)
    cols = datarows.columns(kgst_survey)
    rows = list(datarows.iter_rows(kgst_survey, cols, True))
    assert count == len(rows) == 60
    df = pyreadr.read_r(str(path))[None]
    columns = _columns(path)
    for i, c in enumerate(cols):
        got = df[c.code].tolist()
        expected = [row[i] for row in rows]
        if c.numeric and c.value_labels and all(isinstance(k, int) for k in c.value_labels):
            labels = {int(k): clean_text(v) for k, v in c.value_labels.items()}
            want = [None if v in (None, "") else labels.get(int(float(v))) for v in expected]
            assert [None if isinstance(g, float) and math.isnan(g) else g for g in got] == want, c.code
        elif c.numeric:  # the missing codes -1/-9 are NA in R (their reason: test_missing_codes.py)
            want = [None if v in (None, "") or (c.has_missing_codes and is_missing_code(v)) else float(v)
                    for v in expected]
            assert [None if math.isnan(g) else g for g in got] == want, c.code
            # missing numbers are R's NA_real_ (the NaN with payload 1954), not any NaN
            raw = columns[c.code][0].value
            for value, w in zip(raw, want, strict=True):
                if w is None:
                    assert struct.pack(">d", value)[4:] == struct.pack(">I", 1954), c.code
        elif c.code in ("started_at", "submitted_at"):
            # local wall-clock times in the rows; the file holds the instant (pyreadr reads it as UTC)
            zone = settings.TIME_ZONE
            want = [None if v is None else pd.Timestamp(v).tz_localize(zone).tz_convert("UTC").tz_localize(None)
                    for v in expected]
            assert _text(columns[c.code][1]["tzone"]) == [zone]
            # POSIXct is a double of seconds: exact to about a microsecond
            assert [g is None or pd.isna(g) for g in got] == [w is None for w in want], c.code
            assert all(abs(pd.Timestamp(g) - w) < pd.Timedelta(microseconds=2)
                       for g, w in zip(got, want, strict=True) if w is not None), c.code
        else:
            assert got == ["" if v is None else clean_text(str(v)) for v in expected], c.code
