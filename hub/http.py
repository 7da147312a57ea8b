"""HTTP plumbing shared by the hub's API and pages: JSON answers, the error shape, bodies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from hub.errors import BodyTooLarge, HubError, InvalidBody, InvalidJSON, NotFound, PublishBlocked
from hub.schemas import is_slug

encode_json = msgspec.json.Encoder().encode


def json_response(
    content: object, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response encoded with msgspec (structs, dicts, lists)."""
    return Response(
        encode_json(content), status_code, headers=headers, media_type="application/json"
    )


def error_body(exc: HubError) -> dict[str, Any]:
    """The one error shape of the API: ``{"error": {"code", "message"[, "problems"]}}``."""
    error: dict[str, Any] = {"code": exc.code, "message": str(exc)}
    if isinstance(exc, PublishBlocked):
        error["problems"] = exc.problems
    return {"error": error}


def error_response(exc: HubError) -> Response:
    return json_response(error_body(exc), exc.http_status)


# A body over the limit is still read (and dropped) up to this much, so the client gets
# its 413 rather than a connection reset for closing on unread data; past it, we hang up.
DRAIN_BYTES = 16 * 1024 * 1024


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refusing more than `limit` bytes without keeping them."""
    declared = request.headers.get("content-length")
    too_large = declared is not None and declared.isdigit() and int(declared) > limit
    if too_large and int(declared or 0) > DRAIN_BYTES:
        raise BodyTooLarge(f"request body is larger than {limit} bytes")
    chunks = bytearray()
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        too_large = too_large or seen > limit
        if too_large:
            if seen > DRAIN_BYTES:
                break
            continue
        chunks += chunk
    if too_large:
        raise BodyTooLarge(f"request body is larger than {limit} bytes")
    return bytes(chunks)


def decode_json(body: bytes, body_type: type[Any]) -> Any:
    """Decode and validate a JSON body, translating msgspec's errors to the hub's."""
    try:
        value = msgspec.json.decode(body, type=body_type)
    except msgspec.ValidationError as exc:
        raise InvalidBody(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise InvalidJSON(f"body is not valid JSON: {exc}") from None
    except UnicodeDecodeError:
        # msgspec lets this one through for invalid UTF-8 inside a string.
        raise InvalidJSON("body is not valid JSON: it is not UTF-8") from None
    except RecursionError:
        raise InvalidJSON("body is nested too deeply") from None
    problem = unstorable(msgspec.to_builtins(value, builtin_types=(dt.datetime,)))
    if problem:
        raise InvalidBody(problem)
    return value


def unstorable(value: object, where: str = "$") -> str | None:
    """Why a decoded body cannot be stored as given, or None.

    JSON allows what PostgreSQL refuses: a NUL character in text (or in a JSON key), and
    dates that are valid with their offset but fall outside the datetime range in UTC.
    """
    if isinstance(value, str):
        return f"{where} contains a NUL character" if "\x00" in value else None
    if isinstance(value, dt.datetime):
        try:
            value.astimezone(dt.UTC)
        except OverflowError:
            return f"{where} is out of range"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = unstorable(key, f"{where} (a key)") or unstorable(item, f"{where}.{key}")
            if problem:
                return problem
    if isinstance(value, list):
        for index, item in enumerate(value):
            problem = unstorable(item, f"{where}[{index}]")
            if problem:
                return problem
    return None


def decode_query(params: dict[str, str], query_type: type[Any]) -> Any:
    """Validate query parameters (text) into `query_type`; InvalidBody names the parameter."""
    try:
        return msgspec.convert(params, type=query_type, strict=False)
    except msgspec.ValidationError as exc:
        raise InvalidBody(f"query parameter: {exc}") from None


def check_path(params: Mapping[str, object]) -> None:
    """NotFound unless every path parameter could name an object: `slug` an org's address,
    `*_id` a UUID, anything else text without NUL of at most 200 characters.

    Checked before a handler runs, so that what no object can be called answers exactly like
    an object that does not exist, and never reaches the database.
    """
    for name, value in params.items():
        text = str(value)
        if name == "slug":
            ok = is_slug(text)
        elif name.endswith("_id"):
            try:
                uuid.UUID(text)
                ok = True
            except ValueError:
                ok = False
        else:
            ok = len(text) <= 200 and "\x00" not in text
        if not ok:
            raise NotFound("no such page" if name == "slug" else f"no such {name[:-3]}")
