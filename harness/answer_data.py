"""Generated responses of a survey, written straight into PostgreSQL (COPY), for the export
benchmark and the export tests.

`plan_answers` walks a survey's pages in order and answers every shown question at random,
following the questionnaire's conditions as a respondent would (so a plan is always a
consistent, submittable set of answers). `insert_plans` writes members, invitations,
responses and answers with COPY — 100,000 responses take seconds, not minutes.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from exports.analysis.rawsql import Table
from invitations.models import LAENDER, TYPEN, Invitation, Member, groessenklasse
from responses.models import Answer, Response
from surveys import conditions
from surveys.structure import QuestionDef, SurveyStructure

NASTY_TEXTS = (
    "=HYPERLINK(\"http://example.org\",\"klick\")",
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "=1+1",
    "Zeile 1\nZeile 2\ttab",
    "Steuerzeichen \x01\x02\x1f Ende",
    "Emoji 🎉👍 und Umlaute äöüß",
    "Ä" * 5000,
)


@dataclass
class Plan:
    """One respondent: answers mapping, the shown question codes, register fields, status."""

    answers: dict[str, Any]
    shown: list[str]
    member: dict[str, Any] = field(default_factory=dict)
    status: str = Response.Status.SUBMITTED


def _pick_text(rng: random.Random, nasty: bool) -> str:
    if nasty and rng.random() < 0.5:
        return rng.choice(NASTY_TEXTS)
    return rng.choice(("Gute Befragung.", "Bitte mehr zu Datenschutz.", "Keine Anmerkungen", "Danke!"))


def answer_question(q: QuestionDef, rng: random.Random, answers: dict[str, Any], nasty: bool = False,
                    skip: float = 0.1) -> None:
    """Put a random valid answer to `q` into `answers` (or none, with probability `skip`)."""
    if not q.required and rng.random() < skip:
        return
    if q.type == "single":
        option = rng.choice(q.options)
        answers[q.code] = option.code
        if option.has_text:
            answers[option.text_variable] = _pick_text(rng, nasty)
    elif q.type == "multi":
        exclusive = [o for o in q.options if o.exclusive]
        if exclusive and rng.random() < 0.15:
            chosen = [rng.choice(exclusive)]
        else:
            normal = [o for o in q.options if not o.exclusive]
            chosen = [o for o in normal if rng.random() < 0.4] or [rng.choice(normal)]
        answers[q.code] = [o.code for o in chosen]
        for option in chosen:
            if option.has_text:
                answers[option.text_variable] = _pick_text(rng, nasty)
    elif q.type == "matrix":
        for row in q.rows:
            if rng.random() > 0.05:
                answers[row.code] = rng.choice(q.options).code
    elif q.type == "number":
        low, high = q.min_value or 0, q.max_value or 10_000
        answers[q.code] = str(min(high, max(low, int(rng.lognormvariate(6, 1.2)))))
    elif q.type == "email":
        answers[q.code] = f"person{rng.randrange(10**6)}@example.org"
    elif q.type == "date":
        answers[q.code] = (dt.date(2013, 6, 3) + dt.timedelta(days=rng.randrange(80))).isoformat()
    else:
        answers[q.code] = _pick_text(rng, nasty)


def plan_answers(structure: SurveyStructure, rng: random.Random, nasty: bool = False,
                 stop_after_page: int | None = None) -> Plan:
    """A respondent walking the pages in order; `stop_after_page` makes a partial response."""
    answers: dict[str, Any] = {}
    shown: list[str] = []
    for index, page in enumerate(structure.pages):
        stopped = stop_after_page is not None and index > stop_after_page
        if not conditions.evaluate(page.condition_node, answers):
            continue
        for q in page.questions:
            if conditions.evaluate(q.condition_node, answers):
                shown.append(q.code)  # by the conditions, also on pages a partial response never reached
                if not stopped:
                    answer_question(q, rng, answers, nasty)
    return Plan(answers=answers, shown=shown)


def random_member(rng: random.Random) -> dict[str, Any]:
    einwohner = int(rng.lognormvariate(9.6, 1.3)) + 500
    return {"land": rng.choice(LAENDER), "typ": rng.choice(TYPEN), "einwohner": einwohner}


def answer_rows(structure: SurveyStructure, answers: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(question id, variable, value) rows as the respondent path stores them."""
    rows = []
    for q in structure.questions:
        for variable in q.variables:
            value = answers.get(variable)
            if value is None:
                continue
            if isinstance(value, list):
                rows.extend((q.id, variable, v) for v in value)
            else:
                rows.append((q.id, variable, str(value)))
    return rows


def _reserve_ids(cursor: Any, model: Any, n: int) -> list[int]:
    cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                   [model._meta.db_table, model._meta.pk.column, n])
    return [row[0] for row in cursor.fetchall()]


def _copy_sql(model: Any, *fields: str) -> str:
    """COPY into the model's table, the columns of `fields` (names and columns from the model)."""
    table = Table(model)
    return f"COPY {table} ({', '.join(getattr(table, name) for name in fields)}) FROM STDIN"


def insert_plans(survey: Any, structure: SurveyStructure, plans: Sequence[Plan]) -> list[int]:
    """Members, invitations, responses and answers for `plans` via COPY; returns response ids."""
    now = timezone.now()
    n = len(plans)
    with connection.cursor() as wrapper:
        cur = wrapper.cursor
        member_ids = _reserve_ids(cur, Member, n)
        invitation_ids = _reserve_ids(cur, Invitation, n)
        response_ids = _reserve_ids(cur, Response, n)
        with cur.copy(_copy_sql(Member, "id", "ags", "name", "land", "typ", "einwohner", "groessenklasse", "email",
                                "ansprechpartner", "email_bounced", "fallback_email", "created_at", "updated_at")
                      ) as copy:
            for mid, plan in zip(member_ids, plans, strict=True):
                m = plan.member
                ags = m.get("ags") or f"{90_000_000 + mid}"[-8:]
                copy.write_row((mid, ags, m.get("name") or f"Gemeinde {ags}", m["land"], m["typ"], m["einwohner"],
                                groessenklasse(m["einwohner"]), f"rathaus-{ags}@example.org", "", False, "", now, now))
        with cur.copy(_copy_sql(Invitation, "id", "survey", "member", "token_hash", "token_encrypted",
                                "access_code_hash", "access_code_encrypted", "created_at")) as copy:
            # exports never use the links: random hashes without ciphertexts stand in for the credentials
            for iid, mid in zip(invitation_ids, member_ids, strict=True):
                copy.write_row((iid, survey.pk, mid, secrets.token_hex(32), "", secrets.token_hex(32), "", now))
        with cur.copy(_copy_sql(Response, "id", "survey", "invitation", "status", "current_page", "page_versions",
                                "started_at", "updated_at", "submitted_at")) as copy:
            for k, (rid, iid, plan) in enumerate(zip(response_ids, invitation_ids, plans, strict=True)):
                started = now - dt.timedelta(days=30, seconds=k)
                submitted = started + dt.timedelta(minutes=12) if plan.status == Response.Status.SUBMITTED else None
                copy.write_row((rid, survey.pk, iid, plan.status, "", "{}", started, started, submitted))
        with cur.copy(_copy_sql(Answer, "response", "question", "variable", "value")) as copy:
            for rid, plan in zip(response_ids, plans, strict=True):
                for qid, variable, value in answer_rows(structure, plan.answers):
                    copy.write_row((rid, qid, variable, value))
    return response_ids


def generate(survey: Any, structure: SurveyStructure, n: int, seed: int = 1, partial_share: float = 0.1,
             nasty: bool = False, batch: int = 10_000) -> list[Plan]:
    """`n` random respondents (a share of them partial), inserted; returns the plans."""
    rng = random.Random(seed)
    all_plans: list[Plan] = []
    for start in range(0, n, batch):
        plans = []
        for _ in range(min(batch, n - start)):
            partial = rng.random() < partial_share
            plan = plan_answers(structure, rng, nasty, stop_after_page=rng.randrange(len(structure.pages))
                                if partial else None)
            plan.status = Response.Status.STARTED if partial else Response.Status.SUBMITTED
            plan.member = random_member(rng)
            plans.append(plan)
        insert_plans(survey, structure, plans)
        all_plans.extend(plans)
    return all_plans


def iter_variables(plans: Iterable[Plan]) -> set[str]:
    return {v for plan in plans for v in plan.answers}
