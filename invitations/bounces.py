"""The bounce mailbox: what came back, matched to the outbox message it is about, and acted on.

Every message leaves with its own return path bounce+<outbox id>.<hmac>@BOUNCE_DOMAIN (VERP,
invitations.mail.verp_address), so a bounce names its message: first in the headers the bounce
arrived with (To, Delivered-To, …), else in the returned copy of our message (its Return-Path or,
when a server rewrote the envelope, its Message-ID). No address is ever guessed from free text.

What the mail says is read by the standard first: an RFC 3464 delivery status notification
(multipart/report) is parsed with Python's email package, per recipient (Action, Status,
Diagnostic-Code). Other formats (Exim's default text, old Exchange, qmail, …) go to flufl.bounce's
detectors. Auto-replies (RFC 3834 Auto-Submitted, Exchange's X-Auto-Response-Suppress, the usual
subjects) are recognised and ignored; a mail to the List-Unsubscribe mailto address opts out.

The IMAP loop fetches with BODY.PEEK (nothing is marked read before it is handled), in batches,
and moves every mail it has looked at: recognised ones to BOUNCE_IMAP_PROCESSED_FOLDER, anything it
could not match or read to BOUNCE_IMAP_UNMATCHED_FOLDER for a person. Nothing is deleted; one
malformed mail is logged and moved aside, the run goes on.
"""

from __future__ import annotations

import email
import imaplib
import logging
import re
import ssl
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from django.conf import settings
from flufl.bounce import all_failures

from . import mail, services
from .models import OutboxMessage

log = logging.getLogger(__name__)

HARD, SOFT, DELAYED, AUTO_REPLY, UNSUBSCRIBE, NOTICE, UNMATCHED = (
    "hard", "soft", "delayed", "auto-reply", "unsubscribe", "notice", "unmatched")

# Headers a bounce may carry our VERP address in, the receiving server's ones first.
ENVELOPE_HEADERS = ("delivered-to", "x-original-to", "envelope-to", "x-envelope-to", "to", "cc")
# Status codes that are temporary in effect even when reported as 5.x.x (RFC 3463: mailbox full).
SOFT_STATUSES = {"5.2.2", "4.2.2"}
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b([45]\d\d)[ -](?:#?([45]\.\d{1,3}\.\d{1,3})\s*)?(.{0,200})")
_MESSAGE_ID = re.compile(r"^Message-ID:\s*(<[^>\s]+>)", re.IGNORECASE | re.MULTILINE)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?\s*(reply|response)|automatische\s+antwort|abwesenheit|out\s+of\s+(the\s+)?office|"
    r"autoreply|auto:|abwesend|urlaub|vacation|ich\s+bin\s+(nicht\s+im\s+büro|abwesend))", re.IGNORECASE)
_DAEMON = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailer|double-bounce|mdaemon)@", re.IGNORECASE)


@dataclass(frozen=True)
class Verdict:
    kind: str
    message_pk: int | None = None
    reason: str = ""


def _verp_pattern() -> re.Pattern[str]:
    return re.compile(re.escape(settings.BOUNCE_LOCAL_PART) + r"\+[a-z0-9.\-]+@" + re.escape(settings.BOUNCE_DOMAIN),
                      re.IGNORECASE)


def _find_verp(msg: Message, raw: str) -> mail.VerpMatch | None:
    """Our VERP address: in the arrival headers, else anywhere in the mail (the returned headers)."""
    for header in ENVELOPE_HEADERS:
        for _name, address in getaddresses([str(v) for v in msg.get_all(header, [])]):
            match = mail.parse_verp(address)
            if match:
                return match
    for candidate in _verp_pattern().findall(raw):
        match = mail.parse_verp(candidate)
        if match:
            return match
    return None


def _message_by_id(msg: Message, raw: str, known: dict[str, int] | None = None) -> int | None:
    """The outbox message whose Message-ID a returned copy (or In-Reply-To/References) names.

    `known` maps Message-IDs to outbox ids, looked up once for a whole batch (handle_batch);
    without it, this mail's candidates are looked up on their own.
    """
    own = (msg.get("message-id") or "").strip()
    ids = [i for i in _MESSAGE_ID.findall(raw) if i != own]
    for header in ("in-reply-to", "references"):
        ids += re.findall(r"<[^>\s]+>", str(msg.get(header, "")))
    if not ids:
        return None
    if known is not None:
        return next((known[i] for i in ids if i in known), None)
    return OutboxMessage.objects.filter(message_id__in=ids[:20]).values_list("pk", flat=True).first()


_ANY_ID = re.compile(rb"<[^<>\s]{1,200}@[^<>\s]{1,200}>")


def known_message_ids(raws: list[bytes]) -> dict[str, int]:
    """Outbox ids of every Message-ID-like token in a batch of mails: one query instead of one per mail."""
    tokens = {t.decode("ascii", "replace") for raw in raws for t in _ANY_ID.findall(raw)[:50]}
    if not tokens:
        return {}
    return dict(OutboxMessage.objects.filter(message_id__in=tokens).values_list("message_id", "pk"))


def _delivery_status_blocks(msg: Message) -> list[Message]:
    blocks: list[Message] = []
    for part in msg.walk():
        if part.get_content_type() == "message/delivery-status" and part.is_multipart():
            payload = part.get_payload()
            blocks += [b for b in payload[1:] if isinstance(b, Message)]  # [0] holds the per-message fields
    return blocks


def _text_of(msg: Message, limit: int = 20_000) -> str:
    texts: list[str] = []
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
    return "\n".join(texts)[:limit]


def _clean(text: str) -> str:
    return " ".join(str(text).split())[:480]


def _from_dsn(blocks: list[Message]) -> tuple[str, str] | None:
    """(kind, reason) from the per-recipient fields of a DSN; the first failed recipient decides."""
    ranked: list[tuple[int, str, str]] = []
    for block in blocks:
        action = str(block.get("action", "")).strip().lower()
        status = _STATUS.search(str(block.get("status", "")))
        code = ".".join(status.groups()) if status else ""
        diagnostic = _clean(block.get("diagnostic-code", "")).removeprefix("smtp;").removeprefix("SMTP;").strip()
        reason = _clean(f"{code} {diagnostic}") or action
        if action.startswith(("fail", "error")):
            soft = code.startswith("4") or code in SOFT_STATUSES
            ranked.append((0 if not soft else 1, SOFT if soft else HARD, reason))
        elif action.startswith("delayed"):
            ranked.append((2, DELAYED, reason))
        else:  # delivered, relayed, expanded: a success notice
            ranked.append((3, NOTICE, reason))
    return min(ranked)[1:] if ranked else None


def _is_auto_reply(msg: Message) -> bool:
    sender = getaddresses([str(msg.get("from", ""))])
    if sender and _DAEMON.match(sender[0][1] or ""):
        return False
    auto = str(msg.get("auto-submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if any(msg.get(h) for h in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-autogenerated")):
        return True
    if str(msg.get("precedence", "")).strip().lower() in ("auto_reply", "bulk", "junk", "list"):
        return True
    return bool(_AUTO_SUBJECT.match(str(msg.get("subject", ""))))


def _reason_from_text(text: str) -> str:
    match = _SMTP_REPLY.search(text)
    if match:
        return _clean(" ".join(g for g in match.groups() if g))
    status = _STATUS.search(text)
    return status.group(0) if status else ""


def classify(raw: bytes, known: dict[str, int] | None = None) -> Verdict:
    """What one mail from the bounce mailbox is, and which outbox message it is about."""
    msg = email.message_from_bytes(raw)
    text = raw.decode("utf-8", "replace")
    verp = _find_verp(msg, text)
    pk = verp.pk if verp else _message_by_id(msg, text, known)
    blocks = _delivery_status_blocks(msg)
    if blocks:
        kind, reason = _from_dsn(blocks) or (UNMATCHED, "")
        return Verdict(kind if pk else UNMATCHED, pk, reason)
    if _is_auto_reply(msg):
        return Verdict(AUTO_REPLY, pk)
    if verp and verp.unsubscribe:
        return Verdict(UNSUBSCRIBE, pk)
    if pk is None:  # nothing of ours in it: no need to ask the heuristics
        return Verdict(UNMATCHED)
    try:
        temporary, permanent = all_failures(msg)
    except Exception:  # a detector tripping over an odd mail: treat it as unreadable
        log.warning("bounce mailbox: flufl.bounce could not read a mail about outbox %s", pk, exc_info=True)
        return Verdict(UNMATCHED, pk)
    if permanent or temporary:
        kind = HARD if permanent else SOFT
        reason = _reason_from_text(_text_of(msg)) or f"{kind} bounce without a status code"
        return Verdict(kind if pk else UNMATCHED, pk, reason)
    return Verdict(UNMATCHED, pk)


def read(raw: bytes, known: dict[str, int] | None = None) -> Verdict:
    """classify() that never raises: a mail it cannot read is UNMATCHED (and logged)."""
    try:
        return classify(raw, known)
    except Exception:  # a malformed mail must not stop the run: log it and set it aside
        log.exception("bounce mailbox: could not read a mail; moved to the unmatched folder")
        return Verdict(UNMATCHED)


def handle_batch(raws: list[bytes]) -> tuple[list[str], Counter]:
    """Classify a batch of mails and apply the results in one transaction.

    Returns the folder key of each mail ("processed" or "unmatched") and what was done. A database
    error propagates: then nothing of the batch is moved and the next run reads it again.
    """
    batch = services.BounceBatch()
    folders: list[str] = []
    kinds: Counter = Counter()
    known = known_message_ids(raws)
    for raw in raws:
        verdict = read(raw, known)
        kinds[verdict.kind] += 1
        folders.append("unmatched" if verdict.kind == UNMATCHED else "processed")
        if verdict.message_pk is None:
            continue
        if verdict.kind == HARD:
            batch.hard[verdict.message_pk] = verdict.reason
        elif verdict.kind == SOFT:
            batch.soft[verdict.message_pk] = verdict.reason
        elif verdict.kind == UNSUBSCRIBE:
            batch.unsubscribe.add(verdict.message_pk)
    done = services.record_bounces(batch)
    log.info("bounce mailbox: read %s; %s", dict(kinds), dict(done))
    return folders, done


# --- IMAP ------------------------------------------------------------------------------

def connect() -> imaplib.IMAP4:
    host, port, timeout = settings.BOUNCE_IMAP_HOST, settings.BOUNCE_IMAP_PORT, settings.BOUNCE_IMAP_TIMEOUT
    tls = settings.BOUNCE_IMAP_TLS.lower()
    if tls == "implicit":
        conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(host, port, ssl_context=ssl.create_default_context(),
                                                timeout=timeout)
    else:
        conn = imaplib.IMAP4(host, port, timeout=timeout)
        if tls == "starttls":
            conn.starttls(ssl_context=ssl.create_default_context())
    conn.login(settings.BOUNCE_IMAP_USER, settings.BOUNCE_IMAP_PASSWORD)
    return conn


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ensure_folder(conn: imaplib.IMAP4, folder: str) -> None:
    status, _data = conn.select(_quote(folder), readonly=True)
    if status != "OK":
        status, data = conn.create(_quote(folder))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot create folder {folder}: {data}")


_UID = re.compile(rb"\bUID (\d+)")


def fetch_batches(conn: imaplib.IMAP4, uids: list[bytes], size: int) -> Iterator[list[tuple[bytes, bytes]]]:
    """(uid, raw message) in batches of `size`, fetched with BODY.PEEK[] (the \\Seen flag stays unset)."""
    for start in range(0, len(uids), size):
        chunk = uids[start : start + size]
        status, data = conn.uid("FETCH", b",".join(chunk).decode(), "(UID BODY.PEEK[])")
        if status != "OK":
            raise imaplib.IMAP4.error(f"FETCH failed: {data}")
        batch: list[tuple[bytes, bytes]] = []
        for item in data:
            if isinstance(item, tuple):
                uid = _UID.search(item[0])
                if uid:
                    batch.append((uid.group(1), item[1]))
        yield batch


def _move(conn: imaplib.IMAP4, uids: Iterable[bytes], folder: str, can_move: bool) -> None:
    uid_set = b",".join(uids).decode()
    if not uid_set:
        return
    if can_move:
        status, data = conn.uid("MOVE", uid_set, _quote(folder))
    else:  # RFC 4315 UID EXPUNGE removes only these messages, after the copy succeeded
        status, data = conn.uid("COPY", uid_set, _quote(folder))
        if status == "OK":
            conn.uid("STORE", uid_set, "+FLAGS.SILENT", r"(\Deleted)")
            status, data = conn.uid("EXPUNGE", uid_set)
    if status != "OK":
        raise imaplib.IMAP4.error(f"moving to {folder} failed: {data}")


def process_mailbox(batch_size: int = 100, conn: imaplib.IMAP4 | None = None) -> Counter:
    """Read the bounce folder once; returns how many mails went to which folder."""
    own = conn is None
    conn = conn or connect()
    summary: Counter = Counter()
    try:
        folders = {"processed": settings.BOUNCE_IMAP_PROCESSED_FOLDER,
                   "unmatched": settings.BOUNCE_IMAP_UNMATCHED_FOLDER}
        for folder in folders.values():
            _ensure_folder(conn, folder)
        status, data = conn.select(_quote(settings.BOUNCE_IMAP_FOLDER))
        if status != "OK":
            raise imaplib.IMAP4.error(f"cannot open folder {settings.BOUNCE_IMAP_FOLDER}: {data}")
        capabilities = {c.upper() for c in conn.capabilities}
        can_move = "MOVE" in capabilities
        status, data = conn.uid("SEARCH", None, "UNDELETED")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for batch in fetch_batches(conn, uids, batch_size):
            destinations: dict[str, list[bytes]] = {"processed": [], "unmatched": []}
            keys, _done = handle_batch([raw for _uid, raw in batch])  # committed before anything moves
            for (uid, _raw), key in zip(batch, keys, strict=True):
                destinations[key].append(uid)
            for key, moved in destinations.items():
                if moved:
                    _move(conn, moved, folders[key], can_move)  # after each batch: work done stays done
                    summary[key] += len(moved)
    finally:
        if own:
            try:
                conn.logout()
            except (imaplib.IMAP4.error, OSError):
                pass
    return summary
