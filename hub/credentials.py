"""Passwords, session tokens, CSRF tokens and API keys: how each secret is made and checked.

Passwords are hashed with argon2id. Session tokens and API keys are 256-bit random strings,
so a plain SHA-256 of them is a safe lookup key (no dictionary to attack); only that hash is
stored. A CSRF token is an HMAC of the session token, so it needs no storage of its own.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

API_KEY_PREFIX: Final = "vgk_"
MIN_PASSWORD_LENGTH: Final = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    """Whether `password` matches; never raises for a damaged hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _stand_in_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def spend_a_password_check(password: str) -> None:
    """Verify `password` against a stand-in hash, made once: an unknown account then takes
    as long to refuse as a wrong password (one argon2 verification, not a hash and one)."""
    password_matches(_stand_in_hash(), password)


def password_problem(password: str) -> str | None:
    """Why `password` is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > 1000:
        return "the password is too long"
    return None


def new_token() -> str:
    """A fresh random session token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The stored form of a session token or API key."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: bytes, session_token: str) -> str:
    """The CSRF token that forms and scripts of this session must send back."""
    return hmac.new(secret_key, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_matches(secret_key: bytes, session_token: str, candidate: str) -> bool:
    """Whether `candidate` is the session's CSRF token; never raises, whatever was sent."""
    # compare_digest refuses str with non-ASCII characters (a header or form field can
    # hold any): compare bytes. Nothing replaced by "?" can equal a hex token.
    return hmac.compare_digest(
        csrf_token(secret_key, session_token).encode(), candidate.encode("utf-8", "replace")
    )


def new_api_key() -> tuple[str, str]:
    """A fresh API key and its public prefix (what lists show and lookups start from)."""
    prefix = secrets.token_hex(6)
    return f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}", prefix


def api_key_prefix(key: str) -> str | None:
    """The prefix of something shaped like an API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, rest = key[len(API_KEY_PREFIX) :].partition("_")
    if not sep or len(prefix) != 12 or not rest:
        return None
    return prefix
