"""Fixtures for the export tests: generated KGSt responses written with COPY."""

import random

import pytest

from harness.answer_data import Plan, generate, insert_plans, plan_answers, random_member
from responses.models import Response
from surveys.structure import get_structure


@pytest.fixture
def kgst_structure(kgst_survey):
    return get_structure(kgst_survey)


@pytest.fixture
def generated(kgst_survey, kgst_structure):
    """generated(n, seed=1, partial_share=0.1, nasty=False) → list of Plans inserted into the DB."""

    def make(n: int, seed: int = 1, partial_share: float = 0.1, nasty: bool = False) -> list[Plan]:
        return generate(kgst_survey, kgst_structure, n, seed=seed, partial_share=partial_share, nasty=nasty)

    return make


def make_plans(structure, seed: int, n: int, partial_share: float = 0.2, nasty: bool = False) -> list[Plan]:
    rng = random.Random(seed)
    plans = []
    for _ in range(n):
        partial = rng.random() < partial_share
        plan = plan_answers(structure, rng, nasty, rng.randrange(len(structure.pages)) if partial else None)
        plan.status = Response.Status.STARTED if partial else Response.Status.SUBMITTED
        plan.member = random_member(rng)
        plans.append(plan)
    return plans


__all__ = ["insert_plans", "make_plans"]
