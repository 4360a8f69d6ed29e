"""python manage.py create_api_key USERNAME [--survey SLUG] [--days N]."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from exports.api import keys
from exports.models import ApiKey

pytestmark = pytest.mark.django_db


def test_prints_a_working_key_once(analyst_user, kgst_survey):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "analyst", "--survey", kgst_survey.slug, "--days", "7", stdout=out, stderr=err)
    plain = out.getvalue().strip()
    key = keys.find_key(plain)
    assert key.survey == kgst_survey and key.user == analyst_user
    assert 6 <= (key.expires_at - key.created_at).days <= 7
    assert key.prefix in err.getvalue() and plain not in err.getvalue()


@pytest.mark.parametrize("args, message", [
    (["niemand"], "No user 'niemand'"),
    (["analyst", "--survey", "gibt-es-nicht"], "No survey 'gibt-es-nicht'"),
    (["analyst", "--days", "0"], "--days must be between"),
    (["ohne-rolle"], "has no role"),
])
def test_clear_errors(analyst_user, kgst_survey, args, message):
    User.objects.create_user("ohne-rolle", "o@example.org", "x")
    with pytest.raises(CommandError, match=message):
        call_command("create_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiKey.objects.exists()


def test_exit_status_from_the_shell(analyst_user):
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.db import connection

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}"}
    done = subprocess.run([sys.executable, "manage.py", "create_api_key", "niemand"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "No user 'niemand'" in done.stderr
