"""The respondent's hot path as SQL built once per process: the one place beside the ORM.

Every respondent request looks up the personal link, and every page save locks the response, reads
its answers, replaces one page's rows, records the save and updates the response. Through the ORM
(select_related/defer, select_for_update, values_list, delete, bulk_create, create, save(update_fields))
Django compiles those statements again on every request, which costs more than PostgreSQL takes to
run them. The ORM replaces this module once a page save through it comes within 10 % of one through here;
bench.ab, 7 Dec 2026, one page save: ORM 130.9 ms median / 39.5 ms worker CPU, this module 82.7 / 22.4 ms.

Each statement's text is built once from the models' `_meta` (a migration that renames a column needs
no change here) and rows become instances through `Model.from_db` with the fields' own converters, as
the ORM builds them. What the statements mean (locking order, versions, validation) stays in
services.py; tests/responses/test_queries.py checks every function against the ORM.
"""
# ruff: noqa: S608 — statement text is built only from model metadata; every value is a parameter.

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from invitations import credentials
from invitations.models import Invitation, Member
from responses.models import Answer, Response, ResponseEvent
from surveys.models import Survey


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model: type[Model], field_name: str) -> str:
    """The quoted column of a model field (a ForeignKey's `<name>_id` column for a relation)."""
    return _qn(model._meta.get_field(field_name).column)


def _table(model: type[Model] | Model) -> str:
    return _qn(model._meta.db_table)


class Columns:
    """The selected columns of one model under a table alias, and how a row slice becomes an instance."""

    def __init__(self, model: type[Model], alias: str, exclude: Sequence[str] = ()) -> None:
        self.model = model
        self.alias = alias
        self.fields: list[Field] = [f for f in model._meta.concrete_fields if f.name not in exclude]
        self.attnames = [f.attname for f in self.fields]
        cols = [f.get_col(alias) for f in self.fields]
        # (position, converters, column) for the fields whose database value needs converting
        self.converters = [
            (i, convs, col) for i, col in enumerate(cols)
            if (convs := [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)])
        ]

    def select(self) -> str:
        return ", ".join(f"{self.alias}.{_qn(f.column)}" for f in self.fields)

    def build(self, values: Sequence[Any]) -> Model | None:
        """An instance from this model's slice of a row; None for the empty side of an outer join."""
        if values[0] is None:  # the primary key comes first
            return None
        converted = list(values)
        for i, converters, col in self.converters:
            for converter in converters:
                converted[i] = converter(converted[i], col, connection)
        return self.model.from_db(connection.alias, self.attnames, converted)


# Book-keeping timestamps the respondent's pages never use stay deferred (they load on demand if
# touched): psycopg parses every timestamptz in Python, which showed in the profile of a page save.
BOOKKEEPING = ("created_at", "updated_at", "started_at", "opened_at", "closed_at", "opted_out_at")


@functools.cache
def _token_query() -> tuple[str, tuple[Columns, ...]]:
    parts = (
        Columns(Invitation, "i", exclude=BOOKKEEPING),
        # the definition comes from the structure cache (surveys.structure.get_structure)
        Columns(Survey, "s", exclude=("definition", "intro", *BOOKKEEPING)),
        Columns(Member, "m", exclude=BOOKKEEPING),
        Columns(Response, "r", exclude=BOOKKEEPING),
    )
    sql = (
        f"SELECT {', '.join(c.select() for c in parts)} FROM {_table(Invitation)} i "
        f"JOIN {_table(Survey)} s ON s.{_col(Survey, 'id')} = i.{_col(Invitation, 'survey')} "
        f"JOIN {_table(Member)} m ON m.{_col(Member, 'id')} = i.{_col(Invitation, 'member')} "
        f"LEFT JOIN {_table(Response)} r ON r.{_col(Response, 'invitation')} = i.{_col(Invitation, 'id')} "
        # the keyed hash of the token (invitations/credentials.py); one entry per accepted secret
        f"WHERE i.{_col(Invitation, 'token_hash')} = ANY(%s)"
    )
    return sql, parts


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation of a personal link with its survey (without the definition), member and
    response (or the knowledge that there is none yet) — one query, as select_related would."""
    sql, parts = _token_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [credentials.lookup_hashes(credentials.TOKEN, token)])
        row = cursor.fetchone()
    if row is None:
        return None
    instances, start = [], 0
    for part in parts:
        end = start + len(part.fields)
        instances.append(part.build(row[start:end]))
        start = end
    invitation, survey, member, response = instances
    if not credentials.matches(invitation.token_hash, credentials.TOKEN, token):  # constant time, belt and braces
        return None
    invitation.remember_token(token)
    # fill the relation caches as select_related does (the ids are already consistent)
    Invitation.survey.field.set_cached_value(invitation, survey)
    Invitation.member.field.set_cached_value(invitation, member)
    Invitation.response.related.set_cached_value(invitation, response)
    if response is not None:
        Response.invitation.field.set_cached_value(response, invitation)
    return invitation


@functools.cache
def _lock_query() -> tuple[str, Columns]:
    columns = Columns(Response, "r", exclude=BOOKKEEPING)
    sql = f"SELECT {columns.select()} FROM {_table(Response)} r WHERE r.{_col(Response, 'invitation')} = %s FOR UPDATE"
    return sql, columns


def lock_response(invitation_id: int) -> Response:
    """The invitation's Response as stored now, its row locked until the transaction ends."""
    sql, columns = _lock_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [invitation_id])
        row = cursor.fetchone()
    if row is None:
        raise Response.DoesNotExist(f"no response for invitation {invitation_id}")
    return columns.build(row)


@functools.cache
def _answers_query() -> str:
    return (f"SELECT {_col(Answer, 'variable')}, {_col(Answer, 'value')} FROM {_table(Answer)} "
            f"WHERE {_col(Answer, 'response')} = %s ORDER BY {_col(Answer, 'id')}")


def answer_rows(response_id: int) -> list[tuple[str, str]]:
    """(variable, value) of every stored answer of a response, in the order they were written."""
    with connection.cursor() as cursor:
        cursor.execute(_answers_query(), [response_id])
        return cursor.fetchall()


def delete_answers(response_id: int, question_ids: Sequence[int]) -> None:
    """Delete the response's answers to these questions."""
    if not question_ids:
        return
    marks = ", ".join(["%s"] * len(question_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_table(Answer)} WHERE {_col(Answer, 'response')} = %s "
                       f"AND {_col(Answer, 'question')} IN ({marks})", [response_id, *question_ids])


def insert_answers(response_id: int, rows: Sequence[tuple[int, str, str]]) -> None:
    """Insert the response's (question_id, variable, value) rows in one statement."""
    if not rows:
        return
    columns = ", ".join(_col(Answer, name) for name in ("response", "question", "variable", "value"))
    marks = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_table(Answer)} ({columns}) VALUES {marks}",
                       [value for row in rows for value in (response_id, *row)])


def save_fields(instance: Model, names: Sequence[str]) -> None:
    """`instance.save(update_fields=names)` without the compiler: auto_now fields are set first."""
    meta = instance._meta
    fields = [meta.get_field(name) for name in names]
    values = [f.get_db_prep_save(f.pre_save(instance, add=False), connection) for f in fields]
    assignments = ", ".join(f"{_qn(f.column)} = %s" for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_table(instance)} SET {assignments} WHERE {_qn(meta.pk.column)} = %s",
                       [*values, instance.pk])


@functools.cache
def _event_query() -> str:
    columns = ", ".join(_col(ResponseEvent, name) for name in ("response", "kind", "at", "page_code", "reason"))
    return f"INSERT INTO {_table(ResponseEvent)} ({columns}) VALUES (%s, %s, %s, %s, '')"


def insert_event(response_id: int, kind: str, at: Any, page_code: str = "") -> None:
    """One respondent event of the response's history (staff events go through the ORM)."""
    with connection.cursor() as cursor:
        cursor.execute(_event_query(), [response_id, kind, at, page_code])
