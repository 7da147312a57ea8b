"""Hybrid logical clocks: scan order that survives gates whose wall clocks disagree.

A stamp packs wall-clock milliseconds and a logical counter into one integer
(``ms << 16 | counter``), so stamps compare as integers and store in one SQLite column. A
gate stamps each scan with `HybridClock.tick` and folds in every stamp it receives with
`HybridClock.observe`; then a scan that causally follows another (the ticket was seen
admitted elsewhere) always gets a larger stamp, whatever the two wall clocks say.

Pure: the physical time is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

COUNTER_BITS: Final = 16
COUNTER_MAX: Final = (1 << COUNTER_BITS) - 1
# A stamp more than this far ahead of our wall clock is not believed: a peer with a wildly
# wrong clock must not drag every gate's clock (and every later scan time) with it.
MAX_FORWARD_MS: Final = 60_000


def pack(wall_ms: int, counter: int) -> int:
    """One integer from wall milliseconds and counter."""
    return (wall_ms << COUNTER_BITS) | counter


def unpack(stamp: int) -> tuple[int, int]:
    """(wall milliseconds, counter) of a stamp."""
    return stamp >> COUNTER_BITS, stamp & COUNTER_MAX


@dataclass
class HybridClock:
    """The clock of one gate; `last` is the largest stamp issued or observed."""

    last: int = 0

    def tick(self, physical_ms: int) -> int:
        """A stamp for a local event, larger than every stamp seen so far."""
        wall, counter = unpack(self.last)
        if physical_ms > wall:
            self.last = pack(physical_ms, 0)
        elif counter < COUNTER_MAX:
            self.last = pack(wall, counter + 1)
        else:
            self.last = pack(wall + 1, 0)  # counter exhausted: borrow a millisecond
        return self.last

    def observe(self, stamp: int, physical_ms: int) -> bool:
        """Fold in a received stamp; False (and ignored) when it is implausibly far ahead."""
        wall, _ = unpack(stamp)
        if wall - physical_ms > MAX_FORWARD_MS:
            return False
        self.last = max(self.last, stamp)
        return True


def skew_ms(remote_wall_ms: int, local_wall_ms: int) -> int:
    """How far a peer's wall clock is ahead (positive) or behind ours, in ms."""
    return remote_wall_ms - local_wall_ms


# Gates whose wall clocks differ by more than this are flagged: scan times shown to staff
# and managers would mislead, though the order of scans (by stamp) stays right.
MAX_SKEW_MS: Final = 5_000


def clock_suspect(peer_skews_ms: list[int], max_skew_ms: int = MAX_SKEW_MS) -> bool:
    """Whether this gate's own clock is the odd one out: most peers are far from it."""
    far = sum(1 for skew in peer_skews_ms if abs(skew) > max_skew_ms)
    return bool(peer_skews_ms) and far * 2 > len(peer_skews_ms)
