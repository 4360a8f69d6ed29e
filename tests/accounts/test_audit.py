"""The audit trail's one way in (accounts.audit.record) and its retention."""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts import audit
from accounts.models import AuditEvent


@pytest.mark.django_db
def test_record_keeps_who_what_where(staff_user):
    request = RequestFactory().get("/staff/", REMOTE_ADDR="192.0.2.7")
    request.user = staff_user
    event = audit.record("export.download", request=request, target="export 7", format="xlsx")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.actor, stored.actor_name, stored.action) == (staff_user, staff_user.username, "export.download")
    assert (stored.address, stored.target, stored.outcome) == ("192.0.2.7", "export 7", "ok")
    assert stored.detail == {"format": "xlsx"}


@pytest.mark.django_db
def test_failed_login_names_the_typed_user_name_without_an_account():
    request = RequestFactory().post("/staff/login/", REMOTE_ADDR="not-an-address")
    event = audit.record("login.failed", request=request, outcome="refused", username="nobody")
    assert (event.actor, event.actor_name, event.address, event.detail) == (None, "nobody", None, {})


@pytest.mark.django_db
def test_entries_are_never_changed(staff_user):
    event = audit.record("role.granted", user=staff_user)
    event.action = "something else"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        AuditEvent.objects.update(action="x")
    assert AuditEvent.objects.get().action == "role.granted"


@pytest.mark.django_db
def test_purge_removes_only_entries_past_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    audit.record("login.succeeded", username="a")
    audit.record("login.succeeded", username="b")
    now = timezone.now()
    assert audit.purge_expired(now) == 0
    assert audit.purge_expired(now + datetime.timedelta(days=31)) == 2
