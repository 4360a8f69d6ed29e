"""Keep personal tokens out of logs: request lines for /s/<token>/ are redacted."""

import logging
import re

# personal link and opt-out link; the token ends at "/", "?", a blank, a quote or the end
TOKEN_PATH = re.compile(r"/(s|abmelden)/[A-Za-z0-9_.\-]{8,}(?=[/?\s\"']|$)")


class RedactTokens(logging.Filter):
    """Redacts the formatted message, so tuple args (Django), mapping args (gunicorn's access
    log) and pre-formatted strings are all covered."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logging's problem, not ours
            return True
        if "/s/" in message or "/abmelden/" in message:
            record.msg = TOKEN_PATH.sub(r"/\1/[token]", message)
            record.args = None
        return True
