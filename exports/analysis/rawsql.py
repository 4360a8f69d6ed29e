"""The one home of the raw SQL helpers of the result tables: names taken from the models, and the
settings the counting queries run with.

The counting queries stay SQL (DESIGN: counting belongs in PostgreSQL), but they name tables and
columns through the models' `_meta`, so a migration that renames one needs no change there:
`sql("SELECT a.{Answer.value} FROM {Answer} a", Answer=Answer)`. Values are always parameters.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Model


class Table:
    """`{T}` formats as the quoted table of a model, `{T.field}` as the quoted column of a field
    (a ForeignKey's `<name>_id` column for a relation)."""

    def __init__(self, model: type[Model]) -> None:
        self._model = model

    def __format__(self, spec: str) -> str:
        return connection.ops.quote_name(self._model._meta.db_table)

    def __getattr__(self, name: str) -> str:
        if name.startswith("_"):
            raise AttributeError(name)
        return connection.ops.quote_name(self._model._meta.get_field(name).column)


def sql(template: str, **models: Any) -> str:
    """`template` with `{Name}` and `{Name.field}` filled in for the given models (`{{`/`}}` for braces)."""
    return template.format(**{name: Table(model) for name, model in models.items()})


# Settings for the two counting queries (frequencies and cross-tabs), local to the export's
# transaction (measured at 100,000 responses with EXPLAIN ANALYZE):
# - jit off: the planner's row estimates for the unnested parameter arrays are far off, so it
#   JIT-compiles both queries, which cost ~1.1 s of the ~3.3 s and saved nothing;
# - work_mem: the per-response sorts and the hash aggregates otherwise spill to disk.
COUNT_SETTINGS = {"jit": "off", "work_mem": "64MB"}


@contextlib.contextmanager
def local_settings(cursor: Any, settings: dict[str, str]) -> Iterator[None]:
    """Settings for the block only: set with SET LOCAL semantics inside a (sub)transaction and
    restored at its end; when the block fails, rolling back the savepoint undoes them."""
    with transaction.atomic():
        cursor.execute("SELECT " + ", ".join(["current_setting(%s)"] * len(settings)), list(settings))
        previous = dict(zip(settings, cursor.fetchone(), strict=True))
        _set_local(cursor, settings)
        yield
        _set_local(cursor, previous)


def _set_local(cursor: Any, settings: dict[str, str]) -> None:
    for name, value in settings.items():
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


_HASH_SETTINGS = {"enable_sort": "off"}


def fetch_hashed(cursor: Any, query: str, params: dict[str, Any]) -> list[tuple]:
    """Run a counting query with hash aggregation. The planner cannot estimate how few groups the
    answers form (it expects millions and would sort 1.4M answers, or 90,000 signature arrays);
    groups are in fact a few 10,000s (answers) and about a thousand cells (signatures)."""
    with local_settings(cursor, _HASH_SETTINGS):
        cursor.execute(query, params)
        return cursor.fetchall()
