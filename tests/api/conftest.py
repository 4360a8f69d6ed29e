"""Fixtures of the API tests: KGSt answers (by COPY, as the export tests make them), keys, a client."""

from __future__ import annotations

import base64

import pytest
from django.contrib.auth.models import User

from exports.api import keys
from harness.answer_data import generate
from surveys.structure import get_structure


@pytest.fixture
def answered(kgst_survey):
    """The KGSt survey with 30 generated responses (about a tenth partial)."""
    generate(kgst_survey, get_structure(kgst_survey), 30, seed=7, partial_share=0.1)
    return kgst_survey


@pytest.fixture
def make_key(db):
    """make_key(user, survey=None, days=30) → the plain key."""

    def make(user: User, survey=None, days: int = 30, name: str = "test") -> str:
        return keys.create_key(user, name, survey, days).plain

    return make


def bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def basic(key: str, username: str = "powerbi") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{key}".encode()).decode()}


@pytest.fixture
def api(client, empty_cache):
    """api(path, key, method="get", **kwargs) → response, with the key as Bearer."""

    def call(path: str, key: str | None, method: str = "get", **kwargs):
        headers = bearer(key) if key else {}
        return getattr(client, method)(path, **headers, **kwargs)

    return call
