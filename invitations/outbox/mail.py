"""An outbox message as it goes out (headers, VERP return path, DKIM) and handed to the SMTP server.

What the mail says is rendered when it is queued (mailtext/render.py; the outbox row stores subject,
text and HTML), so what was sent can be shown to staff later and a retry sends exactly the same mail.

Sending uses one SMTP connection per worker process (opened lazily after the fork and
reused across tasks) and splits DATA in two: the body goes out, then `on_handoff()` runs
(the caller commits "handed off" in the database), then the final "." is sent and the reply
read. RFC 5321 §3.8: a server that loses the connection before the final "." must discard the
transaction, so before the hand-off nothing can have been delivered; after it, the server
may have accepted the message even if we never see the reply. See sending.py for how that
decides between "resend" and "never resend".
"""

from __future__ import annotations

import functools
import re
import smtplib
import socket
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import dkim
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.utils.crypto import constant_time_compare, salted_hmac

from ..mailtext.render import from_address, optout_url
from ..models import Invitation


def new_message_id() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<{uuid.uuid4().hex}.ruecklauf@{domain}>"


# --- envelope and headers (independent of what the text says) ---------------------------

VERP_UNSUBSCRIBE = "unsub-"
_VERP = re.compile(r"(?P<unsub>unsub-)?(?P<pk>\d{1,18})\.(?P<mac>[0-9a-f]{12})")


def _verp_mac(purpose: str, pk: int) -> str:
    return salted_hmac("ruecklauf.verp", f"{purpose}:{pk}", secret=settings.VERP_SECRET or None,
                       algorithm="sha256").hexdigest()[:12]


def verp_address(pk: int, *, unsubscribe: bool = False) -> str:
    """bounce+<id>.<hmac>@BOUNCE_DOMAIN (or bounce+unsub-<id>.<hmac>@… for the mailto unsubscribe).

    The HMAC makes the address unguessable: a forged bounce to bounce+<other id>… is not matched.
    """
    tag = VERP_UNSUBSCRIBE if unsubscribe else ""
    purpose = "unsubscribe" if unsubscribe else "bounce"
    return f"{settings.BOUNCE_LOCAL_PART}+{tag}{pk}.{_verp_mac(purpose, pk)}@{settings.BOUNCE_DOMAIN}"


@dataclass(frozen=True)
class VerpMatch:
    pk: int
    unsubscribe: bool


def parse_verp(address: str) -> VerpMatch | None:
    """The outbox id in one of our VERP addresses, None for anything else or a wrong HMAC."""
    local, _sep, domain = address.strip().strip("<>").rpartition("@")
    base, plus, tag = local.partition("+")
    if not plus or base.lower() != settings.BOUNCE_LOCAL_PART.lower() or \
            domain.lower() != settings.BOUNCE_DOMAIN.lower():
        return None
    match = _VERP.fullmatch(tag.lower())
    if match is None:
        return None
    unsubscribe = bool(match["unsub"])
    pk = int(match["pk"])
    if not constant_time_compare(match["mac"], _verp_mac("unsubscribe" if unsubscribe else "bounce", pk)):
        return None
    return VerpMatch(pk, unsubscribe)


def envelope_sender(message=None) -> str:  # noqa: ANN001 – an OutboxMessage
    """The SMTP MAIL FROM: the message's own VERP address when BOUNCE_DOMAIN is set."""
    if message is not None and message.pk and settings.BOUNCE_DOMAIN:
        return verp_address(message.pk)
    return getattr(settings, "MAIL_ENVELOPE_FROM", "") or parseaddr(settings.DEFAULT_FROM_EMAIL)[1]


def one_click_url(invitation: Invitation) -> str:
    """RFC 8058 target: a POST with "List-Unsubscribe=One-Click" opts out without a CSRF token."""
    return optout_url(invitation) + "ein-klick/"


def unsubscribe_headers(message) -> dict[str, str]:  # noqa: ANN001 – an OutboxMessage
    """List-Unsubscribe (https, and mailto when a bounce domain is set) and List-Unsubscribe-Post."""
    targets = [f"<{one_click_url(message.invitation)}>"]
    if settings.BOUNCE_DOMAIN and message.pk:
        targets.append(f"<mailto:{verp_address(message.pk, unsubscribe=True)}?subject=unsubscribe>")
    return {"List-Unsubscribe": ", ".join(targets), "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def message_headers(message) -> dict[str, str]:  # noqa: ANN001 – an OutboxMessage
    return {
        "Message-ID": message.message_id or new_message_id(),
        "Auto-Submitted": "auto-generated",
        **unsubscribe_headers(message),
    }


def build_email(message) -> EmailMultiAlternatives:  # noqa: ANN001 – an OutboxMessage
    """The e-mail of an outbox row (subject, text, HTML alternative, its fixed Message-ID)."""
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.invitation.reveal(message.body_text),
        from_email=from_address(message.invitation_id),
        to=[message.to_email],
        headers=message_headers(message),
    )
    if message.body_html:
        mail.attach_alternative(message.invitation.reveal(message.body_html), "text/html")
    return mail


def as_bytes(mail: EmailMultiAlternatives) -> bytes:
    return mail.message().as_bytes(linesep="\r\n")


# --- DKIM ------------------------------------------------------------------------------

# Headers the signature covers; RFC 8058 §3 asks that List-Unsubscribe(-Post) be among them.
DKIM_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"mime-version", b"content-type",
                b"list-unsubscribe", b"list-unsubscribe-post", b"auto-submitted"]


@functools.lru_cache(maxsize=4)
def _dkim_key(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"DKIM_PRIVATE_KEY_PATH: cannot read {path}: {exc}") from exc


def dkim_enabled() -> bool:
    return bool(settings.DKIM_PRIVATE_KEY_PATH and settings.DKIM_SELECTOR and settings.DKIM_DOMAIN)


def dkim_sign(raw: bytes) -> bytes:
    """The message with a DKIM-Signature header in front (unchanged when no key is configured)."""
    if not dkim_enabled():
        return raw
    signature = dkim.sign(raw, settings.DKIM_SELECTOR.encode(), settings.DKIM_DOMAIN.encode(),
                          _dkim_key(settings.DKIM_PRIVATE_KEY_PATH), include_headers=DKIM_HEADERS,
                          canonicalize=(b"relaxed", b"relaxed"))
    return signature + raw


def wire_bytes(mail: EmailMultiAlternatives) -> bytes:
    """Exactly what goes to the SMTP server: CRLF lines, DKIM-signed when configured."""
    return dkim_sign(as_bytes(mail))


# --- SMTP ------------------------------------------------------------------------------

class SMTPTemporaryError(Exception):
    """Worth another try later: 4xx reply, connection refused/lost before the hand-off."""


class SMTPPermanentError(Exception):
    """5xx reply: the message will never be accepted as it is."""


class SMTPUnconfirmed(Exception):
    """The connection broke after the hand-off: the server may or may not have the message."""


_connection: smtplib.SMTP | None = None


def _open() -> smtplib.SMTP:
    timeout = settings.EMAIL_TIMEOUT
    if getattr(settings, "EMAIL_USE_SSL", False):
        conn: smtplib.SMTP = smtplib.SMTP_SSL(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout,
                                              context=ssl.create_default_context())
    else:
        conn = smtplib.SMTP(settings.EMAIL_HOST, settings.EMAIL_PORT, timeout=timeout)
    # DATA goes out in two writes (body, then "."). Without TCP_NODELAY the small second write
    # waits for the ACK of the first (Nagle + delayed ACK: ~40 ms per message on Linux).
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.ehlo_or_helo_if_needed()
    if settings.EMAIL_USE_TLS:
        conn.starttls(context=ssl.create_default_context())
        conn.ehlo()
    if settings.EMAIL_HOST_USER:
        conn.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
    return conn


def close_connection(abort: bool = False) -> None:
    """Close this process's SMTP connection; abort=True drops the socket without QUIT
    (mid-DATA this makes the server discard the unfinished message)."""
    global _connection
    if _connection is not None and abort:
        try:
            _connection.close()
        except OSError:
            pass
    elif _connection is not None:
        try:
            _connection.quit()
        except (smtplib.SMTPException, OSError):
            try:
                _connection.close()
            except OSError:
                pass
    _connection = None


def _connection_for_send(fresh: bool) -> smtplib.SMTP:
    global _connection
    if fresh:
        close_connection()
    if _connection is None:
        _connection = _open()
    return _connection


_BARE_LF = re.compile(rb"(?<!\r)\n")


def _dot_stuffed(raw: bytes) -> bytes:
    body = _BARE_LF.sub(b"\r\n", raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))
    body = re.sub(rb"(?m)^\.", b"..", body)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def _reason(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _transaction(conn: smtplib.SMTP, sender: str, recipient: str, raw: bytes, on_handoff: Callable[[], None]) -> str:
    """MAIL/RCPT/DATA on an open connection; returns the server's acceptance line."""
    code, text = conn.mail(sender)
    if code != 250:
        _fail(conn, code, text)
    code, text = conn.rcpt(recipient)
    if code not in (250, 251):
        _fail(conn, code, text)
    code, text = conn.docmd("DATA")
    if code != 354:
        _fail(conn, code, text)
    conn.send(_dot_stuffed(raw))  # everything but the terminating "."
    on_handoff()
    try:
        conn.send(b".\r\n")
        code, text = conn.getreply()
    except (smtplib.SMTPServerDisconnected, OSError) as exc:
        raise SMTPUnconfirmed(f"connection lost after hand-off: {exc}") from exc
    if code == 250:
        return _reason(code, text)
    _fail(conn, code, text, in_transaction=False)
    raise AssertionError("unreachable")


def _fail(conn: smtplib.SMTP, code: int, text: bytes, in_transaction: bool = True) -> None:
    if in_transaction:
        try:
            conn.rset()
        except (smtplib.SMTPException, OSError):
            close_connection()
    if 400 <= code < 500 or code == -1:
        raise SMTPTemporaryError(_reason(code, text))
    raise SMTPPermanentError(_reason(code, text))


def deliver(sender: str, recipient: str, raw: bytes, on_handoff: Callable[[], None]) -> str:
    """Send one message over this process's SMTP connection (reconnecting once if it went stale).

    Raises SMTPTemporaryError, SMTPPermanentError or SMTPUnconfirmed; `on_handoff` is called
    exactly once, right before the final "." – only if the server accepted MAIL, RCPT and DATA.
    """
    handed_off = False

    def mark() -> None:
        nonlocal handed_off
        handed_off = True
        on_handoff()

    for attempt in (0, 1):
        try:
            conn = _connection_for_send(fresh=attempt > 0)
            return _transaction(conn, sender, recipient, raw, mark)
        except (SMTPTemporaryError, SMTPPermanentError, SMTPUnconfirmed):
            raise
        except smtplib.SMTPResponseException as exc:  # e.g. login/starttls refused
            close_connection()
            if 400 <= exc.smtp_code < 500:
                raise SMTPTemporaryError(_reason(exc.smtp_code, exc.smtp_error)) from exc
            raise SMTPPermanentError(_reason(exc.smtp_code, exc.smtp_error)) from exc
        except (smtplib.SMTPException, OSError) as exc:  # includes socket timeouts
            close_connection(abort=True)
            if handed_off:
                raise SMTPUnconfirmed(f"connection lost after hand-off: {exc}") from exc
            if attempt == 1 or isinstance(exc, ConnectionRefusedError):
                raise SMTPTemporaryError(f"{type(exc).__name__}: {exc}") from exc
            # A reused connection the server had closed: try once more on a fresh one.
        except BaseException:
            close_connection(abort=True)  # e.g. the hand-off could not be recorded: never send the "."
            raise
    raise AssertionError("unreachable")

