"""A fake camera for the browser: a Y4M video of a ticket's QR code, as Chromium's
`--use-file-for-fake-video-capture` plays it (looped) to any page that opens the camera."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import segno


def qr_image(text: str, module_px: int = 6, border: int = 4) -> npt.NDArray[np.uint8]:
    """The QR code of `text` as 8-bit grey pixels (dark 0, light 255), with its quiet zone."""
    qr = segno.make(text, micro=False, error="m")
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    modules = np.pad(modules, border)
    pixels = np.where(modules > 0, 0, 255).astype(np.uint8)
    return np.kron(pixels, np.ones((module_px, module_px), dtype=np.uint8))


def write_y4m(
    path: Path, text: str, *, width: int = 640, height: int = 480, frames: int = 10
) -> Path:
    """Write a still video (4:2:0, 10 fps) showing the QR of `text` on a grey background."""
    code = qr_image(text)
    if code.shape[0] > height:
        step = -(-code.shape[0] // (height - 20))
        code = code[::step, ::step]
    luma = np.full((height, width), 180, dtype=np.uint8)
    top, left = (height - code.shape[0]) // 2, (width - code.shape[1]) // 2
    luma[top : top + code.shape[0], left : left + code.shape[1]] = code
    chroma = np.full((height // 2) * (width // 2), 128, dtype=np.uint8).tobytes()
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n")
            f.write(luma.tobytes())
            f.write(chroma)
            f.write(chroma)
    return path
