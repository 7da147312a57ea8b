"""Feedback on a Raspberry Pi's GPIO pins through gpiozero: two LEDs, a buzzer, a relay."""

from __future__ import annotations

import importlib
import warnings
from dataclasses import dataclass
from typing import Any

from hardware.errors import FeedbackUnavailable
from hardware.feedback import Signal


@dataclass(frozen=True)
class GpioPins:
    """BCM pin numbers of the outputs (the kiosk wiring in images/)."""

    green: int = 17
    red: int = 27
    buzzer: int = 22
    relay: int = 23


class GpioFeedback:
    """LEDs, buzzer and turnstile relay driven by gpiozero; patterns play in its threads.

    `pin_factory` is gpiozero's: None picks the board's own (lgpio, RPi.GPIO, ...);
    tests pass gpiozero's MockFactory to run this exact code without a board.
    """

    def __init__(self, pins: GpioPins | None = None, *, pin_factory: Any = None) -> None:
        pins = pins or GpioPins()
        try:
            gpiozero = importlib.import_module("gpiozero")
        except ImportError as exc:
            raise FeedbackUnavailable(f"gpiozero is not installed: {exc}") from exc
        opened: list[Any] = []
        try:
            # Without a board, gpiozero warns once per pin library it tries before it gives
            # up; the give-up is reported below, so the warnings would only repeat it.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", gpiozero.PinFactoryFallback)
                for make, pin in (
                    (gpiozero.LED, pins.green),
                    (gpiozero.LED, pins.red),
                    (gpiozero.Buzzer, pins.buzzer),
                    (gpiozero.DigitalOutputDevice, pins.relay),
                ):
                    opened.append(make(pin, pin_factory=pin_factory))
        except (gpiozero.GPIOZeroError, OSError) as exc:
            for device in opened:
                device.close()
            raise FeedbackUnavailable(f"GPIO cannot be driven here: {exc}") from exc
        self.green, self.red, self.buzzer, self.relay = opened

    def show(self, signal: Signal) -> None:
        """Start showing `signal` on the pins, replacing whatever was showing."""
        light, other = (self.green, self.red) if signal.light == "green" else (self.red, self.green)
        other.off()
        light.blink(on_time=signal.light_seconds, off_time=0, n=1, background=True)
        pattern = signal.buzzer
        self.buzzer.beep(
            on_time=pattern.on_seconds,
            off_time=pattern.off_seconds,
            n=pattern.count,
            background=True,
        )
        if signal.relay_seconds is not None:
            self.relay.blink(on_time=signal.relay_seconds, off_time=0, n=1, background=True)

    def close(self) -> None:
        """Switch every output off and release its pin."""
        for device in (self.green, self.red, self.buzzer, self.relay):
            device.close()
