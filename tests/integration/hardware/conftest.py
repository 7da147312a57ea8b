"""Video files that play the part of a kiosk camera, filmed from real ticket QR codes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from hardware.synthetic_frames import clean_frame, empty_frame, write_video

FPS = 30.0
# (QR text or None for an empty scene, seconds in view)
Shot = tuple[str | None, float]
VideoFactory = Callable[[Sequence[Shot], str], Path]


@pytest.fixture
def door_video(tmp_path: Path) -> VideoFactory:
    """Write a video of shots: a ticket held up for a while, the empty door, the next..."""

    def film(shots: Sequence[Shot], suffix: str = ".mp4") -> Path:
        frames = []
        for i, (text, seconds) in enumerate(shots):
            image = (clean_frame(text, seed=i) if text else empty_frame(seed=i)).image
            frames += [image] * round(seconds * FPS)
        return write_video(tmp_path / f"door{suffix}", frames, FPS)

    return film
