"""What flows from the camera to the decoders: grey frames and when they were taken."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# One 8-bit grey frame, rows x columns, as OpenCV and the decoders take it.
Frame = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class CapturedFrame:
    """A frame and the moment it was taken, in seconds on the source's own clock.

    For a live device that is the monotonic clock; for a video file it is the frame's place
    in the video, so a file plays back the same way however fast it is decoded.
    """

    image: Frame
    at: float
