"""Personal links and access codes that a copy of the database alone does not give away.

Each invitation has two credentials: the token of its personal link `/s/<token>/` and the
access code printed on letters. Neither is stored as such. The database holds, per credential,
- a keyed hash, HMAC-SHA256(lookup key, credential): the unique, indexed column a presented
  link or code is looked up by (one index probe, as with a plain column), and
- the credential encrypted with Fernet (AES-128-CBC + HMAC, `cryptography`), so that the app
  can still put the link into a reminder or show the code to staff.

Both keys are derived from TOKEN_SECRET (default: SECRET_KEY), which lives in the environment,
never in the database: a dump, a backup or an SQL injection that reads tables yields neither a
working link nor a code, and without the key the hashes cannot be tested offline either (an
unkeyed hash of a 69-bit access code could be brute-forced).

Rotation: put the new secret in TOKEN_SECRET and the old one(s) in TOKEN_SECRET_FALLBACKS.
Lookups then accept hashes under every listed secret and decryption tries each, so every link
and code already sent keeps working; `manage.py rotate_token_secret` re-encrypts and re-hashes
all invitations under the new secret, after which the fallback can be removed
(docs/operations.md, "Secrets").
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import signing

TOKEN = "token"
ACCESS_CODE = "access-code"
# Stored copies of e-mails (the outbox) hold these instead of the link's token and the code;
# they are filled in when a message is sent (Invitation.conceal / reveal).
TOKEN_PLACEHOLDER = "{ruecklauf:token}"
CODE_PLACEHOLDER = "{ruecklauf:access-code}"

# The access code from a letter: 14 symbols shown in three groups (ABCDE-FGHJ-KMNPQ, 16 characters
# with the dashes), from 31 symbols without the look-alikes 0/O, 1/I/L.
# Why that is enough: 31^14 ≈ 2^69.4 codes. The rate limit (TOKEN_RATELIMIT, 20 wrong tries per
# 10 minutes per client) allows one client 2,880 guesses a day; even 10,000 clients guessing for a
# whole 8-week field period (≈ 1.6 × 10^9 ≈ 2^30.6 guesses) against 100,000 valid codes (2^16.6)
# find one with probability 2^(30.6 + 16.6 − 69.4) ≈ 2^−22, about one in four million.
ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_GROUPS = (5, 4, 5)
ACCESS_CODE_LENGTH = sum(ACCESS_CODE_GROUPS)


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 256 bits


def new_access_code() -> str:
    return "".join(secrets.choice(ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))


def normalize_access_code(raw: str) -> str:
    """What a person typed → the stored form: case, spaces and dashes do not matter.

    Codes issued before the short format (26 characters, Crockford base32) read O as 0 and
    I/L as 1; the short alphabet has none of these five, so the same mapping serves both."""
    cleaned = "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())
    return cleaned.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def format_access_code(code: str) -> str:
    """ABCDE-FGHJ-KMNPQ for a short code; groups of five for a code of the older 26-character kind."""
    if len(code) == ACCESS_CODE_LENGTH:
        groups, start = [], 0
        for size in ACCESS_CODE_GROUPS:
            groups.append(code[start : start + size])
            start += size
        return "-".join(groups)
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def _secrets() -> tuple[str, ...]:
    """The current secret first, then the fallbacks still accepted."""
    current = getattr(settings, "TOKEN_SECRET", "") or settings.SECRET_KEY
    fallbacks = tuple(s for s in getattr(settings, "TOKEN_SECRET_FALLBACKS", ()) if s and s != current)
    return (current, *fallbacks)


def _derive(secret: str, purpose: str) -> bytes:
    return hmac.new(secret.encode(), f"ruecklauf invitation credentials: {purpose}".encode(), hashlib.sha256).digest()


@functools.lru_cache(maxsize=8)
def _keys(all_secrets: tuple[str, ...]) -> tuple[tuple[bytes, ...], MultiFernet]:
    lookup = tuple(_derive(s, "lookup") for s in all_secrets)
    fernet = MultiFernet([Fernet(base64.urlsafe_b64encode(_derive(s, "encryption"))) for s in all_secrets])
    return lookup, fernet


def _hash(key: bytes, kind: str, value: str) -> str:
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def stored_hash(kind: str, value: str) -> str:
    """The keyed hash stored for a credential (under the current secret)."""
    return _hash(_keys(_secrets())[0][0], kind, value)


def lookup_hashes(kind: str, value: str) -> list[str]:
    """Every hash a stored row of this credential may carry: one per accepted secret."""
    return [_hash(key, kind, value) for key in _keys(_secrets())[0]]


def matches(stored: str, kind: str, value: str) -> bool:
    """Constant-time check that a row found by its hash really belongs to the presented value."""
    return any(hmac.compare_digest(stored, candidate) for candidate in lookup_hashes(kind, value))


def encrypt(value: str) -> str:
    return _keys(_secrets())[1].encrypt(value.encode()).decode()


def decrypt(ciphertext: str) -> str:
    """The credential; ValueError (naming the setting) when no accepted secret opens it."""
    try:
        return _keys(_secrets())[1].decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "A personal link cannot be decrypted: TOKEN_SECRET (or SECRET_KEY) differs from the secret it was "
            "made with; put the old secret into TOKEN_SECRET_FALLBACKS."
        ) from None


def is_current(ciphertext: str, stored: str, kind: str) -> bool:
    """True when a row is already encrypted and hashed under the current secret (rotation is done for it)."""
    current = _keys(_secrets()[:1])[1]
    try:
        value = current.decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        return False
    return hmac.compare_digest(stored, stored_hash(kind, value))


def _optout_signer() -> signing.Signer:
    keys = [_derive(secret, "opt-out").hex() for secret in _secrets()]
    return signing.Signer(key=keys[0], fallback_keys=keys[1:], salt="invitations.optout", sep=".", algorithm="sha256")


def optout_token(invitation_pk: int) -> str:
    """The opt-out links' own token, "<invitation id>.<signature>": it only unsubscribes.

    A mail provider or link scanner that follows the List-Unsubscribe link holds no questionnaire
    link. Signed, not stored: it needs no column and survives a token rotation like the links do.
    """
    return _optout_signer().sign(str(invitation_pk))


def optout_invitation_pk(token: str) -> int | None:
    """The invitation an opt-out token names, or None for anything else (a forged or altered token)."""
    try:
        value = _optout_signer().unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isascii() and value.isdigit() else None
