"""The raw data as one labelled pandas frame, for the statistics formats (SPSS, Stata).

These formats need the whole table at once, so the frame is built in memory (about 60 bytes
per cell: ~350 MB would be 100,000 responses × 60 variables of long text; fine for this
survey's size, and the .xlsx/.csv exports stream). Every text goes through `clean_text`;
each format only decides how long a label may be and of which type a value-label key is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from exports.analysis import missing
from exports.analysis.datarows import Column

from .safe import clean_text

if TYPE_CHECKING:
    import pandas as pd


def _keep(text: str) -> str:
    return text


def cut_bytes(text: str, limit: int) -> str:
    """`text` cut to at most `limit` bytes of UTF-8, never inside a character."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return text
    return raw[:limit].decode("utf-8", errors="ignore")


def build_frame(cols: list[Column], rows: Iterable[list[Any]],
                cut_text: Callable[[str], str] = _keep) -> tuple[pd.DataFrame, int]:
    """The rows as a frame (numbers as float64, the timestamps as datetimes, texts cleaned and
    cut with `cut_text`) and the number of rows."""
    # Imported here, not at the top: pandas' import is a sizeable part of a process's start, and every
    # process that lists the formats imports this module through the registry; only an SPSS or Stata
    # export needs it.
    import pandas as pd

    data: dict[str, list[Any]] = {c.code: [] for c in cols}
    codes = [c.code for c in cols]
    count = 0
    for row in rows:
        for code, value in zip(codes, row, strict=True):
            data[code].append(value)
        count += 1
    frame = {}
    for c in cols:
        values = data[c.code]
        if c.numeric:
            frame[c.code] = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
        elif c.code in ("started_at", "submitted_at"):
            frame[c.code] = pd.to_datetime(pd.Series(values, dtype="object"))
        else:
            frame[c.code] = pd.Series(["" if v is None else cut_text(clean_text(str(v))) for v in values],
                                      dtype="object")
    return pd.DataFrame(frame, columns=codes), count


def _coded(c: Column) -> bool:
    """A coded variable: numeric, with labels for whole-number codes."""
    return c.numeric and bool(c.value_labels) and all(isinstance(k, int) for k in c.value_labels)


def variable_labels(cols: list[Column], cut: Callable[[str], str] = _keep) -> list[str]:
    return [cut(clean_text(c.label)) for c in cols]


def value_labels(cols: list[Column], key: Callable[[int], Any] = float,
                 cut: Callable[[str], str] = _keep,
                 missing_key: Callable[[int], Any] | None = None) -> dict[str, dict[Any, str]]:
    """{variable: {code: label}} of the coded variables, codes converted with `key`; with
    `missing_key`, every variable with missing codes also labels them (keys from `missing_key`)."""
    labels = {c.code: {key(k): cut(clean_text(v)) for k, v in c.value_labels.items()}
              for c in cols if _coded(c)}
    if missing_key is not None:
        for c in cols:
            if c.has_missing_codes:
                labels.setdefault(c.code, {}).update({missing_key(k): v for k, v in missing.LABELS.items()})
    return labels


def missing_columns(cols: list[Column]) -> list[str]:
    """The variables whose empty values are coded -1/-9 (exports/analysis/missing.py)."""
    return [c.code for c in cols if c.has_missing_codes]
