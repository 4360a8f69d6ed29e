"""What an export job's options change in the file: the chosen cross-tabs, small-cell protection,
the publication variant's columns and the weight column. Kept apart from the raw-data exporter
(exports/formats/rawdata.py) so that it only wires them in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from surveys.models import Survey

from . import crosstab, protection
from .datarows import Column
from .representativeness import rake_weights
from .weighted import weight_questions


def result_tables(survey: Survey, tables: dict[str, Any], spec: crosstab.Spec | None) -> dict[str, Any]:
    """Result tables with the chosen cross-tabs (if any), weighted if chosen, and protection applied."""
    if spec is not None and spec.weighted:
        weighted = weight_questions(survey, tables["questions"], include_partial=spec.include_partial)
        tables = {**tables, "questions": weighted["questions"], "weighting": weighted["weighting"]}
    if spec is not None:
        chosen = crosstab.compute(survey, spec)
        tables = {**tables, "crosstabs": chosen["crosstabs"],
                  "crosstab_title": crosstab.describe(spec, crosstab.variable_map(survey)),
                  "crosstab_filter": chosen["filter_text"], "weighted": spec.weighted}
    return protection.protect_tables(tables, survey.min_base)


WEIGHT = Column("gewicht", "Gewicht (Raking auf Land × Größenklasse gegen das Mitgliederregister)", "meta",
                numeric=True, width=10)


def with_weights(survey: Survey, cols: list[Column], rows: Iterable[list[Any]],
                 include_partial: bool) -> tuple[list[Column], Iterator[list[Any]]]:
    weights = rake_weights(survey, include_partial).weights
    land, gk = cols.index(next(c for c in cols if c.code == "land")), cols.index(
        next(c for c in cols if c.code == "groessenklasse"))

    def rows_with() -> Iterator[list[Any]]:
        for row in rows:
            row.append(weights.get((row[land], str(row[gk]))))
            yield row

    return [*cols, replace(WEIGHT)], rows_with()


def publication(cols: list[Column], rows: Iterable[list[Any]]) -> tuple[list[Column], Iterator[list[Any]]]:
    keep = protection.publication_columns(cols)
    return [cols[i] for i in keep], ([row[i] for i in keep] for row in rows)
