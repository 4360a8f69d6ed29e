"""gunicorn settings read at every start (`gunicorn -c gunicorn.conf.py`; it is also gunicorn's default file).

Before any worker starts, the master runs Django's system checks including the deployment ones
(config/checks.py): a production start with static files, SECRET_KEY, SITE_URL, EMAIL_HOST or the
broker missing stops here with one sentence naming the setting, instead of serving 500 pages.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's Arbiter
    from config.checks import refuse_to_start

    reason = refuse_to_start()
    if reason:
        # gunicorn prints a RuntimeError from this hook as "Error: <reason>" and exits with status 1
        raise RuntimeError(f"Rücklauf does not start: {reason}")
