"""`python manage.py grant USERNAME ROLE [SLUG]`: grants, creates accounts, sets or links a password,
revokes; refusals change nothing."""

import re
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import roles
from accounts.models import AuditEvent, Role

pytestmark = pytest.mark.django_db


def grant(*args: str) -> str:
    out = StringIO()
    call_command("grant", *args, stdout=out)
    return out.getvalue()


def test_new_user_with_password_from_the_environment(kgst_survey, monkeypatch, client):
    monkeypatch.setenv("NEW_PASSWORD", "Ein-langes-Passwort-2026")
    out = grant("hanna", "analyst", kgst_survey.slug, "--password-env", "NEW_PASSWORD")
    assert "hanna has role analyst on survey kgst-social-media-2013 (new account)" in out
    assert "link" not in out
    hanna = User.objects.get(username="hanna")
    assert hanna.check_password("Ein-langes-Passwort-2026")
    assert roles.capabilities(hanna, kgst_survey) == roles.CAPABILITIES["analyst"]
    assert AuditEvent.objects.filter(action="role_granted", target="hanna").count() == 1


def test_new_user_gets_a_one_time_link_that_sets_the_password(db, client, settings):
    settings.SITE_URL = "https://umfrage.example.org"
    out = grant("ida", "owner")
    link = re.search(r"https://umfrage\.example\.org(/staff/passwort/[^/\s]+/[^/\s]+/)", out)
    assert link, out
    ida = User.objects.get(username="ida")
    assert not ida.has_usable_password() and roles.has(ida, "roles")
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    done = client.post(form.redirect_chain[-1][0] if form.redirect_chain else link.group(1),
                       {"new_password1": "Neues-Passwort-fuer-Ida-1", "new_password2": "Neues-Passwort-fuer-Ida-1"})
    assert done.status_code == 302 and done["Location"] == "/staff/passwort/gesetzt/"
    ida.refresh_from_db()
    assert ida.check_password("Neues-Passwort-fuer-Ida-1")
    # used once: the link no longer works
    again = client.get(link.group(1), follow=True)
    assert "Dieser Link ist ungültig" in again.content.decode()


def test_existing_user_keeps_the_password_and_gets_no_link(staff_user, kgst_survey):
    out = grant("staff", "viewer", kgst_survey.slug)
    assert "link" not in out and "(new account)" not in out
    staff_user.refresh_from_db()
    assert staff_user.check_password("Test-Passwort-123")


@pytest.mark.parametrize("args, message", [
    (("jan", "kaiser"), "unknown role 'kaiser'"),
    (("jan", "owner", "gibt-es-nicht"), "unknown survey 'gibt-es-nicht'"),
    (("jan", "owner", "--password-env", "RUECKLAUF_TEST_UNSET"), "RUECKLAUF_TEST_UNSET is empty or not set"),
    (("jan", "owner", "--revoke"), "unknown user 'jan'"),
])
def test_refusals_change_nothing(db, args, message, monkeypatch):
    monkeypatch.delenv("RUECKLAUF_TEST_UNSET", raising=False)
    with pytest.raises(CommandError, match=re.escape(message)):
        grant(*args)
    assert not User.objects.filter(username="jan").exists()
    assert not Role.objects.exists() and not AuditEvent.objects.exists()


def test_a_weak_password_is_refused(db, monkeypatch):
    monkeypatch.setenv("WEAK", "123")
    with pytest.raises(CommandError, match="password refused"):
        grant("kim", "owner", "--password-env", "WEAK")
    assert not User.objects.filter(username="kim").exists()


def test_unknown_role_exits_non_zero_from_the_shell(db):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "manage.py", "grant", "lea", "kaiser"], capture_output=True, text=True,
                            check=False)
    assert result.returncode != 0
    assert "unknown role 'kaiser'" in result.stderr


def test_revoke(kgst_survey):
    grant("mia", "field", kgst_survey.slug)
    out = grant("mia", "field", kgst_survey.slug, "--revoke")
    assert "mia no longer has role field on survey kgst-social-media-2013" in out
    assert not Role.objects.filter(user__username="mia").exists()
    assert "did not have" in grant("mia", "field", kgst_survey.slug, "--revoke")
    assert list(AuditEvent.objects.order_by("pk").values_list("action", flat=True)) == ["role_granted",
                                                                                        "role_revoked"]
