"""The bounce mailbox: what came back, matched to the outbox message it is about, and acted on.

Every message leaves with its own return path bounce+<outbox id>.<hmac>@BOUNCE_DOMAIN (VERP,
invitations.mail.verp_address), so a bounce names its message: first in the headers the bounce
arrived with (To, Delivered-To, …), else in the returned copy of our message (its Return-Path or,
when a server rewrote the envelope, its Message-ID). No address is ever guessed from free text.

What the mail says is read by the standard first: an RFC 3464 delivery status notification
(multipart/report) is read per recipient (Action, Status, Diagnostic-Code) from its
message/delivery-status part, with header patterns the tests hold to the email package's own
reading (Headers); anything unusual is parsed by the email package itself. Other formats (Exim's
default text, old Exchange, qmail, …) go to flufl.bounce's detectors. Auto-replies (RFC 3834
Auto-Submitted, Exchange's X-Auto-Response-Suppress, the usual subjects) are recognised and
ignored; a mail to the List-Unsubscribe mailto address opts out.

The IMAP loop fetches with BODY.PEEK (nothing is marked read before it is handled), in batches,
and moves every mail it has looked at: recognised ones to BOUNCE_IMAP_PROCESSED_FOLDER, anything it
could not match or read to BOUNCE_IMAP_UNMATCHED_FOLDER for a person. Nothing is deleted; one
malformed mail is logged and moved aside, the run goes on.
"""

from __future__ import annotations

import contextlib
import email
import functools
import imaplib
import logging
import queue
import re
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from django.conf import settings
from flufl.bounce import all_failures
from flufl.bounce._detectors.exim import Exim

from . import mail, services
from .checks import BOUNCE_TLS_MODES
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


@functools.lru_cache(maxsize=4)
def _verp_regex(local_part: str, domain: str) -> re.Pattern[str]:
    return re.compile(re.escape(local_part) + r"\+[a-z0-9.\-]+@" + re.escape(domain), re.IGNORECASE)


def _verp_pattern() -> re.Pattern[str]:
    return _verp_regex(settings.BOUNCE_LOCAL_PART, settings.BOUNCE_DOMAIN)


def _find_verp(msg: Message | Headers, raw: str) -> mail.VerpMatch | None:
    """Our VERP address: in the arrival headers, else anywhere in the mail (the returned headers).

    Our addresses have a fixed shape (no quoting, no comments), so the pattern finds them in a
    header value without an address parser; parse_verp checks local part, domain and HMAC.
    """
    pattern = _verp_pattern()
    for header in ENVELOPE_HEADERS:
        for value in msg.get_all(header, None) or ():
            for candidate in pattern.findall(str(value)):
                match = mail.parse_verp(candidate)
                if match:
                    return match
    for candidate in pattern.findall(raw):
        match = mail.parse_verp(candidate)
        if match:
            return match
    return None


def _message_by_id(msg: Message | Headers, raw: str, known: dict[str, int] | None = None) -> int | None:
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


def _from_dsn(blocks: list[Message | Headers]) -> tuple[str, str] | None:
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


def _is_auto_reply(msg: Message | Headers) -> bool:
    if not _looks_automatic(msg):
        return False
    sender = getaddresses([str(msg.get("from", ""))])  # a mailer daemon's report is no auto-reply
    return not (sender and _DAEMON.match(sender[0][1] or ""))


def _looks_automatic(msg: Message | Headers) -> bool:
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


class Headers:
    """Header fields read without the email package: the top of a mail, or one block of a DSN.

    Deciding what a mail is needs only its headers, and for a DSN its message/delivery-status
    fields (RFC 3464: header syntax, blocks separated by blank lines). The email package's parser
    costs ~0.2–0.4 ms per mail even for the headers alone (it walks every line of the body too),
    several times an IMAP fetch of the mail (bench/bounce_mailbox.py); these regular expressions
    about 20 µs for a bounce's top header. Values are as compat32 gives them (encoded words not
    decoded), folded lines joined; a line that is no header line ends the block, as in the email
    package. Line ends are made LF first: patterns that start with a literal "\n" are scanned for in C, an optional "\r"
    in front made the engine try every position (the blank-line search alone 10 µs → 1 µs).
    """

    __slots__ = ("fields", "body_at")
    _END = re.compile(rb"\n\r?\n")
    _FOLD = re.compile(r"\n(?=[ \t])")
    # a header line, or (name empty) the first line that is none: reading stops there
    _LINE = re.compile(r"([!-9;-~]+)[ \t]*:[ \t]*([^\r\n]*)\r?(?:\n|\Z)|[^\n]*\n?")

    def __init__(self, raw: bytes) -> None:
        end = self._END.search(raw)
        self.body_at = end.end() if end else len(raw)
        block = (raw[: end.start()] if end else raw).replace(b"\r\n", b"\n").decode("utf-8", "replace")
        lead = block[:1] in (" ", "\t")
        unfolded = self._FOLD.sub("", block.lstrip(" \t") if lead else block)
        if lead:  # a first line that continues nothing is dropped (compat32 does)
            newline = unfolded.find("\n")
            unfolded = "" if newline < 0 else unfolded[newline + 1:]
        self.fields: dict[str, list[str]] = {}
        for name, value in self._LINE.findall(unfolded):
            if not name:
                break
            self.fields.setdefault(name.lower(), []).append(value.strip())

    def get(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name.lower())
        return values[0] if values else default

    def get_all(self, name: str, default: list | None = None) -> list[str] | None:
        return self.fields.get(name.lower(), default)


_BOUNDARY = re.compile(r'(?i);\s*boundary\s*=\s*(?:"([^"]+)"|([^\s;"]+))')
_DSN_PART = re.compile(rb"(?im)^content-type:[ \t]*message/delivery-status\b")
_ANY_DSN = re.compile(rb"(?i)message/delivery-status")


def _dsn_blocks(raw: bytes, head: Headers) -> list[Message | Headers]:
    """The per-recipient blocks of every delivery-status part.

    Fast path for RFC 3464 (the delivery-status part is a direct child of multipart/report, RFC
    6522): split the mail at its boundary and read only that part's fields. Anything else that
    mentions message/delivery-status is parsed whole with the email package, as before. The body
    is split with bytes.split on LF line ends: every boundary is new, and a pattern built from it
    was compiled once per mail.
    """
    content_type = head.get("content-type", "") or ""
    boundary = _BOUNDARY.search(content_type)
    if content_type.split(";", 1)[0].strip().lower() == "multipart/report" and boundary:
        blocks: list[Message | Headers] = []
        found = False
        delimiter = b"\n--" + (boundary[1] or boundary[2]).encode("utf-8", "replace")
        body = raw[max(head.body_at - 2, 0):].replace(b"\r\n", b"\n")
        for segment in body.split(delimiter)[1:]:  # [0]: the preamble
            if segment.startswith(b"--"):
                break  # the closing delimiter
            line_end = segment.find(b"\n")
            part = segment[line_end + 1:] if line_end >= 0 else b""
            header_end = part.find(b"\n\n")
            body_at = header_end + 2 if header_end >= 0 else len(part)
            if _DSN_PART.search(part, 0, body_at):
                found = True
                fields = [b for b in part[body_at:].strip(b"\r\n").split(b"\n\n") if b.strip()]
                blocks += [Headers(b) for b in fields[1:]]  # [0] holds the per-message fields
        if found:
            return blocks
    if _ANY_DSN.search(raw):
        return _delivery_status_blocks(email.message_from_bytes(raw))
    return []


@dataclass(frozen=True)
class Opened:
    """A mail's top headers and our VERP address in it, read once per mail.

    handle_batch needs the VERP address before classify (mails without one need the batch's
    Message-ID lookup); opening each mail once saves reading it twice (~45 µs per mail). The
    decoded text is not kept: a batch would hold all its mails twice, and decoding again costs
    under a microsecond.
    """

    head: Headers | Message
    verp: mail.VerpMatch | None
    msg: Message | None = None  # the email package's whole parse (fast=False only)


def open_mail(raw: bytes, *, fast: bool = True) -> Opened:
    """Read a mail's headers and find our VERP address in it (fast=False: with the email package)."""
    msg = None if fast else email.message_from_bytes(raw)
    head = Headers(raw) if fast else msg
    return Opened(head, _find_verp(head, raw.decode("utf-8", "replace")), msg)


def classify(raw: bytes, known: dict[str, int] | None = None, *, fast: bool = True,
             opened: Opened | None = None) -> Verdict:
    """What one mail from the bounce mailbox is, and which outbox message it is about.

    `fast=False` parses the whole mail with the email package first (the reference the tests compare
    the fast path with); the verdict is the same. `opened` is open_mail(raw) when already done.
    """
    opened = opened or open_mail(raw, fast=fast)
    msg, head, verp = opened.msg, opened.head, opened.verp
    pk = verp.pk if verp else _message_by_id(head, raw.decode("utf-8", "replace"), known)
    blocks = _dsn_blocks(raw, head) if fast else _delivery_status_blocks(msg)
    if blocks:
        kind, reason = _from_dsn(blocks) or (UNMATCHED, "")
        return Verdict(kind if pk else UNMATCHED, pk, reason)
    if _is_auto_reply(head):
        return Verdict(AUTO_REPLY, pk)
    if verp and verp.unsubscribe:
        return Verdict(UNSUBSCRIBE, pk)
    if pk is None:  # nothing of ours in it: no need to ask the heuristics
        return Verdict(UNMATCHED)
    temporary = permanent = frozenset()
    if fast and head.get("x-failed-recipients"):
        # flufl.bounce runs its detectors in order and stops at the first that finds something: with
        # no delivery-status part (checked above) its DSN detector finds nothing, and the next, Exim,
        # reads only this header. Same answer, without parsing the mail for the other detectors.
        temporary, permanent = Exim().process(head)
    if not (temporary or permanent):
        msg = msg or email.message_from_bytes(raw)  # only the non-standard remainder is parsed whole
        try:
            temporary, permanent = all_failures(msg)
        except Exception:  # a detector tripping over an odd mail: treat it as unreadable
            log.warning("bounce mailbox: flufl.bounce could not read a mail about outbox %s", pk, exc_info=True)
            return Verdict(UNMATCHED, pk)
    if permanent or temporary:
        kind = HARD if permanent else SOFT
        text = _plain_body(raw, head) if msg is None else None
        reason = _reason_from_text(text if text is not None else _text_of(msg or email.message_from_bytes(raw)))
        return Verdict(kind if pk else UNMATCHED, pk, reason or f"{kind} bounce without a status code")
    return Verdict(UNMATCHED, pk)


_CHARSET = re.compile(r'(?i);\s*charset\s*=\s*"?([a-z0-9_.:\-]+)')


def _plain_body(raw: bytes, head: Headers, limit: int = 20_000) -> str | None:
    """The text of a one-part text mail without transfer encoding (what _text_of gives); else None."""
    content_type = head.get("content-type", "") or ""
    main = content_type.split(";", 1)[0].strip().lower()
    encoding = (head.get("content-transfer-encoding", "") or "").strip().lower()
    if (main and not main.startswith("text/")) or encoding not in ("", "7bit", "8bit", "binary"):
        return None
    charset = _CHARSET.search(content_type)
    try:
        return raw[head.body_at:].decode(charset[1].lower() if charset else "utf-8", "replace")[:limit]
    except LookupError:  # an unknown charset: let the email package decide, as before
        return None


def read(raw: bytes, known: dict[str, int] | None = None, opened: Opened | None = None) -> Verdict:
    """classify() that never raises: a mail it cannot read is UNMATCHED (and logged)."""
    try:
        return classify(raw, known, opened=opened)
    except Exception:  # a malformed mail must not stop the run: log it and set it aside
        log.exception("bounce mailbox: could not read a mail; moved to the unmatched folder")
        return Verdict(UNMATCHED)


def _open_or_none(raw: bytes) -> Opened | None:
    try:
        return open_mail(raw)
    except Exception:  # read() opens it again and logs what is wrong with this mail
        return None


def read_batch(raws: list[bytes]) -> list[Verdict]:
    """read() for each mail of a batch, with one Message-ID query for the mails without a VERP address."""
    opened = [_open_or_none(raw) for raw in raws]
    known = known_message_ids([raw for raw, o in zip(raws, opened, strict=True) if o is None or o.verp is None])
    return [read(raw, known, o) for raw, o in zip(raws, opened, strict=True)]


def handle_batch(raws: list[bytes]) -> tuple[list[str], Counter]:
    """Classify a batch of mails and apply the results in one transaction.

    Returns the folder key of each mail ("processed" or "unmatched") and what was done. A database
    error propagates: then nothing of the batch is moved and the next run reads it again.
    """
    batch = services.BounceBatch()
    folders: list[str] = []
    kinds: Counter = Counter()
    for verdict in read_batch(raws):
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

class ConnectError(OSError):
    """No usable connection to the bounce mailbox (TLS, address, login); str() says why in one sentence, for the log."""


# OpenSSL's verify codes for "no trusted CA signed this" (X509_V_ERR_*): self-signed leaf, self-signed
# CA in the chain, issuer unknown, leaf signature not verifiable. A private CA is the usual cause.
_UNTRUSTED = {18, 19, 20, 21}
_NAME_MISMATCH = {62, 64}  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
_OPENSSL_NOISE = re.compile(r"^\[[A-Z0-9_]+: [A-Z0-9_]+\]\s*|\s*\(_ssl\.c:\d+\)$")


def _openssl_text(exc: OSError) -> str:
    """OpenSSL's words without "[SSL: CODE]" and "(_ssl.c:1006)": "wrong version number"."""
    return _OPENSSL_NOISE.sub("", str(exc.strerror or exc)).strip() or type(exc).__name__


def _tls_context() -> ssl.SSLContext:
    """Verifies the chain and the host name; BOUNCE_IMAP_CA_FILE replaces the system store (a private CA)."""
    ca_file = settings.BOUNCE_IMAP_CA_FILE or None
    try:
        return ssl.create_default_context(cafile=ca_file)
    except OSError as exc:  # missing file, or no certificate in it (ssl.SSLError)
        raise ConnectError(f"BOUNCE_IMAP_CA_FILE {ca_file} is no readable PEM file of CA certificates "
                           f"({_openssl_text(exc)})") from exc


def _tls_error(exc: ssl.SSLError, host: str, port: int) -> ConnectError:
    """One sentence for a failed TLS handshake instead of OpenSSL's "[SSL: …] … (_ssl.c:1006)"."""
    where = f"{host}:{port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = str(exc.verify_message).rstrip(".")
        if exc.verify_code in _UNTRUSTED:
            hint = "set BOUNCE_IMAP_CA_FILE to the CA certificate if a private CA issued it"
        elif exc.verify_code in _NAME_MISMATCH:
            hint = "BOUNCE_IMAP_HOST must be a name the certificate is issued for"
        else:
            hint = "the server needs a valid certificate"
        return ConnectError(f"the TLS certificate of {where} was refused ({why}), so no password was sent; {hint}")
    return ConnectError(f"the TLS handshake with {where} failed ({_openssl_text(exc)}); check that "
                        f"BOUNCE_IMAP_TLS and BOUNCE_IMAP_PORT fit this server")


def _connection_error(exc: OSError, host: str, port: int, timeout: int) -> ConnectError:
    """One sentence naming the settings to check instead of "[Errno 111] Connection refused"."""
    if isinstance(exc, socket.gaierror):
        return ConnectError(f"the name {host} cannot be resolved ({exc.strerror}); check BOUNCE_IMAP_HOST")
    if isinstance(exc, ConnectionRefusedError):
        return ConnectError(f"nothing accepts connections on {host}:{port}; check BOUNCE_IMAP_HOST and "
                            "BOUNCE_IMAP_PORT")
    if isinstance(exc, TimeoutError):
        return ConnectError(f"{host}:{port} did not answer within BOUNCE_IMAP_TIMEOUT ({timeout} s); check "
                            "BOUNCE_IMAP_PORT and BOUNCE_IMAP_TLS (an IMAPS port waits silently for a TLS handshake)")
    return ConnectError(f"the connection to {host}:{port} failed ({exc.strerror or exc}); check BOUNCE_IMAP_HOST "
                        "and BOUNCE_IMAP_PORT")


def _imap_text(exc: imaplib.IMAP4.error) -> str:
    """The server's words of an imaplib error: "Authentication failed." rather than "b'[AUTH…] …'"."""
    text = str(exc.args[0] if exc.args else exc)
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return re.sub(r"^\[[A-Z]+\]\s*", "", text).strip() or "no reason given"


def connect() -> imaplib.IMAP4:
    """A logged-in connection to the bounce mailbox; with TLS only to a server whose certificate checks out.

    Raises ConnectError (an OSError, as the task expects) with one sentence that names the settings
    to check: when TLS cannot be had (an untrusted or wrong certificate, a failed handshake, a
    server that does not offer STARTTLS; then the password has not been sent), when nothing answers
    at host and port, or when the server refuses the login.
    """
    host, port, timeout = settings.BOUNCE_IMAP_HOST, settings.BOUNCE_IMAP_PORT, settings.BOUNCE_IMAP_TIMEOUT
    tls = settings.BOUNCE_IMAP_TLS.lower()
    if tls not in BOUNCE_TLS_MODES:  # never fall back to plain text on a typo
        raise ConnectError(f"BOUNCE_IMAP_TLS={tls!r} is not one of implicit, starttls, off; nothing was sent")
    context = _tls_context() if tls in ("implicit", "starttls") else None
    conn: imaplib.IMAP4 | None = None
    try:
        try:
            if tls == "implicit":
                conn = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
            else:
                conn = imaplib.IMAP4(host, port, timeout=timeout)
                if tls == "starttls":
                    if "STARTTLS" not in conn.capabilities:  # imaplib would say "TLS not supported by server"
                        raise ConnectError(f"the IMAP server {host}:{port} does not offer STARTTLS, so no password "
                                           f"was sent; use its IMAPS port with BOUNCE_IMAP_TLS=implicit")
                    conn.starttls(ssl_context=context)
        except ssl.SSLError as exc:  # the handshake (a later SSLError is an ordinary connection error)
            raise _tls_error(exc, host, port) from exc
        except ConnectError:
            raise
        except OSError as exc:
            raise _connection_error(exc, host, port, timeout) from exc
        try:
            conn.login(settings.BOUNCE_IMAP_USER, settings.BOUNCE_IMAP_PASSWORD)
        except imaplib.IMAP4.error as exc:
            raise ConnectError(f"the IMAP server {host} refused the login of BOUNCE_IMAP_USER "
                               f"{settings.BOUNCE_IMAP_USER!r} ({_imap_text(exc)}); check BOUNCE_IMAP_USER and "
                               "BOUNCE_IMAP_PASSWORD") from exc
    except BaseException:
        _close(conn)
        raise
    return conn


def _close(conn: imaplib.IMAP4 | None) -> None:
    """Drop a connection that failed before or at login (no LOGOUT: there may be no session)."""
    if conn is not None:
        with contextlib.suppress(OSError):
            conn.shutdown()


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


class _Prefetch:
    """Runs a batch iterator in a thread, one batch ahead: the next FETCH travels while this one is read."""

    _END = object()

    def __init__(self, batches: Iterator[list[tuple[bytes, bytes]]]) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(batches,), name="bounce-fetch", daemon=True)
        self._thread.start()

    def _run(self, batches: Iterator[list[tuple[bytes, bytes]]]) -> None:
        try:
            for batch in batches:
                if not self._put(batch):
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
            return
        self._put(self._END)

    def _put(self, item: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator[list[tuple[bytes, bytes]]]:
        while True:
            item = self._queue.get()
            if item is self._END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def process_mailbox(batch_size: int = 500, conn: imaplib.IMAP4 | None = None) -> Counter:
    """Read the bounce folder once; returns how many mails went to which folder.

    With its own connections (conn None) the IMAP work runs beside the reading and the database
    work: one connection fetches the next batch (read-only, BODY.PEEK) while this batch is read and
    committed, another moves the batch before once its database transaction has committed. Order
    per mail stays: fetched, committed, then moved; a database error stops before that batch
    moves, a failed move stops the run (the mails not moved are read again next time, which
    changes nothing). With a given `conn` everything runs one step after the other on it: 0–20 %
    slower on 2,000 mails from a loopback Dovecot (bench/bounce_mailbox.py); the overlap matters
    more for a remote server's transfer time.
    """
    own = conn is None
    conn = conn or connect()
    fetch_conn: imaplib.IMAP4 | None = None
    prefetch: _Prefetch | None = None
    mover: ThreadPoolExecutor | None = None
    moves: list[Future] = []
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
        if own and len(uids) > batch_size:  # more than one batch: worth a second connection and threads
            fetch_conn = connect()
            status, data = fetch_conn.select(_quote(settings.BOUNCE_IMAP_FOLDER), readonly=True)
            if status != "OK":
                raise imaplib.IMAP4.error(f"cannot open folder {settings.BOUNCE_IMAP_FOLDER}: {data}")
            prefetch = _Prefetch(fetch_batches(fetch_conn, uids, batch_size))
            mover = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bounce-move")  # one at a time on conn
        batches: Iterable[list[tuple[bytes, bytes]]] = prefetch if prefetch else fetch_batches(conn, uids, batch_size)
        for batch in batches:
            for done in [f for f in moves if f.done()]:
                done.result()  # a failed move stops the run here
            destinations: dict[str, list[bytes]] = {"processed": [], "unmatched": []}
            keys, _done = handle_batch([raw for _uid, raw in batch])  # committed before anything moves
            for (uid, _raw), key in zip(batch, keys, strict=True):
                destinations[key].append(uid)
            for key, moved in destinations.items():
                if moved:  # after each batch: work done stays done
                    if mover:
                        moves.append(mover.submit(_move, conn, moved, folders[key], can_move))
                    else:
                        _move(conn, moved, folders[key], can_move)
                    summary[key] += len(moved)
        for future in moves:
            future.result()
    finally:
        if prefetch:
            prefetch.close()
        if mover:
            mover.shutdown(wait=True)  # every move already handed over finishes (its batch is committed)
        for connection in (fetch_conn, conn if own else None):
            if connection is not None:
                try:
                    connection.logout()
                except (imaplib.IMAP4.error, OSError):
                    pass
    return summary
