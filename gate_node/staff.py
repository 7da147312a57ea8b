"""Door staff: stewards scan, supervisors may also annul scans and admit over rejections.

Staff sign in with a PIN alone (fast at the door). PINs are hashed with scrypt under a salt
shared by the replica, so that a PIN identifies its owner with one hash; PINs are therefore
unique within a replica. Sessions live in the memory of the gate that granted them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

from gate_node.errors import InvalidStaff

Role = Literal["steward", "supervisor"]
ROLES: Final[tuple[Role, ...]] = ("steward", "supervisor")
SESSION_LIFETIME: Final = dt.timedelta(hours=12)
MAX_FAILURES: Final = 5
FAILURE_WINDOW: Final = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A member of the door staff as the gate knows them."""

    id: str
    name: str
    role: Role

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"


def check_pin(pin: str) -> None:
    """Refuse PINs that are not 4 to 12 digits."""
    if not (4 <= len(pin) <= 12 and pin.isascii() and pin.isdigit()):
        raise InvalidStaff("a PIN is 4 to 12 digits")


def check_role(role: str) -> Role:
    """The role named, or InvalidStaff."""
    for known in ROLES:
        if role == known:
            return known
    raise InvalidStaff(f"unknown role {role!r}: use steward or supervisor")


def hash_pin(pin: str, salt: bytes) -> str:
    """scrypt (n=2^14, r=8, p=1) of the PIN: about 40 ms, so guessing offline is slow too."""
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()


class Sessions:
    """Signed-in staff by session token, on this gate, expiring after `SESSION_LIFETIME`."""

    def __init__(self) -> None:
        self._sessions: dict[str, tuple[StaffMember, dt.datetime]] = {}

    def create(self, staff: StaffMember, now: dt.datetime) -> str:
        """A new session token for `staff`."""
        token = secrets.token_urlsafe(32)
        self._sessions[token] = (staff, now + SESSION_LIFETIME)
        return token

    def get(self, token: str | None, now: dt.datetime) -> StaffMember | None:
        """The staff member signed in with `token`, if the session is still valid."""
        if token is None:
            return None
        entry = self._sessions.get(token)
        if entry is None:
            return None
        if entry[1] <= now:
            del self._sessions[token]
            return None
        return entry[0]

    def drop(self, token: str | None) -> None:
        """End a session (sign-out)."""
        if token is not None:
            self._sessions.pop(token, None)

    def drop_staff(self, staff_id: str) -> None:
        """End every session of one staff member (when they are disabled)."""
        for token in [t for t, (s, _) in self._sessions.items() if s.id == staff_id]:
            del self._sessions[token]


class SignInThrottle:
    """At most `MAX_FAILURES` wrong PINs per client per `FAILURE_WINDOW`."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[dt.datetime]] = {}

    def allowed(self, client: str, now: dt.datetime) -> bool:
        failures = self._failures.get(client)
        if not failures:
            return True
        while failures and now - failures[0] > FAILURE_WINDOW:
            failures.popleft()
        return len(failures) < MAX_FAILURES

    def failed(self, client: str, now: dt.datetime) -> None:
        self._failures.setdefault(client, deque()).append(now)

    def succeeded(self, client: str) -> None:
        self._failures.pop(client, None)
