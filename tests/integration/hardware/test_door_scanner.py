"""At the door: a camera (a video file) in front of the scanner loop, a real gate behind it."""

from __future__ import annotations

import subprocess

from hardware.camera import Camera
from hardware.decoders import make_decoder
from hardware.feedback import ADMITTED, REJECTED, SimulatedFeedback
from hardware.gate_client import HttpScanPoster
from hardware.scanner import Scanner, ScanRecord
from tests.integration.conftest import DemoFixture, GateFactory
from tests.integration.hardware.conftest import Shot, VideoFactory
from voelgoed.processes import voelgoed_command


def test_a_ticket_is_admitted_once_while_held_and_a_used_one_is_refused(
    demo: DemoFixture, start_gate: GateFactory, door_video: VideoFactory
) -> None:
    gate = start_gate("door-1")
    fresh = demo.take().qr
    used = demo.take().qr
    assert gate.scan(used)["status"] == "ok"  # admitted earlier, at another scan
    video = door_video([(None, 0.3), (fresh, 2.0), (None, 0.3), (used, 1.0), (None, 0.2)], ".mp4")

    feedback = SimulatedFeedback()
    records: list[ScanRecord] = []
    poster = HttpScanPoster(gate.url, gate="door-1")
    try:
        with Camera(str(video)) as camera:
            scanner = Scanner(
                make_decoder(), poster, feedback, hold_seconds=0.5, on_scan=records.append
            )
            stats = scanner.run(camera.frames())
    finally:
        poster.close()

    # The fresh ticket was in view for 60 frames and was sent once; the used one once too.
    assert stats.frames_with_codes >= 80
    assert [r.code for r in records] == [fresh, used]
    assert [(r.answer.status, r.answer.reason) for r in records] == [
        ("ok", None),
        ("rejected", "already_scanned"),
    ]
    assert feedback.signals == [ADMITTED, REJECTED]
    shown = [(e.output, e.action) for e in feedback.events]
    assert shown.index(("green", "on")) < shown.index(("red", "on"))
    beeps = feedback.beeps()
    assert len(beeps) == 1 + 3
    assert [e.output for e in feedback.events if e.action == "pulse"] == ["relay"]

    # The gate recorded exactly what the door showed: two scans by the camera, one admission.
    totals = gate.status()["scans"]
    assert isinstance(totals, dict)
    assert totals["total"] == 3  # the earlier admission of `used`, then the camera's two
    assert totals["admitted"] == 2
    assert totals["by_reason"] == {"already_scanned": 1}


def test_gate_camera_command_admits_the_tickets_in_a_video(
    demo: DemoFixture, start_gate: GateFactory, door_video: VideoFactory
) -> None:
    gate = start_gate("door-2")
    tickets = [demo.take().qr for _ in range(3)]
    shots: list[Shot] = [(None, 0.2)]
    for ticket in tickets:
        shots += [(ticket, 1.0), (None, 0.5)]
    video = door_video(shots, ".avi")

    done = subprocess.run(
        voelgoed_command(
            "gate",
            "camera",
            "--device",
            str(video),
            "--gate-url",
            gate.url,
            "--hold-seconds",
            "0.3",
            "--feedback",
            "auto",
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if " ok " in line]
    assert len(lines) == 3, done.stdout
    assert "camera done:" in done.stdout
    assert "3 scans" in done.stdout
    # No GPIO on a test machine: the command says so and carries on with simulated outputs.
    assert "using simulated feedback" in done.stderr
    totals = gate.status()["scans"]
    assert isinstance(totals, dict)
    assert (totals["total"], totals["admitted"]) == (3, 3)
    for ticket in tickets:
        answer = gate.scan(ticket)
        assert answer["reason"] == "already_scanned"


def test_gate_camera_command_reports_a_missing_video_cleanly() -> None:
    done = subprocess.run(
        voelgoed_command(
            "gate",
            "camera",
            "--device",
            "/nonexistent/door.mp4",
            "--gate-url",
            "http://127.0.0.1:9",
        ),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "error [camera_unavailable]" in done.stderr
    assert "Traceback" not in done.stderr
