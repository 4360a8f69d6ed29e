"""Rate limit for wrong personal links and access codes, per client, in the shared cache.

Only misses count (a wrong token or code); once a client has used up its allowance
(settings.TOKEN_RATELIMIT, e.g. "20/10m") every token lookup from it is answered with 429
until the window ends. The client address is only hashed into a cache key; it is never
written to the database or the logs. If the cache is unreachable the limit fails open:
respondents must not be locked out because Redis is down.

Asking Redis on every request held a gunicorn worker idle for a round trip on each page save
(bench/page_saves.py, page saves only, 16 concurrent: 223 → 245 per second without it).
A process therefore remembers for LOCAL_TRUST_SECONDS that a client was *not* blocked, and
forgets it at that client's next miss.
Blocks themselves are never remembered locally, so clearing the cache lifts them at once. What
the shortcut can let through: while a client's allowance runs out in another process, this process
may still serve it a right token (harmless: it has the token) and evaluates at most one more
wrong guess per thread (that miss is counted, refused and drops the local entry).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger(__name__)
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """"20/10m" → (20, 600)."""
    match = _RATE.match(rate or "")
    if not match:
        return 20, 600
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _SECONDS[unit]


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind a trusted proxy (BEHIND_PROXY) the address the proxy appended."""
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR") or "unknown"


def _key(request: HttpRequest) -> tuple[str, int, int]:
    limit, period = parse_rate(settings.TOKEN_RATELIMIT)
    window = int(time.time()) // period
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip(request)}".encode()).hexdigest()[:32]
    return f"rl:token-miss:{digest}:{window}", limit, period


LOCAL_TRUST_SECONDS = 30.0
_LOCAL_MAX_CLIENTS = 10_000
_not_blocked_until: dict[str, float] = {}  # cache key → monotonic time; per process


def is_blocked(request: HttpRequest) -> bool:
    key, limit, _period = _key(request)
    now = time.monotonic()
    if _not_blocked_until.get(key, 0.0) > now:
        return False
    try:
        blocked = int(cache.get(key) or 0) >= limit
    except Exception:  # noqa: BLE001 - fail open when the cache is down
        logger.warning("rate limit cache unavailable; not limiting")
        return False
    if not blocked:
        if len(_not_blocked_until) >= _LOCAL_MAX_CLIENTS:
            _not_blocked_until.clear()
        _not_blocked_until[key] = now + LOCAL_TRUST_SECONDS
    return blocked


def record_miss(request: HttpRequest) -> bool:
    """Count a wrong token or code; True when this miss used up the allowance."""
    key, limit, period = _key(request)
    _not_blocked_until.pop(key, None)
    try:
        cache.add(key, 0, period + 5)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, period + 5)
            count = 1
    except Exception:  # noqa: BLE001
        logger.warning("rate limit cache unavailable; not limiting")
        return False
    return count > limit


def too_many(request: HttpRequest) -> HttpResponse:
    """The German 429 page for a client that has used up its allowance."""
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(parse_rate(settings.TOKEN_RATELIMIT)[1])
    return response
