"""Keep personal tokens out of logs: request lines for /s/<token>/ are redacted."""

import logging
import re

TOKEN_PATH = re.compile(r"/(s|abmelden)/[A-Za-z0-9_\-]{8,}/")  # personal link and opt-out link


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and ("/s/" in record.msg or "/abmelden/" in record.msg):
            record.msg = TOKEN_PATH.sub(r"/\1/[token]/", record.msg)
        if record.args:
            record.args = tuple(
                TOKEN_PATH.sub(r"/\1/[token]/", a) if isinstance(a, str) else a for a in record.args
            ) if isinstance(record.args, tuple) else record.args
        return True
