"""Fixtures for the privacy tests."""

import pytest


@pytest.fixture(autouse=True)
def _clear_cache(empty_cache):
    """Every test here starts with an empty cache (rate limits, uploads)."""
