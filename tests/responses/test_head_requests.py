"""HEAD on a personal link (link checkers, mail scanners) answers like GET but writes nothing."""

import pytest

from responses.models import Response

pytestmark = pytest.mark.django_db


def test_head_on_a_fresh_link_creates_no_response(client, invitation):
    entry = client.head(f"/s/{invitation.token}/")
    # a new respondent's link leads to the welcome page (responses/respondent/start_views.py)
    assert entry.status_code == 302 and entry["Location"].endswith("/willkommen/")
    assert client.head(entry["Location"]).status_code == 200
    page = client.head(f"/s/{invitation.token}/seite/P1/")
    assert page.status_code == 200 and page.content == b""
    assert not Response.objects.filter(invitation=invitation).exists()
    invitation.refresh_from_db()
    assert invitation.first_opened_at is None  # a scanner is not the member opening the link


def test_head_on_a_started_link_leaves_it_as_it_was(client, invitation):
    assert client.get(f"/s/{invitation.token}/").status_code == 302  # the member opens it
    response = Response.objects.get(invitation=invitation)
    assert client.head(f"/s/{invitation.token}/seite/P1/").status_code == 200
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Response.objects.get(pk=response.pk).updated_at == response.updated_at
