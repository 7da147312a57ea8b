"""debounce: a code held in view is sent once; after it has been out of view, again."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.debounce import Debouncer, InView, observe

A = "VG1CODEA"
B = "VG1CODEB"


def test_a_code_held_in_view_is_sent_once() -> None:
    debouncer = Debouncer(hold_seconds=0.5)
    sent = [debouncer.observe([A], now=i / 30) for i in range(90)]  # 3 s at 30 frames/s
    assert sent[0] == [A]
    assert all(s == [] for s in sent[1:])


def test_missed_frames_shorter_than_the_hold_do_not_resend() -> None:
    debouncer = Debouncer(hold_seconds=0.5)
    assert debouncer.observe([A], now=0.0) == [A]
    assert debouncer.observe([], now=0.1) == []
    assert debouncer.observe([], now=0.4) == []
    assert debouncer.observe([A], now=0.45) == []


def test_a_code_that_left_the_view_is_sent_again_when_it_returns() -> None:
    debouncer = Debouncer(hold_seconds=0.5)
    assert debouncer.observe([A], now=0.0) == [A]
    assert debouncer.observe([A], now=1.0) == [A]  # last seen 1 s ago: it had left
    assert debouncer.observe([A], now=1.4) == []


def test_the_hold_counts_from_the_last_sighting_not_the_first() -> None:
    debouncer = Debouncer(hold_seconds=0.5)
    for i in range(50):  # held for 5 s, seen every 0.1 s
        debouncer.observe([A], now=i / 10)
    assert debouncer.observe([A], now=4.9 + 0.5) == []
    assert debouncer.observe([A], now=5.4 + 0.51) == [A]


def test_codes_are_debounced_independently_and_sent_in_order_seen() -> None:
    debouncer = Debouncer(hold_seconds=0.5)
    assert debouncer.observe([A], now=0.0) == [A]
    assert debouncer.observe([B, A, B], now=0.1) == [B]
    assert debouncer.observe([A, B], now=0.2) == []


def test_a_clock_that_steps_back_does_not_resend() -> None:
    state, sent = observe(InView(), [A], now=10.0, hold_seconds=0.5)
    assert sent == [A]
    state, sent = observe(state, [A], now=3.0, hold_seconds=0.5)
    assert sent == []


def test_state_is_not_mutated() -> None:
    state, _ = observe(InView(), [A], now=0.0, hold_seconds=0.5)
    observe(state, [B], now=5.0, hold_seconds=0.5)
    assert dict(state.last_seen) == {A: 0.0}


def test_negative_hold_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Debouncer(hold_seconds=-1)
    with pytest.raises(ValueError, match="negative"):
        observe(InView(), [A], now=0.0, hold_seconds=-0.1)


# Sightings of one code at increasing times, in whole clock ticks so that gaps equal to the
# hold are exercised exactly (sums of decimal fractions would round either way).
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=40), max_size=60),
    hold=st.integers(min_value=0, max_value=20),
)
def test_sends_once_per_stay_in_view(gaps: list[int], hold: int) -> None:
    debouncer = Debouncer(hold_seconds=hold)
    now = 0
    sends = len(debouncer.observe([A], now))
    expected = 1
    for gap in gaps:
        now += gap
        sends += len(debouncer.observe([A], now))
        expected += gap > hold
    assert sends == expected


@given(
    frames=st.lists(st.lists(st.sampled_from([A, B, "VG1C"]), max_size=3), max_size=40),
    hold=st.floats(min_value=0, max_value=3),
)
def test_never_sends_a_code_that_is_still_in_view(frames: list[list[str]], hold: float) -> None:
    debouncer = Debouncer(hold_seconds=hold)
    last_seen: dict[str, float] = {}
    for i, codes in enumerate(frames):
        now = i * 0.1
        for code in debouncer.observe(codes, now):
            assert code in codes
            assert code not in last_seen or now - last_seen[code] > hold
        for code in codes:
            last_seen[code] = now
