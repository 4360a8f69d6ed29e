"""The raw data matrix: one row per response, one column per variable, fetched in chunks.

Columns: the register variables (ags, name, land, typ, einwohner, groessenklasse), status,
started/submitted timestamps, then every variable of the questionnaire in order — a
multiple choice question as one 0/1 column per option (`D1_extern_1` …), a matrix by row
code, "other" texts as `<code>_<option>_text`.

Rows are read by keyset pagination (`id > last ORDER BY id LIMIT chunk`) and the answers of
each chunk with one query, so memory stays flat however many responses there are. Inside
`aggregation.snapshot()` every chunk reads the same snapshot.

Values are plain Python values (int for codes and numbers, str for texts, naive local
datetimes); the writers make text safe for their format (see exports/formats/safe.py). An empty
numeric question variable holds a missing code (-1 not shown, -9 not answered: missing.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from invitations.models import GROESSENKLASSEN
from responses.models import Answer, Response
from surveys.models import Survey
from surveys.structure import get_structure

from .aggregation import statuses
from .missing import NO_ANSWER, NOT_SHOWN
from .rawsql import sql

CHUNK_SIZE = 2000

REGISTER = (
    ("ags", "Amtlicher Gemeindeschlüssel"),
    ("name", "Name der Kommune"),
    ("land", "Bundesland"),
    ("typ", "Typ der Kommune"),
    ("einwohner", "Einwohnerzahl"),
    ("groessenklasse", "Größenklasse"),
)
META = (
    ("status", "Status der Antwort (submitted = abgeschickt, started = begonnen)"),
    ("started_at", "Begonnen am"),
    ("submitted_at", "Abgeschickt am"),
)
MULTI_LABELS = {0: "nicht gewählt", 1: "gewählt"}


@dataclass(frozen=True)
class Column:
    code: str
    label: str
    kind: str  # register | meta | single | multi | matrix | number | text | other
    question_code: str = ""
    question_type: str = ""
    condition: str = ""
    value_labels: dict[Any, str] = field(default_factory=dict)
    numeric: bool = False  # values are numbers in the file
    width: float = 12

    @property
    def has_missing_codes(self) -> bool:
        """Empty values of this column are written as -1/-9 (missing.py): a numeric question variable."""
        return self.numeric and self.kind in ("single", "multi", "matrix", "number")

    @property
    def is_text(self) -> bool:
        """Values may be free text (from respondents or the register): writers make them safe."""
        return not self.numeric and self.kind != "meta"


def _code_value(code: str) -> int | str:
    return int(code) if code.isascii() and code.isdigit() else code


def _labels(options: Any) -> dict[Any, str]:
    return {_code_value(o.code): o.label for o in options}


def full_condition(structure: Any, question: Any) -> str:
    page = structure.page(question.page_code)
    parts = [c for c in (page.condition, question.condition) if c]
    if len(parts) == 2:
        return f"({parts[0]}) and ({parts[1]})"
    return parts[0] if parts else ""


def columns(survey: Survey) -> list[Column]:
    """Every data column in order, with what the codebook says about it."""
    structure = get_structure(survey)
    cols = [
        Column("ags", REGISTER[0][1], "register", width=11),
        Column("name", REGISTER[1][1], "register", width=28),
        Column("land", REGISTER[2][1], "register", width=22),
        Column("typ", REGISTER[3][1], "register", width=16),
        Column("einwohner", REGISTER[4][1], "register", numeric=True, width=11),
        Column("groessenklasse", REGISTER[5][1], "register", value_labels=dict(GROESSENKLASSEN), numeric=True,
               width=15),
        Column("status", META[0][1], "meta", width=11),
        Column("started_at", META[1][1], "meta", width=18),
        Column("submitted_at", META[2][1], "meta", width=18),
    ]
    for q in structure.questions:
        cond = full_condition(structure, q)
        common = {"question_code": q.code, "question_type": q.type, "condition": cond}
        if q.type == "multi":
            for o in q.options:
                cols.append(Column(f"{q.code}_{o.code}", f"{q.text}: {o.label}", "multi", value_labels=MULTI_LABELS,
                                   numeric=True, width=max(10, len(q.code) + 4), **common))
        elif q.type == "matrix":
            for r in q.rows:
                cols.append(Column(r.code, f"{q.text}: {r.label}", "matrix", value_labels=_labels(q.options),
                                   numeric=True, width=9, **common))
        elif q.type == "single":
            numeric = all(o.code.isascii() and o.code.isdigit() for o in q.options)
            cols.append(Column(q.code, q.text, "single", value_labels=_labels(q.options), numeric=numeric,
                               width=max(9, len(q.code) + 2), **common))
        elif q.type == "number":
            cols.append(Column(q.code, q.text, "number", numeric=True, width=max(9, len(q.code) + 2), **common))
        else:
            cols.append(Column(q.code, q.text, "text", width=40 if q.type == "textarea" else 24, **common))
        if q.type in ("single", "multi"):
            for o in q.options:
                if o.has_text:
                    cols.append(Column(o.text_variable, f"{q.text}: {o.label} (Text)", "other", width=24, **common))
    return cols


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None)


class RowBuilder:
    """Turns a response and its (variable, value) rows into one row of the matrix."""

    def __init__(self, survey: Survey, cols: list[Column]) -> None:
        self.structure = get_structure(survey)
        self.width = len(cols)
        index = {c.code: i for i, c in enumerate(cols)}
        self.single: dict[str, tuple[int, bool]] = {}
        self.multi: dict[str, dict[str, int]] = {}
        for q in self.structure.questions:
            if q.type == "multi":
                self.multi[q.code] = {o.code: index[f"{q.code}_{o.code}"] for o in q.options}
        for c in cols:
            if c.kind in ("single", "matrix", "number", "text", "other"):
                self.single[c.code] = (index[c.code], c.numeric)
        self.multi_sets = {q: list(opts.values()) for q, opts in self.multi.items()}
        # question code → the columns that get a missing code when empty
        self.coded: dict[str, list[int]] = {}
        for i, c in enumerate(cols):
            if c.has_missing_codes:
                self.coded.setdefault(c.question_code, []).append(i)

    def row(self, head: tuple, answers: list[tuple[str, str]], partial: bool) -> list[Any]:
        row: list[Any] = [None] * self.width
        ags, name, land, typ, einwohner, gk, status, started, submitted = head
        row[:9] = [ags, name, land, typ, einwohner, gk, status, _local(started), _local(submitted)]
        mapping = self._mapping(answers)
        shown = self.structure.visibility(mapping).question_codes
        if partial:
            # a partial response may still hold answers of questions a later change hid: drop them
            keep = self.structure.effective_answers(mapping)
            answers = [(v, x) for v, x in answers if v in keep]
        single, multi = self.single, self.multi
        for variable, value in answers:
            if value == "":
                continue
            spec = single.get(variable)
            if spec is not None:
                idx, numeric = spec
                row[idx] = _number(value) if numeric else value
                continue
            options = multi.get(variable)
            if options is not None:
                idx = options.get(value)
                if idx is not None:
                    for j in self.multi_sets[variable]:
                        if row[j] is None:
                            row[j] = 0
                    row[idx] = 1
        for question, indices in self.coded.items():
            code = NO_ANSWER if question in shown else NOT_SHOWN
            for i in indices:
                if row[i] is None:
                    row[i] = code
        return row

    def _mapping(self, answers: list[tuple[str, str]]) -> dict[str, Any]:
        """The answers as the questionnaire's conditions read them (a multiple choice as a list)."""
        mapping: dict[str, Any] = {}
        for variable, value in answers:
            if value == "":
                continue
            if variable in self.multi:
                mapping.setdefault(variable, []).append(value)
            else:
                mapping[variable] = value
        return mapping


def _number(value: str) -> int | float | str:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


_ANSWERS_SQL = sql("SELECT {A.response}, {A.variable}, {A.value} FROM {A} WHERE {A.response} = ANY(%s)", A=Answer)


def _answers_of(ids: list[int]) -> Iterable[tuple[int, str, str]]:
    with connection.cursor() as cursor:  # raw rows: no ORM per-row work on millions of answers
        cursor.execute(_ANSWERS_SQL, [ids])
        return cursor.fetchall()


def count_rows(survey: Survey, include_partial: bool) -> int:
    return Response.objects.filter(survey=survey, status__in=statuses(include_partial)).count()


# What a row needs of a response besides its answers, in RowBuilder.row's order (after the id).
HEAD_FIELDS = (
    "id", "invitation__member__ags", "invitation__member__name", "invitation__member__land",
    "invitation__member__typ", "invitation__member__einwohner", "invitation__member__groessenklasse",
    "status", "started_at", "submitted_at",
)


def build_rows(builder: RowBuilder, heads: list[tuple]) -> list[list[Any]]:
    """The rows of responses given as HEAD_FIELDS tuples: their answers read in one query."""
    ids = [h[0] for h in heads]
    answers: dict[int, list[tuple[str, str]]] = {i: [] for i in ids}
    if ids:
        for rid, variable, value in _answers_of(ids):
            answers[rid].append((variable, value))
    return [builder.row(head[1:], answers[head[0]], head[7] != Response.Status.SUBMITTED) for head in heads]


def iter_rows(survey: Survey, cols: list[Column], include_partial: bool = False, chunk_size: int = CHUNK_SIZE,
              on_chunk: Callable[[int], None] | None = None) -> Iterator[list[Any]]:
    """Rows of the data matrix in response order, `chunk_size` responses per query."""
    builder = RowBuilder(survey, cols)
    base = Response.objects.filter(survey=survey, status__in=statuses(include_partial)).order_by("id")
    last_id = 0
    done = 0
    while True:
        heads = list(base.filter(id__gt=last_id).values_list(*HEAD_FIELDS)[:chunk_size])
        if not heads:
            return
        yield from build_rows(builder, heads)
        last_id = heads[-1][0]
        done += len(heads)
        if on_chunk:
            on_chunk(done)
