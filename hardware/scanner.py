"""The kiosk's scanner loop: frames in, each code sent to the gate once per stay in view,
and the gate's answer shown on the door's lights, buzzer and relay.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hardware.debounce import DEFAULT_HOLD_SECONDS, Debouncer
from hardware.decoders import Decoder
from hardware.errors import GateAnswerInvalid, GateUnreachable
from hardware.feedback import Feedback, Signal, signal_for
from hardware.frame import CapturedFrame
from hardware.gate_client import GateAnswer, ScanPoster

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanRecord:
    """One code sent to the gate: when it came into view, the answer, the signal shown."""

    code: str
    at: float
    answer: GateAnswer
    signal: Signal


@dataclass
class ScannerStats:
    """Counts over a run of the loop."""

    frames: int = 0
    frames_with_codes: int = 0
    scans: int = 0


class Scanner:
    """Decodes frames, debounces codes held in view, posts them and drives the feedback."""

    def __init__(
        self,
        decoder: Decoder,
        poster: ScanPoster,
        feedback: Feedback,
        *,
        hold_seconds: float = DEFAULT_HOLD_SECONDS,
        on_scan: Callable[[ScanRecord], None] | None = None,
    ) -> None:
        self.decoder = decoder
        self.poster = poster
        self.feedback = feedback
        self.debouncer = Debouncer(hold_seconds)
        self.on_scan = on_scan
        self.stats = ScannerStats()

    def _ask_gate(self, code: str) -> GateAnswer:
        try:
            return self.poster.post(code)
        except (GateUnreachable, GateAnswerInvalid) as exc:
            # The door must still signal something: a fault, not a silent camera.
            log.error("scan not decided [%s]: %s", exc.code, exc)
            return GateAnswer("error", exc.code, str(exc))

    def process(self, frame: CapturedFrame) -> list[ScanRecord]:
        """Handle one frame; the scans it caused, in the order they were sent."""
        self.stats.frames += 1
        codes = self.decoder.decode(frame.image)
        if codes:
            self.stats.frames_with_codes += 1
        records: list[ScanRecord] = []
        for code in self.debouncer.observe(codes, frame.at):
            answer = self._ask_gate(code)
            signal = signal_for(answer.status)
            self.feedback.show(signal)
            record = ScanRecord(code, frame.at, answer, signal)
            self.stats.scans += 1
            records.append(record)
            if self.on_scan is not None:
                self.on_scan(record)
        return records

    def run(
        self, frames: Iterable[CapturedFrame], stop: threading.Event | None = None
    ) -> ScannerStats:
        """Process frames until they end or `stop` is set; the run's counts."""
        for frame in frames:
            if stop is not None and stop.is_set():
                break
            self.process(frame)
        return self.stats
