"""Regressions for bugs the security tests found (each was a 500 or worse)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/abmelden/%00/", "/abmelden/abc%00defghijklmnopqrstuv/", "/abmelden/ä/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_optout_with_nul_or_odd_token_is_404(client, path, method):
    assert getattr(client, method)(path).status_code == 404
