"""Bounce mails as real mail servers send them (harness/bounce_mails/), filled in for one outbox message."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from invitations.outbox import mail

if TYPE_CHECKING:
    from invitations.models import OutboxMessage

FIXTURES = Path(__file__).parent / "bounce_mails"  # {{VERP}} etc. are filled per message


def fill(template: str, message: OutboxMessage) -> bytes:
    """A bounce fixture about `message`: its VERP and unsubscribe addresses, recipient and Message-ID."""
    raw = (FIXTURES / template).read_bytes()
    return (raw.replace(b"{{VERP}}", mail.verp_address(message.pk).encode())
            .replace(b"{{UNSUB}}", mail.verp_address(message.pk, unsubscribe=True).encode())
            .replace(b"{{RCPT}}", message.to_email.encode())
            .replace(b"{{MSGID}}", message.message_id.encode()))
