"""Enrolment tokens, pure: their text, their digest, and whether one may still enrol.

A token reads ``vgt1.<hub_id>.<random>``: the hub's id lets the hub tell a tech that a
token belongs to another hub (a second installation, a demo) instead of "unknown"; the
random part is 32 bytes, so tokens cannot be guessed. The hub stores only the SHA-256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Final

from hub.errors import (
    DeviceRevoked,
    EnrolmentRefused,
    TokenExpired,
    TokenOtherHub,
    TokenUnknown,
    TokenUsed,
)

PREFIX: Final = "vgt1"
LIFETIME: Final = dt.timedelta(hours=24)
_TOKEN = re.compile(r"vgt1\.([0-9a-f]{16})\.([A-Za-z0-9_-]{43})")

UNKNOWN: Final = (
    "This enrolment token is not known to this hub; check it was copied whole, or ask the "
    "organiser for a new one (Devices, Re-key)."
)
USED: Final = (
    "This enrolment token was already used; ask the organiser for a new one (Devices, Re-key)."
)
EXPIRED: Final = (
    "This enrolment token has expired (tokens last 24 hours); ask the organiser for a new one "
    "(Devices, Re-key)."
)
REVOKED: Final = (
    "This device was revoked at the hub and cannot enrol again; ask the organiser to add a "
    "new device."
)


def new_hub_id() -> str:
    """A hub's id: 16 hex digits, made once per hub database."""
    return secrets.token_hex(8)


def new_token(hub_id: str) -> str:
    """A fresh token of hub `hub_id`."""
    return f"{PREFIX}.{hub_id}.{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    """What the hub stores of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_hub(token: str, hub_id: str) -> None:
    """Refuse a token that is not of the form this hub makes, or names another hub."""
    match = _TOKEN.fullmatch(token.strip())
    if match is None:
        raise TokenUnknown(UNKNOWN)
    if match.group(1) != hub_id:
        raise TokenOtherHub(
            f"This enrolment token was made by another hub (hub id {match.group(1)}, this "
            f"hub is {hub_id}); enrol with that hub's address, or ask this hub's organiser "
            "for a token."
        )


def refusal(
    *, used_at: dt.datetime | None, expires_at: dt.datetime, revoked: bool, now: dt.datetime
) -> EnrolmentRefused | None:
    """Why a known token cannot enrol its device now, or None when it can."""
    if revoked:
        return DeviceRevoked(REVOKED)
    if used_at is not None:
        return TokenUsed(USED)
    if now >= expires_at:
        return TokenExpired(EXPIRED)
    return None
