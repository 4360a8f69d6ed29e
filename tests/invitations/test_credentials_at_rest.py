"""Links safe at rest: a copy of the database alone yields no working personal link or access code.

Against the real PostgreSQL: a pg_dump of the test database is searched for every credential,
the old plaintext columns are migrated (links and codes already sent keep working), and a
secret rotation keeps links working through the fallback and then without it.
"""

import re
import subprocess

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from invitations import credentials
from invitations.credentials import ACCESS_CODE_ALPHABET, format_access_code, normalize_access_code
from invitations.models import Invitation, OutboxMessage
from invitations.outbox.queueing import queue_invitations

SLUG = "kgst-social-media-2013"


def pg_dump() -> str:
    db = connection.settings_dict
    env = {"PGPASSWORD": db.get("PASSWORD") or "", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        ["pg_dump", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"] or "postgres",
         "--data-only", db["NAME"]], env=env, capture_output=True, text=True, check=True,
    ).stdout


@pytest.fixture
def invited(transactional_db, kgst_survey, make_invitation, settings):
    """Three members invited through the real queueing code; the mails are sent (locmem)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_HOST = ""
    for _ in range(3):
        make_invitation(kgst_survey)
    assert queue_invitations(kgst_survey) == 3
    return list(Invitation.objects.filter(survey=kgst_survey))


def test_a_database_dump_holds_no_link_and_no_code(invited, client):
    dump = pg_dump()
    assert "invitations_invitation" in dump and "invitations_outboxmessage" in dump
    sent = {m.to[0]: m.body for m in django_mail.outbox}
    assert len(sent) == 3
    for invitation in invited:
        token, code = invitation.token, invitation.access_code
        # what the member got contains both …
        assert invitation.link() in sent[invitation.member.email]
        assert invitation.access_code_display in sent[invitation.member.email]
        # … the database copy neither, in no spelling
        for secret in (token, code, invitation.access_code_display, code.lower()):
            assert secret not in dump, secret
        # and the link still works, because the key is outside the database
        assert client.get(f"/s/{token}/").status_code == 302
        assert client.post("/s/", {"code": invitation.access_code_display}).status_code == 302


def test_the_dump_with_another_secret_opens_nothing(invited, client, settings, empty_cache):
    token, code = invited[0].token, invited[0].access_code_display
    settings.TOKEN_SECRET = "a-different-secret-as-on-a-machine-that-only-has-the-dump"
    assert client.get(f"/s/{token}/").status_code == 404
    assert client.post("/s/", {"code": code}).status_code == 200  # "no survey found for this code"
    with pytest.raises(ValueError, match="TOKEN_SECRET_FALLBACKS"):
        _ = Invitation.objects.get(pk=invited[0].pk).token


def test_stored_mail_has_placeholders_and_is_filled_in_when_sent(invited):
    message = OutboxMessage.objects.select_related("invitation").filter(invitation=invited[0]).get()
    assert credentials.TOKEN_PLACEHOLDER in message.body_text
    assert credentials.TOKEN_PLACEHOLDER in message.body_html
    assert credentials.CODE_PLACEHOLDER in message.body_text
    from invitations.outbox.mail import build_email

    email = build_email(message)
    assert invited[0].link() in email.body and credentials.TOKEN_PLACEHOLDER not in email.body
    assert invited[0].link() in email.alternatives[0][0]
    assert invited[0].access_code_display in email.body


def test_access_code_is_short_unambiguous_and_typed_forgivingly(invited, client, empty_cache):
    invitation = invited[0]
    code = invitation.access_code
    assert len(code) == 14 and set(code) <= set(ACCESS_CODE_ALPHABET)
    assert not set("0O1IL") & set(ACCESS_CODE_ALPHABET) and len(ACCESS_CODE_ALPHABET) == 31
    shown = invitation.access_code_display
    assert re.fullmatch(r"[A-Z2-9]{5}-[A-Z2-9]{4}-[A-Z2-9]{5}", shown) and len(shown) <= 16
    for typed in (shown.lower(), shown.replace("-", " "), code, f"  {code[:7]} - {code[7:]} "):
        response = client.post("/s/", {"code": typed})
        assert response.status_code == 302, typed
        assert response["Location"] == f"/s/{invitation.token}/"


def test_rotation_keeps_links_through_the_fallback_and_after_rekeying(invited, client, settings, empty_cache):
    old_secret = settings.TOKEN_SECRET
    links = [(inv.pk, inv.token, inv.access_code_display) for inv in invited]
    settings.TOKEN_SECRET = "the-new-token-secret-" + "n" * 30
    settings.TOKEN_SECRET_FALLBACKS = [old_secret]
    for _pk, token, code in links:
        assert client.get(f"/s/{token}/").status_code == 302
        assert client.post("/s/", {"code": code}).status_code == 302
    out = run_command("rotate_token_secret")
    assert "Re-keyed 3 invitation(s); 0 already" in out
    assert "Re-keyed 0 invitation(s); 3 already" in run_command("rotate_token_secret")
    settings.TOKEN_SECRET_FALLBACKS = []
    for pk, token, code in links:
        assert Invitation.objects.get(pk=pk).token == token  # the link itself did not change
        assert client.get(f"/s/{token}/").status_code == 302
        assert client.post("/s/", {"code": code}).status_code == 302
    settings.TOKEN_SECRET = old_secret  # the old secret alone no longer opens the re-keyed rows
    assert client.get(f"/s/{links[0][1]}/").status_code == 404


def run_command(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_normalizing_keeps_legacy_codes_readable():
    assert normalize_access_code("abcde-fghjk o i l") == "ABCDEFGHJK011"
    assert format_access_code("A" * 26) == "AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-A"


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_links_and_codes_already_sent(kgst_survey, client, empty_cache):
    """Rows with plaintext credentials (schema 0002) work after the migration, and leave no plaintext."""
    executor = MigrationExecutor(connection)
    before, after = [("invitations", "0002_outbox_delivery_fields")], executor.loader.graph.leaf_nodes("invitations")
    legacy_token, legacy_code = "Legacy_Token-0123456789abcdefghijklmnopqrstuv", "7Q2M4K9RTVWXYZ0123456789AB"
    shown = "-".join(legacy_code[i:i + 5] for i in range(0, 26, 5))
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        member = old.get_model("invitations", "Member").objects.create(
            ags="05315000", name="Köln", land="Nordrhein-Westfalen", typ="kreisfreie Stadt", einwohner=1_000_000,
            groessenklasse=7, email="rathaus@example.org")
        invitation = old.get_model("invitations", "Invitation").objects.create(
            survey_id=kgst_survey.pk, member_id=member.pk, token=legacy_token, access_code=legacy_code)
        old.get_model("invitations", "OutboxMessage").objects.create(
            invitation_id=invitation.pk, step="invitation", to_email=member.email, subject="Einladung",
            body_text=f"Link: https://umfrage.example.org/s/{legacy_token}/ Code: {shown}",
            body_html=f'<a href="https://umfrage.example.org/s/{legacy_token}/">Link</a> {shown}')
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    dump = pg_dump()
    assert legacy_token not in dump and legacy_code not in dump and shown not in dump
    migrated = Invitation.objects.by_token(legacy_token).get()
    assert migrated.token == legacy_token and migrated.access_code_display == shown
    assert client.get(f"/s/{legacy_token}/").status_code == 302
    assert client.post("/s/", {"code": shown.lower()}).status_code == 302
    from invitations.outbox.mail import build_email

    message = OutboxMessage.objects.select_related("invitation").get(invitation=migrated)
    assert legacy_token not in message.body_text and credentials.TOKEN_PLACEHOLDER in message.body_text
    email = build_email(message)
    assert f"/s/{legacy_token}/" in email.body and shown in email.body
