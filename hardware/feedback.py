"""What the door does with a scan answer: lights, beeps and the turnstile relay.

The signal for each answer is data (`signal_for`), so staff learn one pattern per outcome:
admitted is green, one short beep and a relay pulse that frees the turnstile; rejected is
red and three beeps; a gate that cannot answer is red and one long beep. Outputs sit behind
one interface: `GpioFeedback` (hardware/gpio_feedback.py) on a Pi, `SimulatedFeedback`
everywhere else, recording what it would have done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from hardware.errors import FeedbackUnavailable

log = logging.getLogger(__name__)

Light = Literal["green", "red"]
Output = Literal["green", "red", "buzzer", "relay"]


@dataclass(frozen=True)
class BuzzerPattern:
    """`count` beeps of `on_seconds`, `off_seconds` apart."""

    on_seconds: float
    off_seconds: float
    count: int

    @property
    def duration(self) -> float:
        """How long the pattern sounds, from the first beep's start to the last one's end."""
        return self.count * self.on_seconds + (self.count - 1) * self.off_seconds


@dataclass(frozen=True)
class Signal:
    """The feedback for one scan answer."""

    light: Light
    light_seconds: float
    buzzer: BuzzerPattern
    relay_seconds: float | None  # None: the turnstile stays locked


OK_BEEP = BuzzerPattern(0.08, 0.0, 1)
REJECTED_BEEPS = BuzzerPattern(0.1, 0.08, 3)
FAULT_BEEP = BuzzerPattern(0.8, 0.0, 1)

ADMITTED = Signal("green", 1.0, OK_BEEP, relay_seconds=0.6)
REJECTED = Signal("red", 1.5, REJECTED_BEEPS, relay_seconds=None)
# The gate did not decide (unreachable, or it answered with an error): not the same thing as
# a rejected ticket, so staff hear the difference and can call a tech.
FAULT = Signal("red", 2.0, FAULT_BEEP, relay_seconds=None)


def signal_for(status: str) -> Signal:
    """The signal for a scan answer's `status`: `ok`, `rejected`, or anything else (a fault)."""
    if status == "ok":
        return ADMITTED
    if status == "rejected":
        return REJECTED
    return FAULT


class Feedback(Protocol):
    """Outputs that show a signal. `show` returns at once; patterns play in the background."""

    def show(self, signal: Signal) -> None:
        """Start showing `signal`, replacing whatever was showing."""
        ...

    def close(self) -> None:
        """Switch everything off and release the outputs."""
        ...


@dataclass(frozen=True)
class FeedbackEvent:
    """One thing an output did: `action` on `output` at `at` for `seconds`."""

    at: float
    output: Output
    action: Literal["on", "off", "beep", "pulse"]
    seconds: float = 0.0


@dataclass
class SimulatedFeedback:
    """Feedback for machines without GPIO: records (and logs) what the outputs would do.

    Events are stamped with `clock` plus their offset in the pattern, so a test can check
    the order, count and length of beeps without waiting for them.
    """

    clock: Callable[[], float] = time.monotonic
    events: list[FeedbackEvent] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    def show(self, signal: Signal) -> None:
        """Record `signal` as the outputs would play it."""
        now = self.clock()
        other: Light = "red" if signal.light == "green" else "green"
        self.signals.append(signal)
        self.events.append(FeedbackEvent(now, other, "off"))
        self.events.append(FeedbackEvent(now, signal.light, "on", signal.light_seconds))
        self.events.append(FeedbackEvent(now + signal.light_seconds, signal.light, "off"))
        pattern = signal.buzzer
        for i in range(pattern.count):
            at = now + i * (pattern.on_seconds + pattern.off_seconds)
            self.events.append(FeedbackEvent(at, "buzzer", "beep", pattern.on_seconds))
        if signal.relay_seconds is not None:
            self.events.append(FeedbackEvent(now, "relay", "pulse", signal.relay_seconds))
        log.info(
            "feedback: %s light %.1f s, %d beep(s) of %.2f s%s",
            signal.light,
            signal.light_seconds,
            pattern.count,
            pattern.on_seconds,
            f", relay {signal.relay_seconds:.1f} s" if signal.relay_seconds else "",
        )

    def close(self) -> None:
        """Nothing to release."""

    def beeps(self) -> list[FeedbackEvent]:
        """The beeps sounded, in order."""
        return [e for e in self.events if e.action == "beep"]


FeedbackKind = Literal["auto", "gpio", "simulated"]


def open_feedback(kind: FeedbackKind = "auto") -> Feedback:
    """The outputs to drive: `gpio` or fail, `simulated`, or `auto` (GPIO when present).

    `auto` on a machine without GPIO logs one warning saying why and falls back to
    simulated feedback, so a laptop or a test box can run the scanner.
    """
    if kind == "simulated":
        return SimulatedFeedback()
    from hardware.gpio_feedback import GpioFeedback  # noqa: PLC0415 (gpiozero is optional; it imports this module)

    try:
        return GpioFeedback()
    except FeedbackUnavailable as exc:
        if kind == "gpio":
            raise
        log.warning("no GPIO outputs on this machine (%s): using simulated feedback", exc)
        return SimulatedFeedback()
