"""System checks that refuse a production start with something missing, in one sentence each.

Run by `manage.py check --deploy`, before gunicorn starts a worker (gunicorn.conf.py) and by
`/health/`. "Production" means DEBUG off and not a test run (RUECKLAUF_TESTING): in development
the console mail backend, in-process tasks and finder-served static files are what is wanted.

Each message names the setting and what to do, never its value (`/health/` shows them without
a login). Knows nothing of the apps: only settings; an app adds a check of its own by registering it
with the tag TAG as a deployment check (invitations/checks.py), and problems() gathers it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, register
from django.core.checks.registry import registry
from django.utils.module_loading import import_string

TAG = "ruecklauf"
# Values that are not secrets: the development fallback, the Docker build's and the docs' examples.
KNOWN_NOT_SECRET = {
    "insecure-development-key-do-not-use-in-production",
    "build-only-not-a-secret",
    "change-me",
    "changeme",
    "secret",
}
MIN_SECRET_LENGTH = 32


def in_production() -> bool:
    return not settings.DEBUG and not getattr(settings, "TESTING", False)


def _manifest_storage() -> Any | None:
    """The static files storage if it serves hashed names from a manifest (production), else None."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin

    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    try:
        storage_class = import_string(backend)
    except ImportError:
        return None
    return storage_class if issubclass(storage_class, ManifestFilesMixin) else None


def _found_static_files() -> Iterable[str]:
    from django.contrib.staticfiles.finders import get_finders

    for finder in get_finders():
        for path, _storage in finder.list(["CVS", ".*", "*~"]):
            yield path.replace("\\", "/")


def check_static_files() -> list[Error]:
    """Without `collectstatic` every page would answer 500 ("Missing staticfiles manifest entry")."""
    storage_class = _manifest_storage()
    if storage_class is None:
        return []
    manifest = Path(settings.STATIC_ROOT) / storage_class.manifest_name
    hint = "run `python manage.py collectstatic --noinput` (the Docker image does it when it is built)."
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8")).get("paths", {})
    except FileNotFoundError:
        return [Error(f"Static files are not collected: STATIC_ROOT has no {storage_class.manifest_name}; {hint}",
                      id="ruecklauf.E001")]
    except (OSError, ValueError):
        return [Error(f"The static files manifest in STATIC_ROOT cannot be read; {hint}", id="ruecklauf.E001")]
    missing = sorted({path for path in _found_static_files() if path not in entries})
    if missing:
        return [Error(f"The collected static files in STATIC_ROOT are out of date ({len(missing)} file(s) missing, "
                      f"e.g. {missing[0]}); {hint}", id="ruecklauf.E001")]
    return []


def check_secret_key() -> list[Error]:
    key = settings.SECRET_KEY or ""
    if key in KNOWN_NOT_SECRET or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 5:
        return [Error("SECRET_KEY is missing or not secret: set it to a long random value "
                      '(python3 -c "import secrets; print(secrets.token_urlsafe(50))").', id="ruecklauf.E002")]
    token_secret = getattr(settings, "TOKEN_SECRET", "") or key
    if token_secret in KNOWN_NOT_SECRET or len(token_secret) < MIN_SECRET_LENGTH:
        return [Error("TOKEN_SECRET is not secret: set it to a long random value or leave it out "
                      "(then SECRET_KEY is used).", id="ruecklauf.E002")]
    return []


def check_site_url() -> list[Error]:
    url = urlsplit(settings.SITE_URL)
    expected = "https" if settings.SECURE_HTTPS else "http"
    if url.scheme not in ("http", "https") or not url.netloc:
        return [Error("SITE_URL is not an absolute URL: set it to the public address, e.g. "
                      "https://umfrage.example.org (it starts every personal link in the e-mails).",
                      id="ruecklauf.E003")]
    if url.scheme != expected:
        if settings.SECURE_HTTPS:
            text = ("SITE_URL starts with http:// but SECURE_HTTPS=1: the links in the e-mails would use plain "
                    "http while the cookies need https; use the https:// address (or SECURE_HTTPS=0 without TLS).")
        else:
            text = ("SITE_URL starts with https:// but SECURE_HTTPS=0: cookies would travel without the secure "
                    "flag; set SECURE_HTTPS=1.")
        return [Error(text, id="ruecklauf.E003")]
    return []


def check_email() -> list[Error]:
    if settings.EMAIL_HOST:
        return []
    return [Error("EMAIL_HOST is not set: with DEBUG=0 invitations would only be printed to the log; set "
                  "EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS).",
                  id="ruecklauf.E004")]


def check_broker() -> list[Error]:
    if settings.CELERY_BROKER_URL or not getattr(settings, "EXPECT_WORKERS", True):
        return []
    return [Error("CELERY_BROKER_URL (or REDIS_URL) is not set: no worker would ever get a task, mails and "
                  "exports would run inside the web request; set it, or EXPECT_WORKERS=0 for a "
                  "single-process installation.", id="ruecklauf.E005")]


def check_embedded_stack() -> list[Error]:
    if not getattr(settings, "EMBEDDED_STACK", ""):
        return []
    return [Error("DATABASE_URL is not set: the embedded development PostgreSQL and Redis in var/ are for "
                  "`make run` only; set DATABASE_URL and REDIS_URL to the production servers.",
                  id="ruecklauf.E007")]


CHECKS = (check_embedded_stack, check_secret_key, check_site_url, check_email, check_broker, check_static_files)


@register(TAG, deploy=True)
def production_settings(app_configs: Any = None, **kwargs: Any) -> list[Error]:  # noqa: ARG001
    """The checks of this module, in this order (empty outside production)."""
    if not in_production():
        return []
    return [error for check in CHECKS for error in check()]


def _tagged_checks() -> list[Callable[..., list[Error]]]:
    """production_settings first, then the deployment checks the apps registered with TAG (by name)."""
    others = [check for check in registry.get_checks(include_deployment_checks=True)
              if TAG in getattr(check, "tags", ()) and check is not production_settings]
    return [production_settings, *sorted(others, key=lambda check: (check.__module__, check.__qualname__))]


def problems() -> list[Error]:
    """Every production misconfiguration that a check tagged TAG finds, this module's and the apps' (empty
    outside production); the ones in SILENCED_SYSTEM_CHECKS left out, as `check --deploy` leaves them out."""
    if not in_production():
        return []
    silenced = set(settings.SILENCED_SYSTEM_CHECKS)
    return [error for check in _tagged_checks() for error in check(app_configs=None) if error.id not in silenced]


def refuse_to_start() -> str:
    """For a server's start hook: the reason not to start ("" = go ahead). Runs every check
    `check --deploy` runs except those that need the database (it may still be starting), and
    leaves out the silenced ones as it does."""
    import django
    from django.core.checks import ERROR, run_checks
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
        messages = run_checks(include_deployment_checks=True)
    except ImproperlyConfigured as exc:
        return str(exc)
    return "\n".join(f"{m.msg} ({m.id})" for m in messages if m.level >= ERROR and not m.is_silenced())
