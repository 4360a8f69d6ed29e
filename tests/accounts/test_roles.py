"""Per-survey roles: the capability table, grants on one survey or all, the staff pages "Zugriff",
and what a viewer sees of the results."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from accounts import roles
from accounts.models import AuditEvent, Role
from surveys.definition.waves import copy_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_surveys(kgst_survey):
    return kgst_survey, copy_survey(kgst_survey, "welle-b", "Welle B")


def _user(name: str) -> User:
    return User.objects.create_user(name, f"{name}@example.org", "Test-Passwort-123")


def test_a_role_on_one_survey_counts_there_only(two_surveys):
    a, b = two_surveys
    anna = _user("anna")
    roles.grant(anna, roles.ANALYST, a)
    assert roles.capabilities(anna, a) == roles.CAPABILITIES[roles.ANALYST]
    assert roles.capabilities(anna, b) == frozenset()
    assert roles.capabilities(anna, None) == frozenset()
    assert roles.capabilities_by_survey(anna, [a.pk, b.pk]) == {a.pk: roles.CAPABILITIES["analyst"],
                                                                 b.pk: frozenset()}


def test_roles_on_all_surveys_and_on_one_add_up(two_surveys):
    a, b = two_surveys
    ben = _user("ben")
    roles.grant(ben, roles.VIEWER)
    roles.grant(ben, roles.FIELD, b)
    assert roles.capabilities(ben, a) == {"view", "results"}
    assert roles.capabilities(ben, b) == {"view", "results", "field", "dashboard"}


def test_superusers_and_inactive_users(two_surveys):
    a, _b = two_surveys
    root = User.objects.create_superuser("root", "root@example.org", "x")
    assert roles.capabilities(root, a) == roles.ALL_CAPABILITIES
    gone = _user("gone")
    roles.grant(gone, roles.OWNER)
    gone.is_active = False
    gone.save()
    assert roles.capabilities(gone, a) == frozenset()


def test_granting_twice_is_one_role_and_one_audit_entry(two_surveys):
    a, _b = two_surveys
    cora = _user("cora")
    first = roles.grant(cora, roles.EDITOR, a)
    assert roles.grant(cora, roles.EDITOR, a) == first
    roles.grant(cora, roles.EDITOR)
    roles.grant(cora, roles.EDITOR)
    assert Role.objects.filter(user=cora).count() == 2
    assert AuditEvent.objects.filter(action="role_granted", target="cora").count() == 2
    assert roles.revoke(cora, roles.EDITOR, a) and not roles.revoke(cora, roles.EDITOR, a)
    assert AuditEvent.objects.filter(action="role_revoked", target="cora").count() == 1


def test_unknown_role_is_refused():
    with pytest.raises(roles.RoleError, match="unknown role"):
        roles.check_role("admin")


def test_migration_turns_the_old_groups_into_roles_on_all_surveys(db):
    """The data step of accounts/0002 run on its own: group "staff" → owner, "analyst" → analyst."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    migration = importlib.import_module("accounts.migrations.0002_role")
    old_staff, old_analyst = _user("old-staff"), _user("old-analyst")
    old_staff.groups.add(Group.objects.get_or_create(name="staff")[0])
    old_analyst.groups.add(Group.objects.get_or_create(name="analyst")[0])
    migration.groups_to_roles(apps, None)
    assert set(Role.objects.filter(survey=None).values_list("user__username", "role")) == {
        ("old-staff", "owner"), ("old-analyst", "analyst")}


def test_survey_list_shows_only_surveys_with_a_role(client, two_surveys):
    a, b = two_surveys
    dora = _user("dora")
    roles.grant(dora, roles.FIELD, b)
    client.force_login(dora)
    html = client.get(reverse("staff:home")).content.decode()
    assert "welle-b" in html and a.slug not in html
    assert reverse("staff:members", args=[b.slug]) in html
    assert reverse("staff:survey_create") not in html  # new surveys need a role on all surveys
    nobody = _user("nobody")
    client.force_login(nobody)
    assert client.get(reverse("staff:home")).status_code == 403


def test_navigation_shows_what_the_role_allows(client, kgst_survey):
    viewer = _user("vera")
    roles.grant(viewer, roles.VIEWER, kgst_survey)
    client.force_login(viewer)
    html = client.get(reverse("staff:survey_detail", args=[kgst_survey.slug])).content.decode()
    for hidden in ("staff:members", "staff:outbox", "staff:dashboard", "staff:survey_access", "staff:survey_audit",
                   "staff:survey_dates"):
        assert reverse(hidden, args=[kgst_survey.slug]) not in html, hidden
    assert reverse("staff:results", args=[kgst_survey.slug]) in html
    assert reverse("staff:register_upload") not in html


def test_viewer_results_without_free_texts_exports_or_raw_data(client, kgst_survey):
    viewer = _user("vera")
    roles.grant(viewer, roles.VIEWER, kgst_survey)
    client.force_login(viewer)
    page = client.get(reverse("staff:results", args=[kgst_survey.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    assert reverse("staff:free_texts", args=[kgst_survey.slug]) not in html
    assert reverse("staff:exports", args=[kgst_survey.slug]) not in html
    report = client.get(reverse("staff:report", args=[kgst_survey.slug])).content.decode()
    assert reverse("staff:export_create", args=[kgst_survey.slug]) not in report
    for name in ("free_texts", "exports", "members", "nonresponders_csv", "dashboard"):
        assert client.get(reverse(f"staff:{name}", args=[kgst_survey.slug])).status_code == 403, name


def test_owner_grants_and_revokes_on_the_survey_page(client, two_surveys):
    a, b = two_surveys
    owner, eva = _user("owner-a"), _user("eva")
    roles.grant(owner, roles.OWNER, a)
    roles.grant(_user("global-analyst"), roles.ANALYST)
    client.force_login(owner)
    url = reverse("staff:survey_access", args=[a.slug])
    page = client.get(url).content.decode()
    assert "owner-a" in page and "global-analyst" in page and "alle Befragungen" in page
    response = client.post(url, {"username": "eva", "role": "field"})
    assert response.status_code == 302
    assert roles.capabilities(eva, a) == roles.CAPABILITIES["field"] and not roles.capabilities(eva, b)
    event = AuditEvent.objects.get(action="role_granted", target="eva")
    assert (event.actor, event.survey, event.detail["role"]) == (owner, a, "field")
    # a role on all surveys is not revoked from one survey's page
    everywhere = Role.objects.get(user__username="global-analyst")
    client.post(reverse("staff:survey_access_revoke", args=[a.slug]), {"role": everywhere.pk})
    assert Role.objects.filter(pk=everywhere.pk).exists()
    granted = Role.objects.get(user=eva)
    client.post(reverse("staff:survey_access_revoke", args=[a.slug]), {"role": granted.pk})
    assert not Role.objects.filter(user=eva).exists()
    assert AuditEvent.objects.filter(action="role_revoked", target="eva", survey=a).count() == 1
    # nothing on survey B, and not the page of all surveys
    assert client.get(reverse("staff:survey_access", args=[b.slug])).status_code == 403
    assert client.get(reverse("staff:access")).status_code == 403


def test_grant_form_refuses_unknown_user_and_role(client, kgst_survey, staff_user):
    client.force_login(staff_user)
    url = reverse("staff:survey_access", args=[kgst_survey.slug])
    response = client.post(url, {"username": "gibt-es-nicht", "role": "owner"})
    assert response.status_code == 400
    assert "Es gibt kein Konto mit dem Benutzernamen" in response.content.decode()
    _user("fritz")
    assert client.post(url, {"username": "fritz", "role": "kaiser"}).status_code == 400
    assert not Role.objects.filter(user__username="fritz").exists()


def test_global_page_grants_on_all_surveys_or_one(client, two_surveys, staff_user):
    a, b = two_surveys
    gina = _user("gina")
    client.force_login(staff_user)
    url = reverse("staff:access")
    assert client.post(url, {"username": "gina", "role": "viewer", "survey": ""}).status_code == 302
    assert client.post(url, {"username": "gina", "role": "editor", "survey": b.slug}).status_code == 302
    assert roles.capabilities(gina, a) == {"view", "results"}
    assert roles.capabilities(gina, b) == {"view", "results", "edit", "create"}
    held = Role.objects.get(user=gina, survey=None)
    client.post(reverse("staff:access_revoke"), {"role": held.pk})
    assert roles.capabilities(gina, a) == frozenset()


def test_wave_comparison_offers_only_waves_with_a_role(client, two_surveys):
    a, b = two_surveys
    viewer = _user("wanda")
    roles.grant(viewer, roles.VIEWER, b)
    client.force_login(viewer)
    url = reverse("staff:waves", args=[b.slug])
    assert a.slug not in client.get(url).content.decode()
    assert client.get(url, {"vergleich": a.slug}).status_code == 400
    roles.grant(viewer, roles.VIEWER, a)
    assert a.slug in client.get(url).content.decode()


def test_nobody_revokes_their_own_role_and_no_role_is_preselected(client, kgst_survey, staff_user):
    client.force_login(staff_user)
    own = Role.objects.get(user=staff_user)
    page = client.get(reverse("staff:access")).content.decode()
    assert f'name="role" value="{own.pk}"' not in page
    client.post(reverse("staff:access_revoke"), {"role": own.pk})
    assert Role.objects.filter(pk=own.pk).exists()
    _user("ulla")
    response = client.post(reverse("staff:access"), {"username": "ulla", "role": "", "survey": ""})
    assert response.status_code == 400 and not Role.objects.filter(user__username="ulla").exists()
