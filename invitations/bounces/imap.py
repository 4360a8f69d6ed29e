"""The bounce mailbox over IMAP: one sequential loop that fetches a batch, reads it, records it, moves it.

BODY.PEEK leaves mails unread until handled; each mail looked at moves to BOUNCE_IMAP_PROCESSED_FOLDER,
or to BOUNCE_IMAP_UNMATCHED_FOLDER for a person; nothing is deleted. A batch moves only after its
transaction committed: after a database error the next run reads it again, which changes nothing.
The connection and its TLS modes are in connection.py.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
from collections import Counter

from django.conf import settings

from ..outbox import bounced
from .connection import connect
from .read import HARD, SOFT, UNMATCHED, UNSUBSCRIBE, classify

log = logging.getLogger(__name__)
_UID = re.compile(rb"\bUID (\d+)")


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(answer: tuple[str, list], what: str) -> list:
    status, data = answer
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} failed: {data}")
    return data


def fetch(conn: imaplib.IMAP4, uids: list[bytes]) -> list[tuple[bytes, bytes]]:
    """(uid, raw message) of these mails, fetched with BODY.PEEK[] (the \\Seen flag stays unset)."""
    data = _ok(conn.uid("FETCH", b",".join(uids).decode(), "(UID BODY.PEEK[])"), "FETCH")
    return [(uid[1], item[1]) for item in data if isinstance(item, tuple) and (uid := _UID.search(item[0]))]


def _move(conn: imaplib.IMAP4, uids: list[bytes], folder: str, can_move: bool) -> None:
    uid_set = b",".join(uids).decode()
    if can_move:
        _ok(conn.uid("MOVE", uid_set, _quote(folder)), f"moving to {folder}")
        return
    _ok(conn.uid("COPY", uid_set, _quote(folder)), f"copying to {folder}")
    conn.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
    _ok(conn.uid("EXPUNGE", uid_set), f"moving to {folder}")  # RFC 4315 UID EXPUNGE: only these messages


def handle_batch(raws: list[bytes]) -> list[str]:
    """Read a batch and record what it says in one transaction; returns each mail's folder, "processed" or
    "unmatched". A database error propagates: then nothing of the batch moves, the next run reads it again."""
    batch, kinds, folders = bounced.BounceBatch(), Counter[str](), []
    for kind, pk, reason in map(classify, raws):
        kinds[kind] += 1
        folders.append(UNMATCHED if kind == UNMATCHED else "processed")
        if pk is not None and kind in (HARD, SOFT):
            (batch.hard if kind == HARD else batch.soft)[pk] = reason
        elif pk is not None and kind == UNSUBSCRIBE:
            batch.unsubscribe.add(pk)
    done = bounced.record_bounces(batch)
    log.info("bounce mailbox: read %s; %s", dict(kinds), dict(done))
    return folders


def process_mailbox(batch_size: int = 500) -> Counter:
    """Read the bounce folder once; returns how many mails went to which folder ("processed", "unmatched")."""
    conn = connect()
    folders = {"processed": settings.BOUNCE_IMAP_PROCESSED_FOLDER, UNMATCHED: settings.BOUNCE_IMAP_UNMATCHED_FOLDER}
    summary: Counter = Counter()
    try:
        for folder in folders.values():
            if conn.select(_quote(folder), readonly=True)[0] != "OK":
                _ok(conn.create(_quote(folder)), f"creating folder {folder}")
        _ok(conn.select(_quote(settings.BOUNCE_IMAP_FOLDER)), f"opening folder {settings.BOUNCE_IMAP_FOLDER}")
        can_move = "MOVE" in {capability.upper() for capability in conn.capabilities}
        uids = (_ok(conn.uid("SEARCH", "UNDELETED"), "SEARCH")[0] or b"").split()
        for start in range(0, len(uids), batch_size):
            batch = fetch(conn, uids[start : start + batch_size])
            keys = handle_batch([raw for _uid, raw in batch])  # committed before anything moves
            for key, folder in folders.items():
                if moved := [uid for (uid, _raw), k in zip(batch, keys, strict=True) if k == key]:
                    _move(conn, moved, folder, can_move)
                    summary[key] += len(moved)
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            conn.logout()
    return summary
