"""Fixtures for the respondent flow tests."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache (Redis in tests): start every test from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


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
