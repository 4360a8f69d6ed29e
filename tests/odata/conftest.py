"""Fixtures of the feed tests: the API tests' answered KGSt survey and keys."""

from tests.api.conftest import answered, basic, bearer, make_key  # noqa: F401
