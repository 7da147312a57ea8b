"""Frame capture with OpenCV from a V4L2 device, a video file or a network stream.

A video file stands in for a camera in tests and demos: it is read through the same
`cv2.VideoCapture` as a device, and its frames are stamped with their place in the video so
that hold times mean the same thing however fast the file is decoded.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

import cv2
import numpy as np

from hardware.errors import CameraUnavailable
from hardware.frame import CapturedFrame

SourceKind = Literal["device", "file", "url"]
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """Where frames come from, as OpenCV wants it: a device index or a path or URL."""

    kind: SourceKind
    target: int | str

    def __str__(self) -> str:
        return str(self.target)


def parse_source(text: str) -> Source:
    """Read `--device`: an index (`0`), a device path (`/dev/video0`), a URL or a video file.

    Raises CameraUnavailable for a path that does not exist, before OpenCV is asked.
    """
    text = text.strip()
    if text.isdigit():
        return Source("device", int(text))
    if _URL.match(text):
        return Source("url", text)
    path = Path(text)
    if text.startswith("/dev/"):
        if not path.exists():
            raise CameraUnavailable(f"no camera device at {text}")
        return Source("device", text)
    if not path.is_file():
        raise CameraUnavailable(f"no video file at {text}")
    return Source("file", str(path))


class Camera:
    """An open frame source; iterate `frames()` for grey frames. A context manager."""

    def __init__(
        self, source: Source | str, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.source = parse_source(source) if isinstance(source, str) else source
        self._clock = clock
        # Devices go through V4L2 directly: OpenCV's default backend probing on Linux can
        # pick GStreamer and hang on a missing device instead of failing.
        backend = cv2.CAP_V4L2 if self.source.kind == "device" else cv2.CAP_ANY
        self._capture = cv2.VideoCapture(self.source.target, backend)
        if not self._capture.isOpened():
            self._capture.release()
            raise CameraUnavailable(f"OpenCV cannot open {self.source.kind} {self.source}")
        fps = float(self._capture.get(cv2.CAP_PROP_FPS))
        self.fps = fps if fps > 0 else 30.0

    def frames(self) -> Iterator[CapturedFrame]:
        """Grey frames until the source ends (a file's last frame, a stream that closes).

        A device that stops delivering frames raises CameraUnavailable: a kiosk camera
        never ends on its own, so that is a fault to report, not the end of the show.
        """
        index = 0
        while True:
            ok, image = self._capture.read()
            if not ok or image is None:
                if self.source.kind == "device":
                    raise CameraUnavailable(f"camera {self.source} stopped delivering frames")
                return
            grey = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
            at = index / self.fps if self.source.kind == "file" else self._clock()
            index += 1
            yield CapturedFrame(np.asarray(grey, dtype=np.uint8), at)

    def close(self) -> None:
        """Release the device or file."""
        self._capture.release()

    def __enter__(self) -> Camera:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
