"""A real SMTP server for tests and the benchmark: aiosmtpd on 127.0.0.1 at a free port.

It records every accepted message and can answer with temporary (451) or permanent (550)
errors for chosen recipients, to drive the retry and failure paths.
"""

from __future__ import annotations

import email
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller

from harness.serve import free_port


@dataclass
class Received:
    rcpt: str
    data: bytes
    at: float
    mail_from: str = ""

    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)

    def text(self) -> str:
        return self.message().get_body(("plain",)).get_content()

    def html(self) -> str:
        return self.message().get_body(("html",)).get_content()


@dataclass
class Handler:
    messages: list[Received] = field(default_factory=list)
    reject_rcpt: dict[str, str] = field(default_factory=dict)      # address → "550 …"
    temp_fail_data: dict[str, int] = field(default_factory=dict)   # address → number of 451 answers left
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.reject_rcpt:
            return self.reject_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        rcpt = envelope.rcpt_tos[0]
        with self.lock:
            left = self.temp_fail_data.get(rcpt, 0)
            if left:
                self.temp_fail_data[rcpt] = left - 1
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            for address in envelope.rcpt_tos:
                self.messages.append(Received(address, envelope.original_content or envelope.content,
                                              time.monotonic(), envelope.mail_from))
        return "250 2.0.0 Message accepted for delivery"


class Sink:
    def __init__(self) -> None:
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def count(self) -> int:
        with self.handler.lock:
            return len(self.handler.messages)

    def per_recipient(self) -> Counter:
        return Counter(m.rcpt for m in self.messages)

    def clear(self) -> None:
        with self.handler.lock:
            self.handler.messages.clear()


def tokens_in(text: str, site_url: str) -> set[str]:
    return set(re.findall(re.escape(site_url) + r"/s/([A-Za-z0-9_\-]+)/", text))
