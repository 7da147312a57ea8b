"""feedback: one signal per outcome, the simulated outputs, and the gpiozero backend on
gpiozero's own mock pins."""

from __future__ import annotations

import logging
import time

import pytest
from gpiozero.pins.mock import MockFactory

from hardware.errors import FeedbackUnavailable
from hardware.feedback import (
    ADMITTED,
    FAULT,
    REJECTED,
    BuzzerPattern,
    Signal,
    SimulatedFeedback,
    open_feedback,
    signal_for,
)
from hardware.gpio_feedback import GpioFeedback, GpioPins


def test_admitted_is_green_one_short_beep_and_a_relay_pulse() -> None:
    signal = signal_for("ok")
    assert signal == ADMITTED
    assert signal.light == "green"
    assert signal.buzzer.count == 1
    assert signal.buzzer.on_seconds <= 0.15
    assert signal.relay_seconds is not None
    assert signal.relay_seconds > 0


def test_rejected_is_red_three_beeps_and_no_relay() -> None:
    signal = signal_for("rejected")
    assert signal == REJECTED
    assert signal.light == "red"
    assert signal.buzzer.count == 3
    assert signal.relay_seconds is None


def test_a_gate_that_did_not_decide_is_red_one_long_beep() -> None:
    for status in ("error", "", "something new"):
        assert signal_for(status) == FAULT
    assert FAULT.light == "red"
    assert FAULT.buzzer.count == 1
    assert FAULT.buzzer.on_seconds >= 0.5
    assert FAULT.relay_seconds is None
    assert FAULT.buzzer.duration != REJECTED.buzzer.duration


def test_pattern_duration() -> None:
    assert REJECTED.buzzer.duration == pytest.approx(3 * 0.1 + 2 * 0.08)


def test_simulated_feedback_records_time_stamped_events() -> None:
    clock = iter([100.0, 200.0])
    feedback = SimulatedFeedback(clock=lambda: next(clock))
    feedback.show(ADMITTED)
    feedback.show(REJECTED)
    assert feedback.signals == [ADMITTED, REJECTED]
    first = [e for e in feedback.events if e.at < 200.0]
    assert ("green", "on") in [(e.output, e.action) for e in first]
    assert [(e.output, e.seconds) for e in first if e.action == "pulse"] == [("relay", 0.6)]
    beeps = feedback.beeps()
    assert [b.at for b in beeps] == pytest.approx([100.0, 200.0, 200.18, 200.36])
    second = [(e.output, e.action) for e in feedback.events if e.at >= 200.0]
    assert ("green", "off") in second
    assert ("red", "on") in second
    assert "relay" not in [output for output, _ in second]


def pin_history(factory: MockFactory, pin: int) -> list[bool]:
    """The states a mock pin went through, repeats folded."""
    states: list[bool] = []
    for state in factory.pin(pin).states:
        if not states or states[-1] != bool(state.state):
            states.append(bool(state.state))
    return states


def wait_until_low(factory: MockFactory, pins: list[int], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while any(factory.pin(p).state for p in pins):
        assert time.monotonic() < deadline, "outputs stayed on"
        time.sleep(0.01)


# The real signals' shapes, shortened so the test does not wait seconds for lights to go out.
QUICK_ADMITTED = Signal("green", 0.1, BuzzerPattern(0.02, 0.0, 1), relay_seconds=0.05)
QUICK_REJECTED = Signal("red", 0.15, BuzzerPattern(0.02, 0.02, 3), relay_seconds=None)


def test_gpio_backend_drives_the_pins_on_gpiozero_mock_pins() -> None:
    factory = MockFactory()
    pins = GpioPins(green=5, red=6, buzzer=13, relay=19)
    feedback = GpioFeedback(pins, pin_factory=factory)
    try:
        feedback.show(QUICK_ADMITTED)
        assert factory.pin(pins.green).state
        assert factory.pin(pins.relay).state
        wait_until_low(factory, [pins.green, pins.buzzer, pins.relay])
        assert pin_history(factory, pins.green) == [False, True, False]
        assert pin_history(factory, pins.buzzer) == [False, True, False]
        assert pin_history(factory, pins.relay) == [False, True, False]
        assert pin_history(factory, pins.red) == [False]

        feedback.show(QUICK_REJECTED)
        assert factory.pin(pins.red).state
        wait_until_low(factory, [pins.red, pins.buzzer])
        assert pin_history(factory, pins.buzzer) == [False] + [True, False] * 4
        assert pin_history(factory, pins.relay) == [False, True, False]  # no second pulse
    finally:
        feedback.close()
        factory.close()


def test_auto_falls_back_to_simulated_feedback_with_a_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A pin library that cannot load stands for a machine without GPIO, on any machine.
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-pin-library")
    with caplog.at_level(logging.WARNING, logger="hardware.feedback"):
        feedback = open_feedback("auto")
    assert isinstance(feedback, SimulatedFeedback)
    assert "no GPIO outputs on this machine" in caplog.text
    assert "using simulated feedback" in caplog.text


def test_asking_for_gpio_where_there_is_none_is_a_clean_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "no-such-pin-library")
    with pytest.raises(FeedbackUnavailable) as caught:
        open_feedback("gpio")
    assert caught.value.code == "feedback_unavailable"


def test_simulated_on_request() -> None:
    assert isinstance(open_feedback("simulated"), SimulatedFeedback)
