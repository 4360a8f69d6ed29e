"""`/health/`: is this instance able to serve? For load balancers, Docker and monitoring.

Reports the database, Redis (broker and cache), whether a Celery worker answers a
control ping, and (only when there is one) each production misconfiguration that
config/checks.py finds. HTTP 200 when database and Redis are fine (a missing worker degrades the
service — mails and exports wait — but respondents can still answer), 503 otherwise.

No login is needed, so the output holds nothing sensitive: no host names, versions,
URLs or exception messages (those may contain user names or addresses; they go to the
log instead), only "ok" or "error: <exception class>".

Knows nothing of the apps: only settings, the database connection and the Celery app.
"""

import logging

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Seconds to wait for the first worker's answer (the wait is only this long when none answers).
WORKER_PING_TIMEOUT = 1.0
REDIS_TIMEOUT = 2.0


def _error(component: str, exc: BaseException) -> str:
    logger.warning("health check: %s failed: %s: %s", component, type(exc).__name__, exc)
    return f"error: {type(exc).__name__}"


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _error("database", exc)
    return "ok"


def redis_urls() -> list[str]:
    """The distinct Redis URLs in use: the Celery broker and the cache (often the same server)."""
    urls = [getattr(settings, "CELERY_BROKER_URL", ""), getattr(settings, "CACHE_URL", "")]
    found: list[str] = []
    for url in urls:
        if url and url.startswith(("redis://", "rediss://", "unix://")) and url not in found:
            found.append(url)
    return found


def check_redis() -> str:
    urls = redis_urls()
    if not urls:
        return "not configured"
    for url in urls:
        client = redis.Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT)
        try:
            client.ping()
        except Exception as exc:
            return _error("redis", exc)
        finally:
            client.close()
    return "ok"


def check_worker(redis_status: str) -> str:
    """Ask the workers for a control ping on a fresh broker connection; the first answer suffices."""
    if not getattr(settings, "CELERY_BROKER_URL", ""):
        return "not configured (tasks run in-process)"
    if redis_status != "ok":
        return "unknown (broker unavailable)"
    from config.celery import app

    try:
        with app.connection_for_write() as conn:
            replies = app.control.ping(timeout=WORKER_PING_TIMEOUT, connection=conn, limit=1)
    except Exception as exc:
        return _error("worker ping", exc)
    return "ok" if replies else "no worker answered"


def check_configuration() -> list[str]:
    """The production checks that also refuse a start (config/checks.py): one sentence per problem.
    They name settings, never their values, so they may be shown without a login."""
    from config.checks import problems

    return [f"{error.msg} ({error.id})" for error in problems()]


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    database = check_database()
    redis_status = check_redis()
    worker = check_worker(redis_status)
    configuration = check_configuration()
    healthy = database == "ok" and redis_status in ("ok", "not configured") and not configuration
    if not healthy:
        status = "error"
    elif worker in ("ok", "not configured (tasks run in-process)"):
        status = "ok"
    else:
        status = "degraded"
    body = {"status": status, "database": database, "redis": redis_status, "worker": worker}
    if settings.EMBEDDED_STACK and settings.DEBUG:  # development only: production refuses it (E007)
        body["setup"] = settings.EMBEDDED_STACK
    if configuration:  # only present when something is wrong
        body["configuration"] = configuration
    return JsonResponse(body, status=200 if healthy else 503)


urlpatterns = [path("", health, name="health")]
