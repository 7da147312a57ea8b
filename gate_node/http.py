"""HTTP plumbing shared by the gate's routes: JSON answers, the error shape, bounded bodies."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from gate_node.errors import BodyTooLarge, InvalidBody, InvalidJSON

T = TypeVar("T")
encode_json = msgspec.json.Encoder().encode


def json_response(content: object, status_code: int = 200) -> Response:
    """A JSON response encoded with msgspec (structs, dicts, lists)."""
    return Response(encode_json(content), status_code, media_type="application/json")


def error_response(code: str, message: str, status_code: int) -> Response:
    """The one error shape of the gate API: ``{"error": {"code", "message"}}``."""
    return json_response({"error": {"code": code, "message": message}}, status_code)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes before reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > limit:
            raise BodyTooLarge(f"request body is larger than {limit} bytes")
        # The HTTP parser delivers no more than the declared length: read it in one go.
        return await request.body()
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge(f"request body is larger than {limit} bytes")
    return bytes(chunks)


def decode_body(decoder: msgspec.json.Decoder[T], body: bytes) -> T:
    """Decode and validate a JSON body, translating msgspec's errors to the gate's."""
    try:
        return decoder.decode(body)
    except msgspec.ValidationError as exc:
        raise InvalidBody(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidJSON(f"body is not valid JSON: {exc}") from None
