"""`voelgoed gate camera`: its options, and its decoder names kept in step with the registry."""

from __future__ import annotations

import pytest

from hardware.cli import DECODER_NAMES
from hardware.debounce import DEFAULT_HOLD_SECONDS
from hardware.decoders import DECODERS
from voelgoed.cli import build_parser


def test_decoder_choices_are_the_registry() -> None:
    assert set(DECODER_NAMES) == set(DECODERS)


def test_camera_command_options() -> None:
    args = build_parser().parse_args(
        [
            "gate",
            "camera",
            "--device",
            "/dev/video0",
            "--gate-url",
            "http://127.0.0.1:8700",
            "--decoder",
            "pyzbar",
            "--direction",
            "out",
            "--gate",
            "north",
            "--hold-seconds",
            "2.5",
        ]
    )
    assert (args.device, args.gate_url, args.decoder) == (
        "/dev/video0",
        "http://127.0.0.1:8700",
        "pyzbar",
    )
    assert (args.direction, args.gate, args.hold_seconds, args.feedback) == (
        "out",
        "north",
        2.5,
        "auto",
    )


def test_camera_command_defaults() -> None:
    args = build_parser().parse_args(
        ["gate", "camera", "--device", "0", "--gate-url", "http://127.0.0.1:8700"]
    )
    assert (args.decoder, args.direction, args.gate) == ("zxing", "in", None)
    assert args.hold_seconds == DEFAULT_HOLD_SECONDS


def test_unknown_decoder_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(
            ["gate", "camera", "--device", "0", "--gate-url", "http://x", "--decoder", "quagga"]
        )
    assert "invalid choice" in capsys.readouterr().err
