"""What an export job's options change in the file: the chosen cross-tabs, small-cell protection,
the publication variant (tables with counts suppressed, no per-response rows) and the weight column.
Kept apart from the raw-data exporter (exports/formats/rawdata.py) so that it only wires them in."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from surveys.models import Survey

from . import crosstab, protection, waves
from .datarows import Column
from .representativeness import rake_weights
from .weighted import weight_questions


def result_tables(survey: Survey, tables: dict[str, Any], spec: crosstab.Spec | None,
                  publication: bool = False) -> dict[str, Any]:
    """Result tables with the chosen cross-tabs (if any), weighted if chosen, and protection applied:
    for the publication variant every small count suppressed (protection.publishable_tables)."""
    if spec is not None and spec.weighted:
        weighted = weight_questions(survey, tables["questions"], include_partial=spec.include_partial)
        tables = {**tables, "questions": weighted["questions"], "weighting": weighted["weighting"]}
    if spec is not None:
        chosen = crosstab.compute(survey, spec)
        tables = {**tables, "crosstabs": chosen["crosstabs"],
                  "crosstab_title": crosstab.describe(spec, crosstab.variable_map(survey)),
                  "crosstab_filter": chosen["filter_text"], "weighted": spec.weighted}
    tables = {**tables, "waves": waves.with_other_wave(survey, tables.get("include_partial", False), publication)}
    if publication:
        same = spec is None or spec.filter is None  # a filtered cross-tab's "Gesamt" is another population
        return protection.publishable_tables(tables, survey.min_base, same_respondents=same)
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


def publication(cols: list[Column]) -> list[Column]:
    """The columns a publication file may name (its Daten sheet holds no rows: protection.py)."""
    return [cols[i] for i in protection.publication_columns(cols)]
