"""Reading the entity sets page by page.

Responses are read like the exports read them (datarows: heads in chunks by keyset, the answers of a
chunk in one query, RowBuilder for the codes), so memory stays flat however many there are. The
default order is by id and the next page continues after the last id sent ($skiptoken "k<id>");
another $orderby is done by PostgreSQL and continues at an offset ("o<n>"). $filter is evaluated on
each built entity (query.py).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, Exists, F, FloatField, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Cast
from django.utils import timezone

from exports.analysis import datarows, protection
from exports.analysis.aggregation import compute_tables
from exports.staff.common import cached, data_version
from responses.models import Answer, Response
from surveys.models import Survey

from .model import EntitySet, property_name
from .query import Options, QueryError

SCAN_CHUNK = 2000
REGISTER_FIELDS = {"ags": "invitation__member__ags", "name": "invitation__member__name",
                   "land": "invitation__member__land", "typ": "invitation__member__typ",
                   "einwohner": "invitation__member__einwohner",
                   "groessenklasse": "invitation__member__groessenklasse", "status": "status",
                   "started_at": "started_at", "submitted_at": "submitted_at", "id": "id"}


@dataclass
class Page:
    entities: list[dict[str, Any]]
    next_token: str | None  # $skiptoken of the next page, None on the last


class ResponseSource:
    """The submitted responses of a survey as entities of the Responses set."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.cols = datarows.columns(survey)
        self.names = [property_name(c.code) for c in self.cols]
        self.builder = datarows.RowBuilder(survey, self.cols)
        self.base = Response.objects.filter(survey=survey, status=Response.Status.SUBMITTED)
        self.zone = timezone.get_current_timezone()

    def entity(self, head: tuple, row: list[Any]) -> dict[str, Any]:
        entity: dict[str, Any] = {"id": head[0]}
        for name, value in zip(self.names, row, strict=True):
            if isinstance(value, datetime):  # the rows hold naive local times (as the files do)
                value = value.replace(tzinfo=self.zone)  # fold is kept: the exact inverse of localtime
            entity[name] = value
        return entity

    def _order(self, orderby: list[tuple[str, bool]]) -> tuple[QuerySet[Response], list[Any]]:
        selected = self.base
        by_name = {property_name(c.code): c for c in self.cols}
        order: list[Any] = []
        for i, (name, descending) in enumerate(orderby):
            if name in REGISTER_FIELDS:
                expression: Any = F(REGISTER_FIELDS[name])
            else:
                column = by_name[name]
                answers = Answer.objects.filter(response=OuterRef("pk"))
                if column.kind == "multi":
                    option = column.code[len(column.question_code) + 1:]
                    expression = Exists(answers.filter(variable=column.question_code, value=option))
                else:
                    expression = Subquery(answers.filter(variable=column.code).values("value")[:1])
                    if column.numeric:  # as a number, NULL where the text is none (never an error)
                        selected = selected.annotate(**{f"_t{i}": expression})
                        expression = Case(When(**{f"_t{i}__regex": r"^-?[0-9]+(\.[0-9]+)?$"},
                                               then=Cast(F(f"_t{i}"), FloatField())))
                selected = selected.annotate(**{f"_o{i}": expression})
                expression = F(f"_o{i}")
            order.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_first=True))
        return selected, order + ["id"]

    def rows(self, options: Options, token: str, chunk: int = SCAN_CHUNK) -> Iterator[tuple[str, dict[str, Any]]]:
        """(token after this entity, entity) in the requested order, from `token` on, read `chunk` at a time."""
        if not options.orderby or options.orderby == [("id", False)]:
            last = _token_number(token, "k") if token else 0
            while True:
                heads = list(self.base.filter(id__gt=last).order_by("id")
                             .values_list(*datarows.HEAD_FIELDS)[:chunk])
                if not heads:
                    return
                for head, row in zip(heads, datarows.build_rows(self.builder, heads), strict=True):
                    yield f"k{head[0]}", self.entity(head, row)
                last = heads[-1][0]
        selected, order = self._order(options.orderby)
        offset = _token_number(token, "o") if token else 0
        while True:
            heads = list(selected.order_by(*order).values_list(*datarows.HEAD_FIELDS)[offset:offset + chunk])
            if not heads:
                return
            for head, row in zip(heads, datarows.build_rows(self.builder, heads), strict=True):
                offset += 1
                yield f"o{offset}", self.entity(head, row)

    def count(self, options: Options) -> int:
        if options.filter is None:
            return self.base.count()
        return sum(1 for _token, entity in self.rows(Options(), "") if options.filter(entity))


def _token_number(token: str, kind: str) -> int:
    if not token.startswith(kind) or not token[1:].isdigit():
        raise QueryError("$skiptoken is not one this service gave out.")
    return int(token[1:])


class ListSource:
    """A small entity set held in memory (ValueLabels, Results): ordered and filtered in Python."""

    def __init__(self, entities: list[dict[str, Any]]) -> None:
        self.entities = entities

    def rows(self, options: Options, token: str, chunk: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
        entities = self.entities
        for name, descending in reversed(options.orderby):
            present = [e for e in entities if e.get(name) is not None]
            absent = [e for e in entities if e.get(name) is None]
            present.sort(key=operator.itemgetter(name), reverse=descending)
            entities = (present + absent) if descending else (absent + present)
        start = _token_number(token, "o") if token else 0
        for i, entity in enumerate(entities[start:], start=start + 1):
            yield f"o{i}", entity

    def count(self, options: Options) -> int:
        return sum(1 for e in self.entities if options.filter is None or options.filter(e))


def page(source: ResponseSource | ListSource, options: Options, size: int) -> Page:
    """One page: $skip (on the first page only) and $filter applied, at most `size` and what $top leaves."""
    limit = size if options.top is None else min(size, options.top)
    entities: list[dict[str, Any]] = []
    skipped = 0
    last_token = ""
    # without $filter one more than the page tells whether there is a next one: read no further
    chunk = SCAN_CHUNK if options.filter is not None else min(SCAN_CHUNK, options.skip + limit + 1)
    for token, entity in source.rows(options, options.skiptoken, chunk):
        if options.filter is not None and not options.filter(entity):
            last_token = token
            continue
        if skipped < options.skip:
            skipped += 1
            last_token = token
            continue
        if len(entities) == limit:
            # one more matching entity exists: there is a next page (unless $top is used up)
            more = options.top is None or options.top > limit
            return Page(entities, last_token if more else None)
        entities.append(entity)
        last_token = token
    return Page(entities, None)


def value_labels(cols: list[datarows.Column]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for column in cols:
        for code, label in column.value_labels.items():
            out.append({"id": len(out) + 1, "variable": property_name(column.code), "code": str(code),
                        "value": code if isinstance(code, int) else None, "label": label})
    return out


def results(survey: Survey, *, publish: bool = False) -> list[dict[str, Any]]:
    """The frequency tables as rows: small cells protected, or with `publish` (a viewer's key) as they
    may be published, every count below the minimum base and its secondaries suppressed."""
    key = f"odata-results:{survey.pk}:{data_version(survey)}"
    tables = cached(key, lambda: compute_tables(survey))
    tables = (protection.publishable_tables(tables, survey.min_base) if publish
              else protection.protect_tables(tables, survey.min_base))
    out: list[dict[str, Any]] = []
    for table in tables["questions"]:
        groups = table.get("rows") or ([table] if "options" in table else [])
        for group in groups:
            variable = group.get("code", table["code"]) if "rows" in table else table["code"]
            text = f"{table['text']}: {group['label']}" if "rows" in table else table["text"]
            for option in group.get("options", []):
                out.append({"id": len(out) + 1, "question": table["code"], "variable": variable, "text": text,
                            "code": option["code"], "label": option["label"], "count": option["count"],
                            "percent": option["percent"], "base": group.get("base"),
                            "protected": bool(option.get("protected") or option.get("suppressed"))})
    return out


def select(entity: dict[str, Any], entity_set: EntitySet, chosen: list[str] | None) -> dict[str, Any]:
    if chosen is None:
        return entity
    return {name: entity.get(name) for name in chosen}
