"""Which decoded codes to send to the gate: once when a code comes into view, not again
while it is held there.

A camera sees the same code in every frame while a phone is held up, and a decoder misses
it in some of them. A code is therefore *in view* from its first sighting until it has not
been seen for `hold_seconds`; it is sent once per stay in view. Pure: the caller passes
`now` (seconds on any steady clock) and keeps the returned state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

DEFAULT_HOLD_SECONDS = 1.5


@dataclass(frozen=True)
class InView:
    """The codes in view and when each was last seen."""

    last_seen: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))


def observe(
    state: InView, codes: Iterable[str], now: float, hold_seconds: float
) -> tuple[InView, list[str]]:
    """Record the codes seen in one frame at `now`; return the new state and the codes to send.

    A code is sent when it was not in view: never seen, or last seen more than
    `hold_seconds` before `now`. A clock that steps back (it should not) keeps codes in view
    rather than sending them again.
    """
    if hold_seconds < 0:
        raise ValueError("hold_seconds cannot be negative")
    seen = {code: at for code, at in state.last_seen.items() if now - at <= hold_seconds}
    to_send: list[str] = []
    for code in dict.fromkeys(codes):
        if code not in seen:
            to_send.append(code)
        seen[code] = max(now, seen.get(code, now))
    return InView(MappingProxyType(seen)), to_send


class Debouncer:
    """`observe` with its state kept: the scanner loop's view of what is in front of it."""

    def __init__(self, hold_seconds: float = DEFAULT_HOLD_SECONDS) -> None:
        if hold_seconds < 0:
            raise ValueError("hold_seconds cannot be negative")
        self.hold_seconds = hold_seconds
        self.state = InView()

    def observe(self, codes: Iterable[str], now: float) -> list[str]:
        """The codes among `codes` to send now (see `observe`)."""
        self.state, to_send = observe(self.state, codes, now, self.hold_seconds)
        return to_send
