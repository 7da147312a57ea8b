"""HTTP plumbing shared by the hub's API and pages: JSON answers, the error shape, bodies."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import BodyTooLarge, HubError, InvalidBody, InvalidJSON, PublishBlocked

encode_json = msgspec.json.Encoder().encode


def json_response(content: object, status_code: int = 200) -> Response:
    """A JSON response encoded with msgspec (structs, dicts, lists)."""
    return Response(encode_json(content), status_code, media_type="application/json")


def error_body(exc: HubError) -> dict[str, Any]:
    """The one error shape of the API: ``{"error": {"code", "message"[, "problems"]}}``."""
    error: dict[str, Any] = {"code": exc.code, "message": str(exc)}
    if isinstance(exc, PublishBlocked):
        error["problems"] = exc.problems
    return {"error": error}


def error_response(exc: HubError) -> Response:
    return json_response(error_body(exc), exc.http_status)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes before reading them all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"request body is larger than {limit} bytes")
    chunks = bytearray()
    async for chunk in request.stream():
        chunks += chunk
        if len(chunks) > limit:
            raise BodyTooLarge(f"request body is larger than {limit} bytes")
    return bytes(chunks)


def decode_json(body: bytes, body_type: type[Any]) -> Any:
    """Decode and validate a JSON body, translating msgspec's errors to the hub's."""
    try:
        return msgspec.json.decode(body, type=body_type)
    except msgspec.ValidationError as exc:
        raise InvalidBody(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidJSON(f"body is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidJSON("body is nested too deeply") from None
