"""A video file played through the camera: grey frames, stamped by their place in the video."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hardware.camera import Camera, Source
from hardware.decoders import make_decoder
from hardware.errors import CameraUnavailable
from tests.integration.hardware.conftest import FPS, VideoFactory
from voelgoed.demo_event import build_demo_event
from voelgoed.processes import free_port


@pytest.mark.parametrize("suffix", [".mp4", ".avi"])
def test_a_video_file_plays_as_a_camera(door_video: VideoFactory, suffix: str) -> None:
    token = build_demo_event(1, now=dt.datetime.now(dt.UTC), seed=1).tickets[0].qr
    video = door_video([(None, 0.5), (token, 1.0)], suffix)
    decoder = make_decoder()
    with Camera(str(video)) as camera:
        assert camera.source.kind == "file"
        assert camera.fps == pytest.approx(FPS)
        frames = list(camera.frames())
    assert len(frames) == 45
    assert all(f.image.ndim == 2 and f.image.shape == (480, 640) for f in frames)
    assert [f.at for f in frames] == pytest.approx([i / FPS for i in range(45)])
    assert decoder.decode(frames[0].image) == []
    assert all(decoder.decode(f.image) == [token] for f in frames[15:])


def test_a_file_that_is_not_a_video_is_a_clean_error(tmp_path: Path) -> None:
    junk = tmp_path / "notes.mp4"
    junk.write_text("not a video")
    with pytest.raises(CameraUnavailable) as caught:
        Camera(str(junk))
    assert caught.value.code == "camera_unavailable"


def test_a_device_or_stream_that_cannot_be_opened_is_a_clean_error() -> None:
    with pytest.raises(CameraUnavailable, match="cannot open device 97"):
        Camera(Source("device", 97))
    # A stream URL nobody serves, on loopback.
    with pytest.raises(CameraUnavailable, match="cannot open url"):
        Camera(f"http://127.0.0.1:{free_port()}/door.mjpg")
