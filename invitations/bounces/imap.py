"""The bounce mailbox over IMAP: one sequential loop that fetches a batch, reads it, records it, moves it.

BODY.PEEK leaves mails unread until handled; each mail looked at moves to BOUNCE_IMAP_PROCESSED_FOLDER,
or to BOUNCE_IMAP_UNMATCHED_FOLDER for a person; nothing is deleted. A batch moves only after its
transaction committed: after a database error the next run reads it again, which changes nothing.
BOUNCE_IMAP_TLS is implicit (IMAPS), starttls or off; without TLS no password is sent, and a failed
connection names the settings to check in one sentence.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
import ssl
from collections import Counter

from django.conf import settings

from ..checks import BOUNCE_TLS_MODES
from ..outbox import bounced
from .read import HARD, SOFT, UNMATCHED, UNSUBSCRIBE, classify

log = logging.getLogger(__name__)
# What to check when the certificate is refused, by OpenSSL's verify code (X509_V_ERR_*): no trusted CA
# signed it (a private CA is the usual cause), or it is issued for another host name or address.
_CERT_HINTS = {**dict.fromkeys((18, 19, 20, 21), "set BOUNCE_IMAP_CA_FILE to the CA certificate if a private CA "
                                                 "issued it"),
               **dict.fromkeys((62, 64), "BOUNCE_IMAP_HOST must be a name the certificate is issued for")}
_OPENSSL_NOISE = re.compile(r"^\[[A-Z0-9_]+: [A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)$")
_UID = re.compile(rb"\bUID (\d+)")


class ConnectError(OSError):
    """No usable connection to the bounce mailbox (TLS, address, login); str() says why in one sentence."""


def _openssl_text(exc: OSError) -> str:
    """OpenSSL's words without "[SSL: CODE]" and "(_ssl.c:1006)": "wrong version number"."""
    return _OPENSSL_NOISE.sub("", str(exc.strerror or exc)).strip() or type(exc).__name__


def _why(exc: OSError, host: str, port: int) -> ConnectError:
    """One sentence naming the settings to check, instead of "[Errno 111] Connection refused" and the like."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        hint = _CERT_HINTS.get(exc.verify_code, "the server needs a valid certificate")
        return ConnectError(f"the TLS certificate of {host}:{port} was refused ({exc.verify_message.rstrip('.')}), "
                            f"so no password was sent; {hint}")
    if isinstance(exc, ssl.SSLError):
        return ConnectError(f"the TLS handshake with {host}:{port} failed ({_openssl_text(exc)}); check that "
                            "BOUNCE_IMAP_TLS and BOUNCE_IMAP_PORT fit this server")
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"the name {host} cannot be resolved ({exc.strerror}); check BOUNCE_IMAP_HOST")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"nothing accepts connections on {host}:{port}; check BOUNCE_IMAP_HOST and "
                            "BOUNCE_IMAP_PORT")
    if isinstance(exc, TimeoutError):
        return ConnectError(f"{host}:{port} did not answer within BOUNCE_IMAP_TIMEOUT ({settings.BOUNCE_IMAP_TIMEOUT} "
                            "s); check BOUNCE_IMAP_PORT and BOUNCE_IMAP_TLS (an IMAPS port waits silently for a TLS "
                            "handshake)")
    return ConnectError(f"the connection to {host}:{port} failed ({exc.strerror or exc}); check BOUNCE_IMAP_HOST "
                        "and BOUNCE_IMAP_PORT")


def connect() -> imaplib.IMAP4:
    """A logged-in connection to the bounce mailbox; ConnectError (an OSError) says in one sentence why not."""
    host, port, tls = settings.BOUNCE_IMAP_HOST, settings.BOUNCE_IMAP_PORT, settings.BOUNCE_IMAP_TLS.lower()
    if tls not in BOUNCE_TLS_MODES:  # never fall back to plain text on a typo
        raise ConnectError(f"BOUNCE_IMAP_TLS={tls!r} is not one of implicit, starttls, off; nothing was sent")
    ca_file, timeout = settings.BOUNCE_IMAP_CA_FILE or None, settings.BOUNCE_IMAP_TIMEOUT
    try:  # verifies the chain and the host name
        context = ssl.create_default_context(cafile=ca_file) if tls != "off" else None
    except OSError as exc:  # a missing file, or no certificate in it
        raise ConnectError(f"BOUNCE_IMAP_CA_FILE {ca_file} is no readable PEM file of CA certificates "
                           f"({_openssl_text(exc)})") from exc
    conn: imaplib.IMAP4 | None = None
    try:
        if tls == "implicit":
            conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        else:
            conn = imaplib.IMAP4(host, port, timeout=timeout)
        if tls == "starttls":
            if "STARTTLS" not in conn.capabilities:  # imaplib would only say "TLS not supported by server"
                raise ConnectError(f"the IMAP server {host}:{port} does not offer STARTTLS, so no password was "
                                   "sent; use its IMAPS port with BOUNCE_IMAP_TLS=implicit")
            conn.starttls(ssl_context=context)
        try:
            conn.login(settings.BOUNCE_IMAP_USER, settings.BOUNCE_IMAP_PASSWORD)
        except imaplib.IMAP4.error as exc:  # the server's words: "Authentication failed.", not "b'[AUTH…] …'"
            words = str(exc.args[0] if exc.args else exc)
            words = re.sub(r"^\[[A-Z]+\]\s*", "", words[2:-1] if words.startswith(("b'", 'b"')) else words).strip()
            raise ConnectError(f"the IMAP server {host} refused the login of BOUNCE_IMAP_USER "
                               f"{settings.BOUNCE_IMAP_USER!r} ({words or 'no reason given'}); check "
                               "BOUNCE_IMAP_USER and BOUNCE_IMAP_PASSWORD") from exc
    except BaseException as exc:
        if conn is not None:  # no LOGOUT: there may be no session
            with contextlib.suppress(OSError):
                conn.shutdown()
        if isinstance(exc, OSError) and not isinstance(exc, ConnectError):  # ssl.SSLError too: the handshake
            raise _why(exc, host, port) from exc
        raise
    return conn


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
    batch, kinds, folders = bounced.BounceBatch(), Counter(), []
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
        uids = (_ok(conn.uid("SEARCH", None, "UNDELETED"), "SEARCH")[0] or b"").split()
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
