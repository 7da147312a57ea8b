"""camera: what `--device` means, and clean errors for sources that are not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from hardware.camera import Source, parse_source
from hardware.errors import CameraUnavailable


def test_an_index_is_a_device() -> None:
    assert parse_source("0") == Source("device", 0)
    assert parse_source(" 2 ") == Source("device", 2)


@pytest.mark.parametrize(
    "url", ["rtsp://10.0.0.5:554/stream", "http://127.0.0.1:8080/video.mjpg", "HTTPS://cam/x"]
)
def test_a_url_is_a_stream(url: str) -> None:
    assert parse_source(url) == Source("url", url)


def test_an_existing_file_is_a_video_file(tmp_path: Path) -> None:
    video = tmp_path / "door.mp4"
    video.write_bytes(b"")
    assert parse_source(str(video)) == Source("file", str(video))


def test_missing_sources_are_clean_errors(tmp_path: Path) -> None:
    with pytest.raises(CameraUnavailable, match="no video file"):
        parse_source(str(tmp_path / "missing.mp4"))
    with pytest.raises(CameraUnavailable, match="no camera device") as caught:
        parse_source("/dev/video-that-is-not-there")
    assert caught.value.code == "camera_unavailable"
