"""Camera frames with real QR codes in them, made in memory: for tests, the decode benchmark
and for emulating a camera with a video file.

A clean frame is what a well-lit kiosk camera sees of a phone held still: an upright, sharp
code on a cluttered background. A hard frame is what it sees at a busy door: the code turned
any way, tilted away from the lens, out of focus, under a noisy sensor and poor light. Each
hard frame combines all of those with seeded random strengths, so a benchmark run is
repeatable and the same frames serve every decoder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import segno

from hardware.frame import Frame

WIDTH = 640
HEIGHT = 480
QUIET_ZONE = 4  # modules of light margin the QR standard asks for around a code


@dataclass(frozen=True)
class Distortion:
    """How one hard frame was made, for reports and for reproducing a failure."""

    rotation_deg: float
    tilt: float  # largest corner displacement as a fraction of the code's side
    module_px: float  # average size of one QR module in the frame
    blur_sigma: float
    noise_sigma: float
    ink: int  # grey level of dark modules
    paper: int  # grey level of light modules


@dataclass(frozen=True)
class SyntheticFrame:
    """A frame and the text its QR code carries (empty for a frame without a code)."""

    image: Frame
    text: str
    distortion: Distortion | None = None


def qr_modules(text: str) -> npt.NDArray[np.bool_]:
    """The QR code's modules for `text` (True = dark), quiet zone included.

    Error correction M, as printed on tickets and shown by the demo (voelgoed/demo.py).
    """
    qr = segno.make_qr(text, error="m")
    rows = list(qr.matrix_iter(scale=1, border=QUIET_ZONE))
    return np.array(rows, dtype=np.bool_)


def qr_image(text: str, module_px: int = 4) -> Frame:
    """A black-on-white image of the QR code for `text`, `module_px` pixels per module."""
    modules = qr_modules(text)
    image = np.where(modules, 0, 255).astype(np.uint8)
    if module_px > 1:
        image = np.kron(image, np.ones((module_px, module_px), dtype=np.uint8))
    return image


def _background(rng: np.random.Generator, level: float, spread: float) -> npt.NDArray[np.float32]:
    """A lit scene behind the code: an uneven light gradient and a few hard-edged objects."""
    ys, xs = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    gx, gy = rng.uniform(-1, 1, size=2) * spread / max(WIDTH, HEIGHT)
    scene = level + gx * (xs - WIDTH / 2) + gy * (ys - HEIGHT / 2)
    for _ in range(int(rng.integers(3, 8))):
        x0, y0 = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        w, h = int(rng.integers(20, 200)), int(rng.integers(20, 200))
        scene[y0 : y0 + h, x0 : x0 + w] = float(rng.uniform(30, 230))
    return np.asarray(scene, dtype=np.float32)


def _render(
    modules: npt.NDArray[np.bool_],
    corners: npt.NDArray[np.float32],
    background: npt.NDArray[np.float32],
    ink: float,
    paper: float,
) -> npt.NDArray[np.float32]:
    """Draw the code (quiet zone included) onto `background` with its corners at `corners`."""
    # Draw from a supersampled source so that the warp's interpolation gives soft, realistic
    # module edges instead of aliased staircases.
    scale = 8
    n = modules.shape[0]
    source: npt.NDArray[np.float32] = np.kron(
        modules.astype(np.float32), np.ones((scale, scale), np.float32)
    ).astype(np.float32)
    side = float(n * scale)
    src = np.array([[0, 0], [side, 0], [side, side], [0, side]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners)
    size = (WIDTH, HEIGHT)
    darkness = cv2.warpPerspective(source, matrix, size, flags=cv2.INTER_AREA)
    covered = cv2.warpPerspective(np.ones_like(source), matrix, size, flags=cv2.INTER_LINEAR)
    card = paper - (paper - ink) * darkness
    return (background * (1 - covered) + card * covered).astype(np.float32)


def _to_frame(image: npt.NDArray[np.float32]) -> Frame:
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def clean_frame(text: str, *, module_px: int = 5, seed: int = 0) -> SyntheticFrame:
    """An upright, sharp, well-lit code of `module_px` pixels a module, centred in the frame."""
    rng = np.random.default_rng(seed)
    modules = qr_modules(text)
    side = modules.shape[0] * module_px
    x0 = (WIDTH - side) // 2 + int(rng.integers(-40, 41))
    y0 = (HEIGHT - side) // 2 + int(rng.integers(-20, 21))
    x0, y0 = max(0, min(WIDTH - side, x0)), max(0, min(HEIGHT - side, y0))
    frame = _background(rng, 120.0, 40.0)
    frame[y0 : y0 + side, x0 : x0 + side] = np.kron(
        np.where(modules, 20.0, 235.0).astype(np.float32),
        np.ones((module_px, module_px), np.float32),
    )
    return SyntheticFrame(_to_frame(frame), text)


def hard_frame(text: str, rng: np.random.Generator) -> SyntheticFrame:
    """A code turned, tilted, out of focus, noisy and dimly lit, all at once, drawn from `rng`."""
    modules = qr_modules(text)
    d = Distortion(
        rotation_deg=float(rng.uniform(0, 360)),
        tilt=float(rng.uniform(0.03, 0.14)),
        module_px=float(rng.uniform(4.0, 6.0)),
        blur_sigma=float(rng.uniform(0.6, 1.8)),
        noise_sigma=float(rng.uniform(4, 14)),
        ink=int(rng.integers(60, 110)),
        paper=int(rng.integers(140, 200)),
    )
    side = modules.shape[0] * d.module_px
    half = side / 2
    square = np.array([[-half, -half], [half, -half], [half, half], [-half, half]], np.float32)
    square += rng.uniform(-d.tilt, d.tilt, size=(4, 2)).astype(np.float32) * side
    angle = np.deg2rad(d.rotation_deg)
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    corners = square @ turn.T
    # Keep the whole code in the frame: a code cut by the frame's edge is not a hard frame,
    # it is an unreadable one.
    lo, hi = corners.min(axis=0), corners.max(axis=0)
    cx = rng.uniform(-lo[0], WIDTH - hi[0]) if WIDTH - hi[0] > -lo[0] else WIDTH / 2
    cy = rng.uniform(-lo[1], HEIGHT - hi[1]) if HEIGHT - hi[1] > -lo[1] else HEIGHT / 2
    corners = (corners + np.array([cx, cy], np.float32)).astype(np.float32)
    background = _background(rng, (d.ink + d.paper) / 2, 60.0)
    image = _render(modules, corners, background, d.ink, d.paper)
    blurred = cv2.GaussianBlur(image, (0, 0), d.blur_sigma)
    noisy = blurred + rng.normal(0, d.noise_sigma, size=blurred.shape)
    return SyntheticFrame(_to_frame(np.asarray(noisy, dtype=np.float32)), text, d)


def empty_frame(seed: int = 0) -> SyntheticFrame:
    """A frame of the scene with no code in view."""
    return SyntheticFrame(_to_frame(_background(np.random.default_rng(seed), 120.0, 40.0)), "")


def hard_frames(texts: Sequence[str], count: int, seed: int) -> list[SyntheticFrame]:
    """`count` hard frames cycling through `texts`, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    return [hard_frame(texts[i % len(texts)], rng) for i in range(count)]


def write_video(path: Path, frames: Iterable[Frame], fps: float = 30.0) -> Path:
    """Write grey frames as a video file a `Camera` can play back as if it were a device.

    `.avi` files are written with MJPG, anything else with mp4v: both codecs ship with
    OpenCV's wheels, so no system codec is needed.
    """
    fourcc = cv2.VideoWriter.fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (WIDTH, HEIGHT), isColor=True)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write a video to {path}")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    finally:
        writer.release()
    return path
