"""GET /api/v1/surveys/<slug>/members/: field staff only, invitation status, cursor paging."""

import pytest

from invitations.models import Invitation

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_members_and_their_status(client, answered, staff_user, make_key, empty_cache):
    key = make_key(staff_user)
    url = f"/api/v1/surveys/{answered.slug}/members/?page_size=8"
    seen = []
    while url:
        body = client.get(url, **bearer(key)).json()
        seen += body["results"]
        url = body["next"]
    invitations = Invitation.objects.filter(survey=answered).select_related("member", "response").order_by("id")
    assert [m["id"] for m in seen] == [i.pk for i in invitations]
    for member, invitation in zip(seen, invitations, strict=True):
        response = getattr(invitation, "response", None)
        assert member["ags"] == invitation.member.ags
        assert member["response_status"] == (response.status if response else "none")
        assert "email" not in member  # no contact data
    assert {m["response_status"] for m in seen} >= {"submitted", "started"}


def test_analyst_has_no_members(client, answered, analyst_user, make_key, empty_cache):
    response = client.get(f"/api/v1/surveys/{answered.slug}/members/", **bearer(make_key(analyst_user)))
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
