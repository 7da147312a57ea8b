"""`POST /api/v1/decode`: find QR codes in a JPEG frame from a handheld without a decoder.

Phones whose browser lacks BarcodeDetector send camera frames here; the gate decodes them
with the project's decoder (hardware.decoders, zxing-cpp by default) and answers the texts.
Decoding runs in a worker thread so that frames never delay the scan path.

OpenCV and the decoders are imported on the first frame, not at start-up: importing them
costs a gate that never sees a handheld about 150 ms here (far more on a Pi).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gate_node.errors import GateError, InvalidBody
from gate_node.http import read_body

if TYPE_CHECKING:
    from hardware.decoders import Decoder

MAX_FRAME_BYTES = 512 * 1024
DEFAULT_DECODER = "zxing"  # hardware.decoders.DEFAULT_DECODER, without importing it


class DecoderMissing(GateError):
    """The gate has no working QR decoder; the message says what to install."""

    code = "decoder_unavailable"
    http_status = 503


class InvalidImage(GateError):
    """The body is not an image the gate can read (JPEG expected)."""

    code = "invalid_image"
    http_status = 422


def decode_jpeg(decoder: Decoder, jpeg: bytes) -> list[str]:
    """The QR texts in a JPEG (or any image OpenCV reads), decoded in grey."""
    import cv2  # noqa: PLC0415 (see the module docstring)
    import numpy as np  # noqa: PLC0415

    if not jpeg:
        raise InvalidBody("the body is empty: send one JPEG frame")
    image = cv2.imdecode(np.frombuffer(jpeg, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise InvalidImage("the body is not a readable image: send one JPEG frame")
    # IMREAD_GRAYSCALE always gives 8-bit single-channel pixels, as the decoders take them.
    return decoder.decode(image.astype(np.uint8, copy=False))


def load_decoder(name: str) -> Decoder:
    """The decoder registered as `name`; DecoderMissing when it cannot be used here."""
    try:
        from hardware.decoders import make_decoder  # noqa: PLC0415 (see the module docstring)
        from hardware.errors import DecoderUnavailable, UnknownDecoder  # noqa: PLC0415
    except ImportError as exc:  # OpenCV itself is missing
        raise DecoderMissing(f"no QR decoding on this gate: {exc}") from None
    try:
        return make_decoder(name)
    except (DecoderUnavailable, UnknownDecoder) as exc:
        raise DecoderMissing(str(exc)) from None


def decode_route(decoder_name: str = DEFAULT_DECODER, limit: int = MAX_FRAME_BYTES) -> Route:
    """The route decoding frames with the decoder registered as `decoder_name`.

    Its access rule is the scan API's (decoding costs CPU time that scans need). The decoder
    is made on the first frame, so a gate without zxing-cpp still starts and answers 503
    `decoder_unavailable` here only.
    """

    @functools.cache
    def decoder() -> Decoder:
        return load_decoder(decoder_name)

    async def endpoint(request: Request) -> Response:
        jpeg = await read_body(request, limit)
        # Made in the worker thread too: the first import of OpenCV must not stall scans.
        codes = await anyio.to_thread.run_sync(lambda: decode_jpeg(decoder(), jpeg))
        return Response(msgspec.json.encode({"codes": codes}), media_type="application/json")

    return Route("/api/v1/decode", endpoint, methods=["POST"])
