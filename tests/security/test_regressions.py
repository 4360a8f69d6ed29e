"""Regressions for bugs the security tests found (each was a 500 or worse)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/abmelden/%00/", "/abmelden/abc%00defghijklmnopqrstuv/", "/abmelden/ä/"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_optout_with_nul_or_odd_token_is_404(client, path, method):
    assert getattr(client, method)(path).status_code == 404


@pytest.mark.parametrize("tail", ["", "unzustellbar/", "link-senden/"])
def test_member_urls_with_nul_in_ags_are_404(staff_client, kgst_survey, tail):
    url = f"/staff/befragungen/{kgst_survey.slug}/mitglieder/0511%00000/{tail}"
    method = staff_client.post if tail else staff_client.get
    assert method(url).status_code == 404
