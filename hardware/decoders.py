"""QR decoding behind one interface: a frame in, the ASCII texts of the codes in it out.

zxing-cpp is the default: it is the fastest here and reads the most hard frames. pyzbar is
supported for machines where zxing-cpp is not installed; it needs Debian's libzbar0. Both
libraries are imported only when a decoder is made, so a missing one is reported as
`DecoderUnavailable` by name instead of breaking every import of this package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from hardware.errors import DecoderUnavailable, InvalidFrame, UnknownDecoder
from hardware.frame import Frame

DEFAULT_DECODER = "zxing"


class Decoder(Protocol):
    """Finds QR codes in a grey frame."""

    name: str

    def decode(self, frame: Frame) -> list[str]:
        """The texts of the QR codes found in `frame`, ASCII only, in the order found.

        An empty frame has none; anything but a 2-D uint8 array raises InvalidFrame.
        """
        ...


def _ascii_texts(texts: list[str]) -> list[str]:
    # Ticket tokens are plain ASCII (QR alphanumeric mode). Anything else is not ours or is
    # a misread: pyzbar and OpenCV mangle binary payloads, so such texts are dropped here
    # rather than sent to the gate as if they were tickets.
    return [t for t in dict.fromkeys(texts) if t and t.isascii() and t.isprintable()]


def _has_pixels(frame: Frame) -> bool:
    """Whether `frame` is worth decoding; raises InvalidFrame if it is not a grey frame.

    The libraries fail deep inside on these (ZeroDivisionError, cv2.error), so they are
    checked here at the boundary.
    """
    if not isinstance(frame, np.ndarray) or frame.ndim != 2 or frame.dtype != np.uint8:
        shape = getattr(frame, "shape", None)
        dtype = getattr(frame, "dtype", type(frame).__name__)
        raise InvalidFrame(f"expected a 2-D uint8 grey frame, got {dtype} of shape {shape}")
    return frame.size > 0


def _import(module: str, decoder: str, hint: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except (ImportError, OSError) as exc:
        raise DecoderUnavailable(f"the {decoder!r} decoder cannot be used: {exc} ({hint})") from exc


class ZxingDecoder:
    """zxing-cpp, with a second and third look at frames where the first finds nothing.

    On a camera at a door, the frames that defeat zxing-cpp's binarizer are mostly noisy or
    soft ones: a light Gaussian blur removes the sensor noise that breaks its local
    thresholds, and an enlarged, smoothed copy gives small blurred modules enough pixels to
    threshold. Both run only after a miss, so a clean frame costs one pass.
    """

    name = "zxing"

    def __init__(self, *, fallbacks: bool = True) -> None:
        self._zxing = _import("zxingcpp", "zxing", "pip install zxing-cpp")
        self._qr = self._zxing.BarcodeFormat.QRCode
        self.fallbacks = fallbacks

    def _read(self, image: npt.NDArray[Any], **options: bool) -> list[str]:
        results = self._zxing.read_barcodes(image, formats=self._qr, **options)
        return _ascii_texts([str(r.text) for r in results])

    def decode(self, frame: Frame) -> list[str]:
        """The texts of the QR codes found in `frame`, ASCII only, in the order found."""
        if not _has_pixels(frame):
            return []
        # Inverted codes (light on dark, as some phone themes show them) are only tried
        # on the first pass: the fallbacks are for noise and blur, not for inversion.
        texts = self._read(frame)
        if texts or not self.fallbacks:
            return texts
        texts = self._read(cv2.GaussianBlur(frame, (0, 0), 0.8), try_invert=False)
        if texts:
            return texts
        enlarged = cv2.resize(frame, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_LINEAR)
        return self._read(
            cv2.GaussianBlur(enlarged, (0, 0), 1.2), try_invert=False, try_downscale=False
        )


class PyzbarDecoder:
    """pyzbar (ZBar), optionally after a light Gaussian blur.

    ZBar's scanner reads hard frames far better after the blur (2 to 35 of 50 here): it
    smooths away the noise and aliasing that break ZBar's edge detection.
    """

    def __init__(self, *, blur_sigma: float | None = None) -> None:
        self._pyzbar = _import(
            "pyzbar.pyzbar",
            "pyzbar+blur" if blur_sigma else "pyzbar",
            "pip install pyzbar; apt-get install --no-install-recommends libzbar0",
        )
        self._symbols = [self._pyzbar.ZBarSymbol.QRCODE]
        self.blur_sigma = blur_sigma
        self.name = "pyzbar+blur" if blur_sigma else "pyzbar"

    def decode(self, frame: Frame) -> list[str]:
        """The texts of the QR codes found in `frame`, ASCII only, in the order found."""
        if not _has_pixels(frame):
            return []
        image: npt.NDArray[Any] = frame
        if self.blur_sigma:
            image = cv2.GaussianBlur(frame, (0, 0), self.blur_sigma)
        results = self._pyzbar.decode(image, symbols=self._symbols)
        return _ascii_texts([bytes(r.data).decode("latin-1") for r in results])


DECODERS: dict[str, Callable[[], Decoder]] = {
    "zxing": ZxingDecoder,
    "pyzbar": PyzbarDecoder,
    "pyzbar+blur": lambda: PyzbarDecoder(blur_sigma=1.2),
}


def make_decoder(name: str = DEFAULT_DECODER) -> Decoder:
    """The decoder registered as `name`.

    Raises UnknownDecoder for a name nobody registered, DecoderUnavailable when its library
    cannot be loaded (the message says what to install).
    """
    try:
        factory = DECODERS[name]
    except KeyError:
        known = ", ".join(sorted(DECODERS))
        raise UnknownDecoder(f"no QR decoder named {name!r} (known: {known})") from None
    return factory()


def available_decoders() -> dict[str, Decoder | DecoderUnavailable]:
    """Every registered decoder, made, or the reason it cannot be made here."""
    found: dict[str, Decoder | DecoderUnavailable] = {}
    for name in DECODERS:
        try:
            found[name] = make_decoder(name)
        except DecoderUnavailable as exc:
            found[name] = exc
    return found
