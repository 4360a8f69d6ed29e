"""The query options of the feed: $filter, $select, $orderby, $top, $skip, $count, $skiptoken.

$filter is parsed by odata-query (its lexer and parser give an AST of the OData v4 grammar); the
AST is evaluated here on each entity as the feed builds it, not turned into a Django Q by
odata-query's Django visitor: the properties of Responses are not columns of a table (answers are
stored one row per variable, and "not shown" / "not answered" come from the questionnaire's
conditions), so a Q object could not express `F1 eq -1`. Evaluating on the built row gives exactly the
values the feed shows.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from odata_query import ast
from odata_query.exceptions import ODataException
from odata_query.grammar import ODataLexer, ODataParser

from .model import Prop

MAX_TOP = 1_000_000_000
Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


class QueryError(Exception):
    """A query option the feed cannot answer (→ 400 with an OData error)."""


@dataclass
class Options:
    filter: Predicate | None = None
    filter_text: str = ""
    select: list[str] | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    top: int | None = None
    skip: int = 0
    count: bool = False
    skiptoken: str = ""


def _int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) > MAX_TOP:
        raise QueryError(f"{name} must be a non-negative integer.")
    return int(raw)


def parse(params: Mapping[str, str], props: dict[str, Prop]) -> Options:
    options = Options()
    known = {"$filter", "$select", "$orderby", "$top", "$skip", "$count", "$skiptoken", "$format"}
    unknown = [name for name in params if name.startswith("$") and name not in known]
    if unknown:
        raise QueryError(f"Query option {unknown[0]} is not supported by this service.")
    fmt = params.get("$format", "json")
    if fmt.split(";")[0].strip() not in ("json", "application/json"):
        raise QueryError("Only $format=json is supported.")
    options.top = _int(params, "$top")
    options.skip = _int(params, "$skip") or 0
    count = params.get("$count", "false").lower()
    if count not in ("true", "false"):
        raise QueryError("$count must be true or false.")
    options.count = count == "true"
    options.skiptoken = params.get("$skiptoken", "")
    if params.get("$select", "").strip() not in ("", "*"):
        options.select = []
        for name in (part.strip() for part in params["$select"].split(",")):
            if name not in props:
                raise QueryError(f"$select: no property {name!r}.")
            options.select.append(name)
    if params.get("$orderby", "").strip():
        for part in params["$orderby"].split(","):
            words = part.split()
            if not words or len(words) > 2 or words[0] not in props or (
                    len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise QueryError(f"$orderby: cannot order by {part.strip()!r}.")
            options.orderby.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    text = params.get("$filter", "").strip()
    if text:
        options.filter = compile_filter(text, props)
        options.filter_text = text
    return options


def compile_filter(text: str, props: dict[str, Prop]) -> Predicate:
    try:
        tree = ODataParser().parse(ODataLexer().tokenize(text))
    except ODataException as exc:
        raise QueryError(f"$filter: {exc}") from None
    if tree is None:
        raise QueryError("$filter is empty.")
    check = _boolean(tree, props)

    def predicate(row: Row) -> bool:
        return bool(check(row))

    return predicate


_COMPARE: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}


def _boolean(node: Any, props: dict[str, Prop]) -> Callable[[Row], Any]:
    if isinstance(node, ast.BoolOp):
        left, right = _boolean(node.left, props), _boolean(node.right, props)
        if isinstance(node.op, ast.And):
            return lambda row: left(row) and right(row)
        return lambda row: left(row) or right(row)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _boolean(node.operand, props)
        return lambda row: not inner(row)
    if isinstance(node, ast.Compare):
        return _compare(node, props)
    if isinstance(node, ast.Identifier) and props.get(node.name, Prop("", "")).edm == "Edm.Boolean":
        name = node.name
        return lambda row: row.get(name) is True
    raise QueryError(f"$filter: {type(node).__name__} is not supported (use eq, ne, gt, ge, lt, le, in, and, "
                     f"or, not).")


def _compare(node: ast.Compare, props: dict[str, Prop]) -> Callable[[Row], bool]:
    if isinstance(node.comparator, ast.In):
        value = _operand(node.left, props, None)
        if not isinstance(node.right, ast.List):
            raise QueryError("$filter: in needs a list, e.g. x in (1, 2).")
        hint = _type_of(node.left, props)
        choices = [_literal(item, hint) for item in node.right.val]
        return lambda row: value(row) in choices
    compare = _COMPARE[type(node.comparator)]
    hint = _type_of(node.left, props) or _type_of(node.right, props)
    left, right = _operand(node.left, props, hint), _operand(node.right, props, hint)
    equality = isinstance(node.comparator, (ast.Eq, ast.NotEq))

    def check(row: Row) -> bool:
        a, b = left(row), right(row)
        if a is None or b is None:
            return compare(a, b) if equality else False  # null is only ever equal to null
        try:
            return compare(a, b)
        except TypeError:
            raise QueryError(f"$filter: cannot compare {a!r} with {b!r}.") from None

    return check


def _type_of(node: Any, props: dict[str, Prop]) -> str | None:
    if isinstance(node, ast.Identifier):
        if node.name not in props:
            raise QueryError(f"$filter: no property {node.name!r}.")
        return props[node.name].edm
    return None


def _operand(node: Any, props: dict[str, Prop], hint: str | None) -> Callable[[Row], Any]:
    if isinstance(node, ast.Identifier):
        if node.name not in props:
            raise QueryError(f"$filter: no property {node.name!r}.")
        name = node.name
        return lambda row: row.get(name)
    value = _literal(node, hint)
    return lambda row: value


_NUMBERS = ("Edm.Int32", "Edm.Int64", "Edm.Decimal", "Edm.Double")


def _literal(node: Any, hint: str | None) -> Any:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand, hint)
        if isinstance(value, (int, float, Decimal)):
            return -value
    if not isinstance(node, ast._Literal) or isinstance(node, (ast.List, ast.Duration, ast.Geography)):
        raise QueryError(f"$filter: {type(node).__name__} is not supported here.")
    try:
        value = node.py_val
    except (ValueError, TypeError) as exc:
        raise QueryError(f"$filter: {exc}") from None
    if hint in _NUMBERS and isinstance(value, str):
        raise QueryError(f"$filter: a number is expected, not {value!r}.")
    if hint == "Edm.String" and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        raise QueryError(f"$filter: text is expected, not {value}: quote it ('{value}').")
    if hint == "Edm.DateTimeOffset":
        if isinstance(value, datetime) and value.tzinfo is None:
            raise QueryError("$filter: a DateTimeOffset needs a time zone, e.g. 2027-03-01T00:00:00Z.")
        if isinstance(value, date) and not isinstance(value, datetime):
            raise QueryError("$filter: compare a DateTimeOffset with a date and time, e.g. 2027-03-01T00:00:00Z.")
    return float(value) if isinstance(value, Decimal) else value
