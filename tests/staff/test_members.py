"""Member list (status, search, filters, pagination), member detail, resend and bounce."""

import pytest
from django.urls import reverse

from invitations.models import Member, OutboxMessage

pytestmark = pytest.mark.django_db


def _ags_listed(response):
    return [m.ags for m in response.context["page"]]


def _members_url(survey, **params):
    from urllib.parse import urlencode

    return reverse("staff:members", args=[survey.slug]) + ("?" + urlencode(params) if params else "")


def test_list_shows_every_member_with_status(staff_client, dataset):
    response = staff_client.get(_members_url(dataset.survey))
    assert response.status_code == 200
    assert len(_ags_listed(response)) == 9
    html = response.content.decode()
    labels = ("nicht eingeladen", "eingeladen", "geöffnet", "begonnen", "abgeschickt", "abgemeldet", "unzustellbar")
    for label in labels:
        assert label in html


@pytest.mark.parametrize(("params", "expected"), [
    ({"q": "stadt"}, {"05111001", "05111004", "09111002"}),  # Musterstadt, Großstadt, Talstadt
    ({"q": "0911"}, {"09111001", "09111002", "09111003"}),  # AGS prefix
    ({"q": "rathaus-06111001@"}, {"06111001"}),  # e-mail
    ({"land": "Bayern"}, {"09111001", "09111002", "09111003"}),
    ({"klasse": "1"}, {"05111001", "05111005", "09111001"}),
    ({"status": "abgeschickt"}, {"05111004", "09111001"}),
    ({"status": "nicht_eingeladen"}, {"09111002", "06111001"}),
    ({"status": "unzustellbar"}, {"05111005"}),
    ({"land": "Nordrhein-Westfalen", "status": "begonnen"}, {"05111003"}),
    ({"land": "Bayern", "klasse": "7", "q": "metro"}, {"09111003"}),
])
def test_search_and_filters(staff_client, dataset, params, expected):
    response = staff_client.get(_members_url(dataset.survey, **params))
    assert set(_ags_listed(response)) == expected


@pytest.mark.parametrize("params", [
    {"land": "Atlantis"}, {"klasse": "x"}, {"status": "DROP TABLE"}, {"seite": "999"}, {"seite": "-1"},
    {"q": "%_\\'\""},
])
def test_bad_filter_values_never_500(staff_client, dataset, params):
    assert staff_client.get(_members_url(dataset.survey, **params)).status_code == 200


def test_pagination_keeps_filters(staff_client, survey, make_invitation):
    for i in range(60):
        make_invitation(survey, ags=f"0511{i:04d}", land="Nordrhein-Westfalen")
    make_invitation(survey, ags="09990001", land="Bayern")
    first = staff_client.get(_members_url(survey, land="Nordrhein-Westfalen"))
    assert len(_ags_listed(first)) == 50
    assert "land=Nordrhein-Westfalen&amp;seite=2" in first.content.decode()
    second = staff_client.get(_members_url(survey, land="Nordrhein-Westfalen", seite=2))
    assert len(_ags_listed(second)) == 10
    assert "09990001" not in _ags_listed(second)


def test_member_detail_shows_register_status_and_messages(staff_client, dataset):
    url = reverse("staff:member_detail", args=[dataset.survey.slug, dataset.members.m5.ags])
    response = staff_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Funkloch" in html and "unzustellbar" in html
    assert "550 mailbox unknown" in html
    assert dataset.invitations.m5.access_code_display in html
    assert reverse("staff:member_resend", args=[dataset.survey.slug, "05111005"]) in html


def test_resend_link_queues_a_message(staff_client, dataset):
    invitation = dataset.invitations.m2
    url = reverse("staff:member_resend", args=[dataset.survey.slug, invitation.member.ags])
    response = staff_client.post(url, follow=True)
    assert response.status_code == 200
    message = OutboxMessage.objects.get(invitation=invitation, step="resend-1")
    assert message.created_by == "staff" and message.to_email == invitation.member.email
    assert "erneut an rathaus-05111002@example.org" in response.content.decode()


def test_resend_without_invitation_is_refused(staff_client, dataset):
    url = reverse("staff:member_resend", args=[dataset.survey.slug, dataset.members.b2.ags])
    response = staff_client.post(url, follow=True)
    assert "noch nicht eingeladen" in response.content.decode()
    assert not OutboxMessage.objects.filter(invitation__member=dataset.members.b2).exists()


def test_resend_in_closed_survey_is_refused(staff_client, dataset):
    dataset.survey.close()
    url = reverse("staff:member_resend", args=[dataset.survey.slug, dataset.members.m2.ags])
    response = staff_client.post(url, follow=True)
    assert "geschlossen" in response.content.decode()
    assert not OutboxMessage.objects.filter(step__startswith="resend").exists()


@pytest.mark.parametrize(("fallback", "error"), [
    ("kein-at-zeichen", "gültige E-Mail-Adresse"),
    ("RATHAUS-05111001@example.org", "unterscheiden"),
])
def test_bounce_form_validates(staff_client, dataset, fallback, error):
    member = dataset.members.m1
    url = reverse("staff:member_bounce", args=[dataset.survey.slug, member.ags])
    response = staff_client.post(url, {"fallback_email": fallback})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert 'id="error-summary"' in response.content.decode()
    member.refresh_from_db()
    assert not member.email_bounced and member.fallback_email == ""


def test_bounce_with_fallback(staff_client, dataset):
    member = dataset.members.m1
    url = reverse("staff:member_bounce", args=[dataset.survey.slug, member.ags])
    response = staff_client.post(url, {"fallback_email": " buergermeister@example.org "})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.email_bounced and member.fallback_email == "buergermeister@example.org"
    assert member.delivery_email == "buergermeister@example.org"


def test_bounce_without_fallback_makes_member_undeliverable(staff_client, dataset):
    member = dataset.members.m1
    url = reverse("staff:member_bounce", args=[dataset.survey.slug, member.ags])
    staff_client.post(url, {"fallback_email": ""})
    assert Member.objects.get(pk=member.pk).email_bounced
    listed = staff_client.get(_members_url(dataset.survey, status="unzustellbar"))
    assert member.ags in _ags_listed(listed)


def test_member_list_query_count_does_not_grow_with_members(staff_client, dataset, make_invitation):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = _members_url(dataset.survey, land="Nordrhein-Westfalen")
    staff_client.get(url)
    with CaptureQueriesContext(connection) as small:
        staff_client.get(url)
    for _ in range(30):
        make_invitation(dataset.survey, land="Nordrhein-Westfalen")
    with CaptureQueriesContext(connection) as large:
        response = staff_client.get(url)
    assert len(response.context["page"]) == 35
    assert len(large) == len(small)


def test_member_list_sorts_by_column_without_javascript(staff_client, dataset):
    """Column headings are links (?sortierung=name, again for descending); filters and paging keep the order."""
    url = _members_url(dataset.survey)
    html = staff_client.get(url).content.decode()
    assert 'aria-sort="ascending"' in html and 'href="?sortierung=name"' in html
    names = staff_client.get(url + "?sortierung=name").context["page"].object_list
    assert [m.name for m in names] == sorted(m.name for m in names)
    page = staff_client.get(url + "?sortierung=-einwohner&land=Bayern")
    members = list(page.context["page"].object_list)
    assert [m.einwohner for m in members] == sorted((m.einwohner for m in members), reverse=True)
    assert {m.land for m in members} == {"Bayern"}
    assert 'aria-sort="descending"' in page.content.decode()
    assert staff_client.get(url + "?sortierung=passwort").status_code == 200  # unknown: default order


def test_outbox_problem_list_sorts_and_names_steps_in_words(staff_client, dataset):
    from invitations.models import OutboxMessage

    OutboxMessage.objects.create(invitation=dataset.invitations.m1, step="resend-1", to_email="a@example.org",
                                 subject="Link", body_text="…", status="failed", error="421")
    url = reverse("staff:outbox", args=[dataset.survey.slug])
    page = staff_client.get(url + "?sortierung=mitglied")
    names = [m.invitation.member.name for m in page.context["page"].object_list]
    assert names == sorted(names) and len(names) == 2
    html = page.content.decode()
    assert "Link erneut gesendet (Nr. 1)" in html and "<code>resend-1</code>" not in html
    assert 'aria-sort="ascending"' in html
    descending = staff_client.get(url + "?sortierung=-mitglied").context["page"].object_list
    assert [m.invitation.member.name for m in descending] == sorted(names, reverse=True)
