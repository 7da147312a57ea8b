"""Hybrid logical clocks: order that survives skewed wall clocks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gate_node.hlc import COUNTER_MAX, MAX_FORWARD_MS, HybridClock, pack, unpack


def test_stamps_follow_the_wall_clock_when_it_moves_forward() -> None:
    clock = HybridClock()
    assert unpack(clock.tick(1_000)) == (1_000, 0)
    assert unpack(clock.tick(1_005)) == (1_005, 0)


def test_a_stalled_or_backward_wall_clock_still_gives_increasing_stamps() -> None:
    clock = HybridClock()
    first = clock.tick(1_000)
    assert unpack(clock.tick(1_000)) == (1_000, 1)
    assert unpack(clock.tick(900)) == (1_000, 2)  # the clock was set back: order holds
    assert clock.last > first


def test_a_stamp_from_a_gate_ahead_moves_this_clock_on() -> None:
    behind = HybridClock()
    ahead_stamp = pack(5_000, 3)
    assert behind.observe(ahead_stamp, physical_ms=1_000)
    assert behind.tick(1_001) > ahead_stamp  # causally later, though our wall clock is behind


def test_implausibly_future_stamps_are_not_believed() -> None:
    clock = HybridClock()
    clock.tick(1_000)
    assert not clock.observe(pack(1_000 + MAX_FORWARD_MS + 1, 0), physical_ms=1_000)
    assert unpack(clock.tick(1_001)) == (1_001, 0)


def test_counter_overflow_borrows_a_millisecond() -> None:
    clock = HybridClock(pack(1_000, COUNTER_MAX))
    assert unpack(clock.tick(1_000)) == (1_001, 0)


@given(st.lists(st.tuples(st.booleans(), st.integers(0, 10**9)), max_size=60))
def test_every_stamp_is_larger_than_everything_seen_before(events: list[tuple[bool, int]]) -> None:
    clock = HybridClock()
    seen = 0
    for is_remote, ms in events:
        if is_remote:
            if clock.observe(pack(ms, 7), physical_ms=ms):
                seen = max(seen, pack(ms, 7))
        else:
            stamp = clock.tick(ms)
            assert stamp > seen
            seen = stamp
