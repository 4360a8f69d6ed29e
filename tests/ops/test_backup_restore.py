"""Backup and restore scripts against the real PostgreSQL, with a small survey dataset."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from tests.ops.conftest import ROOT, db_url_of_test_run

SCRIPTS = ROOT / "scripts"
pytestmark = [pytest.mark.slow]


def _load_check_module():
    spec = importlib.util.spec_from_file_location("backup_restore_check", SCRIPTS / "backup_restore_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check = _load_check_module()


@pytest.fixture
def small_dataset(transactional_db):
    """A survey with one page and two questions, three members, three invitations, two responses."""
    from invitations.models import Invitation, Member, OutboxMessage
    from responses.models import Answer, Response
    from surveys.models import Option, Page, Question, Survey

    survey = Survey.objects.create(slug="backup-test", title="Sicherungstest", status=Survey.Status.OPEN)
    page = Page.objects.create(survey=survey, code="P1", position=1, title="Seite 1")
    single = Question.objects.create(survey=survey, page=page, code="B1_nutzung", position=1,
                                     type=Question.Type.SINGLE, text="Nutzen Sie Social Media?")
    for position, (code, label) in enumerate([("1", "ja"), ("2", "nein")], start=1):
        Option.objects.create(question=single, code=code, label=label, position=position)
    text = Question.objects.create(survey=survey, page=page, code="F1_anmerkungen", position=2,
                                   type=Question.Type.TEXTAREA, text="Anmerkungen")
    invitations = []
    for i, land in enumerate(["Bayern", "Hessen", "Sachsen"]):
        member = Member.objects.create(ags=f"0{i}000000", name=f"Gemeinde {i} – Müßighausen", land=land,
                                       typ="Gemeinde", einwohner=5_000 * (i + 1), email=f"rathaus{i}@example.org")
        invitation = Invitation.objects.create(survey=survey, member=member)
        OutboxMessage.objects.create(invitation=invitation, step="invitation", to_email=member.email,
                                     subject="Einladung", body_text="Ihr Link", status=OutboxMessage.Status.SENT)
        invitations.append(invitation)
    first = Response.objects.create(survey=survey, invitation=invitations[0], status=Response.Status.SUBMITTED)
    Answer.objects.create(response=first, question=single, variable="B1_nutzung", value="1")
    Answer.objects.create(response=first, question=text, variable="F1_anmerkungen", value="Grüße\n'; DROP TABLE x;--")
    second = Response.objects.create(survey=survey, invitation=invitations[1])
    Answer.objects.create(response=second, question=single, variable="B1_nutzung", value="2")
    return survey


@pytest.fixture
def media_root(tmp_path) -> Path:
    media = tmp_path / "media"
    (media / "exports").mkdir(parents=True)
    (media / "exports" / "ergebnisse.xlsx").write_bytes(b"PK\x03\x04 not really a workbook " * 100)
    (media / "register.csv").write_text("ags;name\n01000000;Müßighausen\n", encoding="utf-8")
    return media


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=db_url_of_test_run())
    env.update(extra)
    return env


def _databases() -> set[str]:
    with psycopg.connect(check.with_database(db_url_of_test_run(), "postgres")) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_check_script_restores_into_a_new_database_with_equal_counts(small_dataset, media_root):
    result = subprocess.run([sys.executable, str(SCRIPTS / "backup_restore_check.py")],
                            env=_env(MEDIA_ROOT=str(media_root)), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "backup/restore check passed" in out
    assert "2 media files identical" in out
    rows = {line.split()[0]: line.split()[1:3] for line in out.splitlines() if line.startswith("public.")}
    assert rows["public.invitations_member"] == ["3", "3"]
    assert rows["public.invitations_invitation"] == ["3", "3"]
    assert rows["public.responses_response"] == ["2", "2"]
    assert rows["public.responses_answer"] == ["3", "3"]
    assert rows["public.surveys_survey"] == ["1", "1"]
    assert rows["public.django_migrations"][0] == rows["public.django_migrations"][1] != "0"
    restored_into = next(line for line in out.splitlines() if line.startswith("restored into: ")).split()[2]
    assert restored_into.startswith(check.database_name(db_url_of_test_run())[:40] + "_rc_")
    assert restored_into not in _databases()  # dropped again


def test_backup_and_restore_scripts_roundtrip_and_refusals(small_dataset, media_root, tmp_path):
    backup_out = subprocess.run([str(SCRIPTS / "backup.sh"), str(tmp_path / "backups")],
                                env=_env(MEDIA_ROOT=str(media_root)), capture_output=True, text=True, timeout=120)
    assert backup_out.returncode == 0, backup_out.stderr
    backup = Path(backup_out.stdout.strip().splitlines()[-1])
    assert sorted(p.name for p in backup.iterdir()) == ["MANIFEST", "SHA256SUMS", "db.dump", "media.tar.gz"]
    assert oct(backup.joinpath("db.dump").stat().st_mode & 0o777) == "0o600"
    assert "PGPASSWORD" not in backup.joinpath("MANIFEST").read_text()

    target_name = f"{check.database_name(db_url_of_test_run())[:40]}_restoretest_{os.getpid()}"
    target_url = check.with_database(db_url_of_test_run(), target_name)
    restored_media = tmp_path / "restored-media"

    def restore(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(SCRIPTS / "restore.sh"), *args], env=_env(), capture_output=True, text=True,
                              timeout=120)

    try:
        first = restore("--create", "--media", str(restored_media), str(backup), target_url)
        assert first.returncode == 0, first.stderr
        with psycopg.connect(check.libpq_url(db_url_of_test_run())) as source, \
                psycopg.connect(target_url) as target:
            source_counts = check.table_counts(source)
            assert check.compare_counts(source_counts, check.table_counts(target)) == []
            assert check.sequence_problems(target) == []
            # The comparison notices a lost row.
            target.execute("DELETE FROM responses_answer WHERE variable = 'F1_anmerkungen'")
            target.commit()
            assert check.compare_counts(source_counts, check.table_counts(target)) == [
                "public.responses_answer: 3 rows in the source, 2 restored"]
            assert target.execute("SELECT name FROM invitations_member ORDER BY ags").fetchone()[0] == \
                "Gemeinde 0 – Müßighausen"
        assert check.compare_media(check.file_digests(media_root), check.file_digests(restored_media)) == []

        # A database that already has tables is not overwritten by accident, nor a non-empty media directory.
        refused = restore(str(backup), target_url)
        assert refused.returncode == 1 and "already has" in refused.stderr
        refused_media = restore("--media", str(restored_media), str(backup), check.with_database(target_url, "x"))
        assert refused_media.returncode == 1 and "not empty" in refused_media.stderr

        # --clean replaces it: the lost row is back.
        again = restore("--clean", "--media", str(restored_media), str(backup), target_url)
        assert again.returncode == 0, again.stderr
        with psycopg.connect(target_url) as target:
            assert check.compare_counts(source_counts, check.table_counts(target)) == []

        # A damaged backup is refused before anything is written.
        dump = backup / "db.dump"
        dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
        damaged = restore("--clean", str(backup), target_url)
        assert damaged.returncode == 1 and "checksum mismatch" in damaged.stderr
    finally:
        with psycopg.connect(check.with_database(db_url_of_test_run(), "postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target_name)))
