"""The production check of the invitations app: the bounce mailbox's TLS mode (ruecklauf.E006).

Registered with the project's tag when the app is ready (InvitationsConfig.ready), so that
`check --deploy`, gunicorn's start (config.checks.refuse_to_start) and `/health/`
(config.checks.problems) report it without config/ knowing this app.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

BOUNCE_TLS_MODES = ("implicit", "starttls", "off")


@register("ruecklauf", deploy=True)
def check_bounce_tls(app_configs: Any = None, **kwargs: Any) -> list[Error]:  # noqa: ARG001
    # Production only, like every ruecklauf check: DEBUG off and not a test run.
    if settings.DEBUG or getattr(settings, "TESTING", False):
        return []
    if not settings.BOUNCE_IMAP_HOST or settings.BOUNCE_IMAP_TLS in BOUNCE_TLS_MODES:
        return []
    return [Error("BOUNCE_IMAP_TLS must be implicit (IMAPS, port 993), starttls (port 143) or off; any other "
                  "value would read the bounce mailbox without the encryption it seems to ask for.",
                  id="ruecklauf.E006")]
