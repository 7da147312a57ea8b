"""scanner: frames in; each code sent once per stay in view; the answer drives the feedback."""

from __future__ import annotations

from hardware.decoders import make_decoder
from hardware.errors import GateUnreachable
from hardware.feedback import ADMITTED, FAULT, REJECTED, SimulatedFeedback
from hardware.frame import CapturedFrame
from hardware.gate_client import GateAnswer
from hardware.scanner import Scanner, ScanRecord
from hardware.synthetic_frames import clean_frame, empty_frame

FPS = 30


class MemoryGate:
    """Answers like a gate for single-entry tickets: ok the first time, then already_scanned."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    def post(self, code: str) -> GateAnswer:
        first = code not in self.posted
        self.posted.append(code)
        if first:
            return GateAnswer("ok", None, "Welcome")
        return GateAnswer("rejected", "already_scanned", "Already scanned")


class DownGate:
    def post(self, code: str) -> GateAnswer:
        raise GateUnreachable("no answer from http://127.0.0.1:9 after 3 attempts")


def film(*shots: tuple[str | None, float]) -> list[CapturedFrame]:
    """Frames at 30 fps: each shot holds a ticket's code (or nothing) for some seconds."""
    frames: list[CapturedFrame] = []
    for text, seconds in shots:
        image = (clean_frame(text, seed=len(frames)) if text else empty_frame()).image
        for _ in range(round(seconds * FPS)):
            frames.append(CapturedFrame(image, len(frames) / FPS))
    return frames


def test_a_ticket_held_in_view_is_posted_once_and_admitted(tokens: list[str]) -> None:
    gate, feedback = MemoryGate(), SimulatedFeedback()
    records: list[ScanRecord] = []
    scanner = Scanner(make_decoder(), gate, feedback, hold_seconds=0.5, on_scan=records.append)
    stats = scanner.run(film((None, 0.2), (tokens[0], 2.0), (None, 0.2)))
    assert gate.posted == [tokens[0]]
    assert [r.answer.status for r in records] == ["ok"]
    assert records[0].at == 6 / FPS
    assert feedback.signals == [ADMITTED]
    assert (stats.frames, stats.frames_with_codes, stats.scans) == (72, 60, 1)


def test_a_ticket_shown_again_after_leaving_the_view_is_posted_again(tokens: list[str]) -> None:
    gate, feedback = MemoryGate(), SimulatedFeedback()
    scanner = Scanner(make_decoder(), gate, feedback, hold_seconds=0.5)
    scanner.run(
        film((tokens[1], 0.5), (None, 1.0), (tokens[2], 0.5), (tokens[1], 0.5), (None, 0.1))
    )
    assert gate.posted == [tokens[1], tokens[2], tokens[1]]
    assert feedback.signals == [ADMITTED, ADMITTED, REJECTED]
    assert len(feedback.beeps()) == 1 + 1 + 3


def test_a_code_back_within_the_hold_is_not_posted_again(tokens: list[str]) -> None:
    gate = MemoryGate()
    scanner = Scanner(make_decoder(), gate, SimulatedFeedback(), hold_seconds=1.0)
    scanner.run(film((tokens[3], 0.3), (None, 0.6), (tokens[3], 0.3)))
    assert gate.posted == [tokens[3]]


def test_an_unreachable_gate_is_shown_as_a_fault_and_the_loop_goes_on(tokens: list[str]) -> None:
    feedback = SimulatedFeedback()
    records: list[ScanRecord] = []
    scanner = Scanner(
        make_decoder(), DownGate(), feedback, hold_seconds=0.2, on_scan=records.append
    )
    scanner.run(film((tokens[4], 0.2), (None, 0.5), (tokens[5], 0.2)))
    assert [r.answer.reason for r in records] == ["gate_unreachable"] * 2
    assert feedback.signals == [FAULT, FAULT]
