"""Uploaded files waiting for their uploader's confirmation (upload → report → apply), for every
staff upload (questionnaire definitions here, the member register in invitations).

The bytes wait in the shared cache for an hour under the uploading user and the sha256 of the
content: the key in the URL is short (never the content), another user's key finds nothing, and
the confirmation reads back exactly the bytes that were checked, so nothing but the key comes
from the client. A cache that is down reads like an expired upload.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

log = logging.getLogger(__name__)

TTL_SECONDS = 60 * 60
T = TypeVar("T")
_DIGEST = re.compile(r"[0-9a-f]{64}")


@dataclass
class StoredUpload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Uploads:
    kind: str  # part of the cache key and of the log lines, e.g. "register"

    def _cache_key(self, user_id: int, key: str) -> str:
        return f"staff:{self.kind}-upload:{user_id}:{key}"

    def store(self, user_id: int, filename: str, data: bytes) -> str:
        """Keep the upload; returns its key. Raises when the cache cannot take it."""
        key = hashlib.sha256(data).hexdigest()
        cache.set(self._cache_key(user_id, key), {"filename": filename, "data": data}, TTL_SECONDS)
        return key

    def store_or_say_why(self, request: HttpRequest, filename: str, data: bytes) -> str | None:
        """`store` for the requesting user; on a cache failure None and a message for the user."""
        try:
            return self.store(request.user.pk, filename, data)
        except Exception:
            log.exception("%s upload: cannot store upload in cache", self.kind)
            messages.error(request, _("Die Datei konnte nicht zwischengespeichert werden. Bitte versuchen Sie "
                                      "es in einigen Minuten erneut."))
            return None

    def load(self, user_id: int, key: str) -> StoredUpload | None:
        """The upload of this user under `key`, or None (expired, someone else's, cache down, or a
        key that no upload can have: the URL's text never becomes a cache key unchecked)."""
        if not _DIGEST.fullmatch(key):
            return None
        try:
            entry = cache.get(self._cache_key(user_id, key))
        except Exception:  # cache (Redis) unavailable: like an expired upload
            log.exception("%s upload: cache unavailable", self.kind)
            return None
        if not isinstance(entry, dict) or hashlib.sha256(entry.get("data", b"")).hexdigest() != key:
            return None
        return StoredUpload(entry["filename"], entry["data"])

    def parsed(self, user_id: int, key: str, build: Callable[[], T], *, variant: str = "") -> T:
        """What `build` makes of the upload under `key`: built once, then kept beside its bytes.

        Reading a spreadsheet is the slow part of a preview (seconds near the size limits): a reload
        of the preview and the confirming POST read the kept result. It is the server's own reading of
        the kept bytes, so it is as trustworthy as they are; what depends on the database is the
        caller's to look up again. A cache that is down only means building it again. `variant` keeps
        results apart that differ by more than the file, e.g. messages worded in the page's language.
        """
        cache_key = self._cache_key(user_id, key) + ":parsed" + (f":{variant}" if variant else "")
        try:
            kept = cache.get(cache_key)
        except Exception:  # noqa: BLE001 - the cache is an optimisation here
            kept = None
        if kept is not None:
            return kept
        value = build()
        with contextlib.suppress(Exception):
            cache.set(cache_key, value, TTL_SECONDS)
        return value

    def discard(self, user_id: int, key: str) -> None:
        base = self._cache_key(user_id, key)
        cache.delete_many([base, base + ":parsed", *(f"{base}:parsed:{code}" for code, _name in settings.LANGUAGES)])
