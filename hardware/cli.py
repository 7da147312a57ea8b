"""`voelgoed gate camera`: the kiosk camera loop as a command.

Registered by voelgoed/cli.py through `add_camera_command`. The camera, decoder and HTTP
libraries are imported when the command runs, not when the parser is built, so that
`voelgoed --help` stays quick.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from hardware.debounce import DEFAULT_HOLD_SECONDS
from hardware.errors import HardwareError

# The registry's names (hardware/decoders.py DECODERS), repeated here because importing the
# registry loads OpenCV; tests/unit/hardware/test_cli.py keeps the two in step.
DECODER_NAMES = ("zxing", "pyzbar", "pyzbar+blur")


def _camera(args: argparse.Namespace) -> int:
    from hardware.camera import Camera  # noqa: PLC0415 (lazy: keeps --help quick)
    from hardware.decoders import make_decoder  # noqa: PLC0415
    from hardware.feedback import open_feedback  # noqa: PLC0415
    from hardware.gate_client import HttpScanPoster  # noqa: PLC0415
    from hardware.scanner import Scanner, ScanRecord  # noqa: PLC0415

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
        # httpx logs every request at INFO; the scan lines printed below already say it all.
        logging.getLogger("httpx").setLevel(logging.WARNING)

    def report(record: ScanRecord) -> None:
        answer = record.answer
        holder = f" ({answer.holder})" if answer.holder else ""
        print(
            f"{record.at:9.2f}s {answer.status:8} {answer.reason or '-':16} "
            f"{record.code[:16]}... {answer.message}{holder}",
            flush=True,
        )

    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # systemd stops the kiosk with SIGTERM: finish the frame in hand and release the camera.
    signal.signal(signal.SIGTERM, on_term)
    try:
        decoder = make_decoder(args.decoder)
        feedback = open_feedback(args.feedback)
        poster = HttpScanPoster(args.gate_url, direction=args.direction, gate=args.gate)
        try:
            with Camera(args.device) as camera:
                print(
                    f"camera {camera.source.kind} {camera.source} -> {args.gate_url} "
                    f"(decoder {decoder.name}, hold {args.hold_seconds} s)",
                    flush=True,
                )
                scanner = Scanner(
                    decoder, poster, feedback, hold_seconds=args.hold_seconds, on_scan=report
                )
                try:
                    stats = scanner.run(camera.frames(), stop)
                except KeyboardInterrupt:
                    stats = scanner.stats
        finally:
            poster.close()
            feedback.close()
    except HardwareError as exc:
        print(f"voelgoed: error [{exc.code}]: {exc}", file=sys.stderr)
        return 2
    print(
        f"camera done: {stats.frames} frames, {stats.frames_with_codes} with codes, "
        f"{stats.scans} scans",
        flush=True,
    )
    return 0


def add_camera_command(
    gate_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Register `camera` under `voelgoed gate`."""
    camera = gate_subparsers.add_parser(
        "camera",
        help="scan QR codes from a camera, video file or stream and send them to a gate",
        description=(
            "Read frames, decode QR codes, send each code to the gate once while it is held "
            "in view, and show the answer on the LEDs, buzzer and turnstile relay."
        ),
    )
    camera.add_argument(
        "--device",
        required=True,
        help="camera: a V4L2 device (/dev/video0) or index (0), a video file, or a stream URL",
    )
    camera.add_argument(
        "--gate-url", required=True, help="the gate's base URL, e.g. http://127.0.0.1:8700"
    )
    camera.add_argument(
        "--decoder",
        choices=DECODER_NAMES,
        default="zxing",
        help="QR decoder (default zxing: fastest, reads the most hard frames)",
    )
    camera.add_argument(
        "--direction", choices=["in", "out"], default="in", help="entry or exit scans"
    )
    camera.add_argument("--gate", help="gate name to record scans under (default: the gate's)")
    camera.add_argument(
        "--hold-seconds",
        type=float,
        default=DEFAULT_HOLD_SECONDS,
        help="a code must be out of view this long before it is sent again "
        f"(default {DEFAULT_HOLD_SECONDS})",
    )
    camera.add_argument(
        "--feedback",
        choices=["auto", "gpio", "simulated"],
        default="auto",
        help="outputs: GPIO pins, simulated (logged), or auto: GPIO when the board has it",
    )
    camera.set_defaults(run=_camera)
