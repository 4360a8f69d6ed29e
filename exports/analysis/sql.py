"""Table and column names for the exports' raw SQL, taken from the models.

The counting queries stay SQL (DESIGN: counting belongs in PostgreSQL), but they name tables and
columns through the models' `_meta`, so a migration that renames one needs no change here:
`sql("SELECT a.{Answer.value} FROM {Answer} a", Answer=Answer)`. Values are always parameters.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
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
