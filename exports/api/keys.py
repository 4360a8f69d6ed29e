"""API keys: made, found and revoked here, and nowhere else.

A key reads `rl_<prefix>_<secret>`: the prefix (8 random characters, stored and shown) finds the row,
the SHA-256 of the whole key is compared in constant time. A fast hash is right here: the secret has
256 random bits, so nobody guesses it from the hash; a slow password hash would only slow down
every request. The plain key exists once, in the return value of `create_key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts import audit
from exports.models import ApiKey
from surveys.models import Survey

from . import access

PREFIX_LENGTH = 8
_ALPHABET = "abcdefghijkmnopqrstuvwxyz23456789"


class KeyRefused(Exception):
    """A request's key is missing, malformed, unknown, revoked or expired (→ 401)."""

    def __init__(self, reason: str, prefix: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.prefix = prefix


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    plain: str  # shown once, never stored


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def create_key(user: Any, name: str, survey: Survey | None = None, days: int | None = None,
               request: HttpRequest | None = None) -> NewKey:
    days = settings.API_KEY_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_KEY_MAX_DAYS:
        raise ValueError(f"days must be between 1 and {settings.API_KEY_MAX_DAYS}")
    while True:
        prefix = "".join(secrets.choice(_ALPHABET) for _ in range(PREFIX_LENGTH))
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    plain = f"rl_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(user=user, name=name[:100], prefix=prefix, secret_hash=_digest(plain),
                                survey=survey, expires_at=timezone.now() + timedelta(days=days))
    audit.record("api.key_created", request=request, user=user, survey=survey, target=prefix, name=key.name,
                 days=days)
    return NewKey(key, plain)


def revoke_key(key: ApiKey, request: HttpRequest | None = None, user: Any = None) -> bool:
    """Revoke once; False if it already was."""
    updated = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if updated:
        audit.record("api.key_revoked", request=request, user=user or key.user, survey=key.survey,
                     target=key.prefix)
    return bool(updated)


def key_from_header(header: str) -> str | None:
    """The key of an Authorization header: `Bearer KEY` or HTTP Basic with the key as password."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise KeyRefused("malformed Basic credentials") from None
        _user, sep, password = decoded.partition(":")
        if not sep or not password:
            raise KeyRefused("Basic credentials without a password (the password is the API key)")
        return password
    return None


def find_key(plain: str) -> ApiKey:
    """The usable key for `plain`, or KeyRefused (unknown, revoked, expired, inactive user)."""
    parts = plain.split("_", 2)  # the secret itself may hold "_"
    if len(parts) != 3 or parts[0] != "rl" or len(parts[1]) != PREFIX_LENGTH:
        raise KeyRefused("unknown API key")
    prefix = parts[1]
    key = ApiKey.objects.select_related("user", "survey").filter(prefix=prefix).first()
    # compare even without a row, so that a missing prefix costs the same time
    expected = key.secret_hash if key is not None else "0" * 64
    if not hmac.compare_digest(expected, _digest(plain)) or key is None:
        raise KeyRefused("unknown API key", prefix)
    if key.revoked_at is not None:
        raise KeyRefused("this API key was revoked", prefix)
    if key.expires_at <= timezone.now():
        raise KeyRefused("this API key has expired", prefix)
    if not key.user.is_active:
        raise KeyRefused("the account of this API key is deactivated", prefix)
    return key


def authenticate(request: HttpRequest) -> ApiKey | None:
    """The key of the request (None without an Authorization header); records its use once per request."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    try:
        plain = key_from_header(header)
        if plain is None:
            return None
        key = find_key(plain)
    except KeyRefused as refused:
        audit.record("api.request", request=request, target=refused.prefix, outcome="refused",
                     path=request.path[:200], reason=refused.reason)
        raise
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # once a minute is enough to tell
    audit.record("api.request", request=request, user=key.user, survey=key.survey, target=key.prefix,
                 path=request.path[:200])
    return key


def visible_surveys(key: ApiKey) -> Any:
    """The surveys this key may read anything of: its user's, narrowed to the key's survey."""
    surveys = access.surveys_for(key.user)
    return surveys.filter(pk=key.survey_id) if key.survey_id else surveys


def allows(key: ApiKey, survey: Survey, capability: str) -> bool:
    """Whether the key may use `capability` on `survey` (never more than its user's role)."""
    if key.survey_id is not None and key.survey_id != survey.pk:
        return False
    return access.can(key.user, survey, capability)


def refuse(request: HttpRequest, key: ApiKey, survey: Survey | None, capability: str) -> None:
    """Record a refusal of an authenticated key (→ 403 or 404)."""
    audit.record("api.request", request=request, user=key.user, survey=survey, target=key.prefix,
                 outcome="refused", path=request.path[:200], capability=capability)
