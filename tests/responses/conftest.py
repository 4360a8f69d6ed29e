"""Fixtures for the respondent flow tests."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache(empty_cache):
    """Every test here starts with an empty cache (rate limits, uploads)."""


@pytest.fixture
def invitation(kgst_survey, make_invitation):
    return make_invitation(kgst_survey)


@pytest.fixture
def flow(client, invitation):
    from .helpers import Flow

    return Flow(client, invitation)


@pytest.fixture
def client_factory():
    from django.test import Client

    return lambda **kwargs: Client(**kwargs)
