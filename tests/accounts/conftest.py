"""Helpers for the sign-in tests: logging in through the real forms, a second factor, aged counters."""


import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.core.cache import cache
from django.urls import reverse

PASSWORD = "Test-Passwort-123"


def post_login(client, username: str, password: str = PASSWORD, **request_extra):
    return client.post(reverse("staff:login"), {"username": username, "password": password}, **request_extra)


def post_code(client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code})


@pytest.fixture
def two_factor_user(staff_user):
    """The staff user with an authenticator app and recovery codes; returns (user, pyotp.TOTP, codes)."""
    secret = pyotp.random_base32()
    TOTP.activate(staff_user, secret)
    codes = RecoveryCodes.activate(staff_user).get_unused_codes()
    return staff_user, pyotp.TOTP(secret), codes


def recovery_codes_left(user) -> list[str]:
    return RecoveryCodes(Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
                         ).get_unused_codes()


def age_login_failures(seconds: float) -> int:
    """Move every counted failed login `seconds` into the past, as if that time had passed; returns
    how many counters were moved. (allauth keeps them as lists of timestamps in the cache.)"""
    redis = cache._cache.get_client(write=True)
    moved = 0
    for raw in redis.scan_iter(match="*allauth:rl:allauth.account:login_failed:*"):
        key = raw.decode().split(":", 2)[2]  # without Django's ":<version>:" prefix
        if key.endswith(":lock"):
            continue
        history = cache.get(key) or []
        cache.set(key, [stamp - seconds for stamp in history], timeout=3600)
        moved += 1
    return moved
