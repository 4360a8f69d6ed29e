"""Mail throttle shared by all worker processes: messages per second overall and per domain.

Slot reservation on Redis (a GCRA-style "theoretical arrival time" per key): one atomic Lua
script, using Redis' clock so workers on different machines agree, moves the key's next free
slot one interval ahead and returns how long the caller has to sleep until its own slot.
No polling, no busy waiting, and the rate holds across any number of processes.

A rate of 0 switches a limit off. When Redis is unreachable the throttle does not stop mail:
it falls back to spacing this process's own messages at the configured rate (so the overall
rate can briefly be exceeded by the number of worker processes) and logs a warning.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings

log = logging.getLogger(__name__)

KEY_PREFIX = "ruecklauf:mail-throttle:"

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local nxt = tat + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', nxt), 'PX', math.ceil((nxt - now) / 1000) + 1000)
return tat - now
"""

_client = None
_script = None
_local_next: dict[str, float] = {}
_local_lock = threading.Lock()


def _redis():  # noqa: ANN202
    global _client, _script
    url = getattr(settings, "CACHE_URL", "") or settings.REDIS_URL
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return None
    if _client is None:
        _client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        _script = _client.register_script(_RESERVE)
    return _script


def reserve(scope: str, rate: float) -> float:
    """Reserve the next slot of `scope` at `rate` per second; returns seconds to wait (0 = now)."""
    if rate <= 0:
        return 0.0
    interval_us = max(1, int(1_000_000 / rate))
    script = _redis()
    if script is not None:
        try:
            return max(0, int(script(keys=[KEY_PREFIX + scope], args=[interval_us]))) / 1_000_000
        except Exception as exc:  # redis.RedisError, OSError: fall back, never stop sending
            log.warning("mail throttle: Redis unavailable (%s), using a per-process limit", exc)
    with _local_lock:
        now = time.monotonic()
        slot = max(now, _local_next.get(scope, 0.0))
        _local_next[scope] = slot + interval_us / 1_000_000
        return slot - now


def wait_for_slot(recipient: str) -> float:
    """Sleep until this message may go out; returns the seconds slept."""
    slept = 0.0
    domain = recipient.rpartition("@")[2].lower()
    per_domain = settings.MAIL_RATE_PER_DOMAIN
    if per_domain > 0 and domain:
        delay = reserve(f"domain:{domain}", per_domain)
        if delay:
            time.sleep(delay)
            slept += delay
    delay = reserve("all", settings.MAIL_RATE)
    if delay:
        time.sleep(delay)
        slept += delay
    return slept


def reset(scope: str | None = None) -> None:
    """Forget reserved slots (tests and benchmarks)."""
    _local_next.clear()
    script = _redis()
    if script is None:
        return
    client = script.registered_client
    keys = [KEY_PREFIX + scope] if scope else list(client.scan_iter(KEY_PREFIX + "*"))
    if keys:
        client.delete(*keys)
