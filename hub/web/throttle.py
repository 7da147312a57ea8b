"""Slowing down password guessing: a few failed sign-ins per email, then a wait.

Kept in the hub process's memory: a restart forgets it, which is acceptable for a brake
on guessing (argon2 already makes each guess slow); it is not an account lock-out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
WAIT = dt.timedelta(minutes=5)
# Bounded memory: an attacker cycling through made-up emails must not grow it without end.
MAX_TRACKED = 10_000


@dataclass
class _Failures:
    count: int
    first_at: dt.datetime
    blocked_until: dt.datetime | None = None


@dataclass
class SignInThrottle:
    """Counts failed sign-ins per email; after MAX_FAILURES within WINDOW, asks for WAIT."""

    failures: dict[str, _Failures] = field(default_factory=dict)

    def wait_left(self, email: str, now: dt.datetime) -> dt.timedelta | None:
        """How long `email` must wait before trying again, or None if it may try now."""
        entry = self.failures.get(email)
        if entry is None or entry.blocked_until is None:
            return None
        if entry.blocked_until <= now:
            del self.failures[email]
            return None
        return entry.blocked_until - now

    def failed(self, email: str, now: dt.datetime) -> None:
        """Record a failed attempt; the MAX_FAILURES-th within WINDOW starts the wait."""
        entry = self.failures.get(email)
        if entry is None or now - entry.first_at > WINDOW:
            if len(self.failures) >= MAX_TRACKED:
                self._forget_oldest()
            entry = self.failures[email] = _Failures(0, now)
        entry.count += 1
        if entry.count >= MAX_FAILURES:
            entry.blocked_until = now + WAIT

    def succeeded(self, email: str) -> None:
        self.failures.pop(email, None)

    def _forget_oldest(self) -> None:
        oldest = sorted(self.failures.items(), key=lambda item: item[1].first_at)
        for email, _ in oldest[: MAX_TRACKED // 10]:
            del self.failures[email]


def minutes(wait: dt.timedelta) -> int:
    """A wait in whole minutes, rounded up (never "0 minutes")."""
    return max(1, -(-int(wait.total_seconds()) // 60))
