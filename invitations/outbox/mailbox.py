"""Mail as the recipient sees it, and the local mailbox used when no SMTP server is configured.

`DatabaseBackend` is Django's EMAIL_BACKEND without EMAIL_HOST: instead of printing to the log
(which made the outbox say "Gesendet" for mail nobody could read), every message is stored
exactly as it would go out (DKIM-signed if configured) in LocalMail, shared by all app servers,
and the staff area lists it. `preview()` turns raw bytes into what a mail client shows.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email import policy

from django.core.mail.backends.base import BaseEmailBackend

from ..models import LocalMail
from . import mail

# The headers a recipient (or a postmaster) looks at, in this order.
SHOWN_HEADERS = ("Return-Path", "From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                 "List-Unsubscribe-Post", "Auto-Submitted", "DKIM-Signature")


class DatabaseBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:  # noqa: ANN001
        rows = [LocalMail(to=", ".join(m.to)[:500], subject=str(m.subject)[:300],
                          message_id=str(m.extra_headers.get("Message-ID", ""))[:250],
                          raw=mail.dkim_sign(mail.as_bytes(m)))
                for m in email_messages]
        LocalMail.objects.bulk_create(rows)
        return len(rows)


@dataclass(frozen=True)
class Preview:
    headers: list[tuple[str, str]]
    text: str
    html: str
    size: int


def preview(raw: bytes, envelope_from: str = "") -> Preview:
    """Headers, plain text and HTML part of a mail, decoded."""
    message = email.message_from_bytes(raw, policy=policy.default)
    headers = [("Return-Path", f"<{envelope_from}>")] if envelope_from else []
    for name in SHOWN_HEADERS:
        for value in message.get_all(name, []):
            text = " ".join(str(value).split())
            headers.append((name, text[:120] + " …" if name == "DKIM-Signature" else text))
    text_part = message.get_body(("plain",))
    html_part = message.get_body(("html",))
    return Preview(headers=headers, text=text_part.get_content() if text_part else "",
                   html=html_part.get_content() if html_part else "", size=len(raw))


def outbox_preview(message) -> Preview:  # noqa: ANN001 – an OutboxMessage
    """An outbox row exactly as it goes out now (envelope, headers, both parts)."""
    return preview(mail.wire_bytes(mail.build_email(message)), mail.envelope_sender(message))
