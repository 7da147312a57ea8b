"""HTTP transport: Starlette routes a gate or the hub mounts, serving one replica.

- ``POST {prefix}/versions``: the replica's per-origin versions (msgpack map).
- ``POST {prefix}/pull``: body = the caller's per-origin versions (msgpack map); answers with
  a changeset (``sync.wire``) of everything the caller lacks, streamed frame by frame.
- ``POST {prefix}/push``: body = a changeset; verified whole, then applied in one
  transaction; answers with the replica's db_version (msgpack).

Every request is authenticated before its body is read past a small bound: by the venue
secret's HMAC (``sync.auth``, the offline mode) or, for enrolled devices, by the sending
device's signature with a nonce (``sync.device_auth``, through ``device_authenticator``).
Changesets are authenticated by their own HMAC chain over the venue secret.
Errors answer with the ``SyncError`` code.
By default replica calls run in the threadpool, serialised by a lock, so the replica's
connection must allow that (``check_same_thread=False``). A service that keeps its
connection on the event loop's thread passes ``run`` to call the replica there instead, and
``on_applied`` to learn of every batch merged by a push.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import msgspec
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from sync.auth import verify_request
from sync.changes import Change
from sync.device_auth import NonceWindow, SignedRequest, check_body, verify_signed_headers
from sync.errors import AuthenticationError, SyncError, WireFormatError
from sync.replica import Replica
from sync.wire import decode_changeset, encode_changeset

CHANGESET_TYPE = "application/vnd.voelgoed.changeset"
MSGPACK_TYPE = "application/msgpack"
MAX_BODY = 256 << 20

_versions_decoder = msgspec.msgpack.Decoder(dict[bytes, int])


def encode_versions(versions: dict[bytes, int]) -> bytes:
    """A per-origin version map as msgpack."""
    return msgspec.msgpack.encode(versions)


def decode_versions(body: bytes) -> dict[bytes, int]:
    """Decode a per-origin version map; malformed input raises ``WireFormatError``."""
    try:
        versions = _versions_decoder.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WireFormatError(f"bad version map: {exc}") from exc
    if any(len(site) != 16 or not 0 <= v < (1 << 63) for site, v in versions.items()):
        raise WireFormatError("bad version map")
    return versions


def _error(exc: SyncError) -> Response:
    status = 401 if isinstance(exc, AuthenticationError) else 400
    return Response(
        msgspec.msgpack.encode({"error": exc.code, "detail": str(exc)}),
        status,
        media_type=MSGPACK_TYPE,
    )


Runner = Callable[[Callable[[], Any]], Awaitable[Any]]
Authenticator = Callable[[Request], Awaitable[bytes]]
"""Reads a request's body once the request authenticated; raises ``SyncError`` otherwise."""


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request's body, refused (``WireFormatError``) as soon as it passes ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise WireFormatError("request body too large")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise WireFormatError("request body too large")
        parts.append(chunk)
    return b"".join(parts)


def secret_authenticator(secret: bytes, *, max_body: int = MAX_BODY) -> Authenticator:
    """The offline mode: requests carry an HMAC keyed with the venue secret, which covers the
    body, so the body is read (up to ``max_body``) before it is checked."""

    async def authenticate(request: Request) -> bytes:
        body = await read_bounded(request, max_body)
        verify_request(secret, request.method, request.url.path, dict(request.headers), body)
        return body

    return authenticate


PublicKeyOf = Callable[[str], Awaitable[bytes | None]]
NonceCheck = Callable[[SignedRequest, int], Awaitable[None]]


def device_authenticator(
    public_key_of: PublicKeyOf,
    *,
    admit_nonce: NonceCheck | None = None,
    max_body: int = MAX_BODY,
    now_ms: Callable[[], int] | None = None,
    on_verified: Callable[[Request, SignedRequest], None] | None = None,
) -> Authenticator:
    """Enrolled devices: the signature, the device's roster key and the nonce are checked from
    the headers alone; then at most the signed length of body is read and held to its digest.

    ``admit_nonce`` records a nonce or raises ``AuthenticationError`` for a replay (default:
    one in-memory ``NonceWindow``; a service of several processes passes one over its
    database). ``on_verified`` learns who sent each verified request.
    """
    window = NonceWindow()

    async def in_memory(signed: SignedRequest, now: int) -> None:
        window.admit(signed, now)

    admit = admit_nonce or in_memory
    clock = now_ms or (lambda: int(time.time() * 1000))

    async def authenticate(request: Request) -> bytes:
        now = clock()
        headers = request.headers
        # The roster lookup may be asynchronous: look the key up first, then verify.
        device = headers.get("x-device-id", "")
        key = await public_key_of(device) if device else None
        signed = verify_signed_headers(
            request.method,
            request.url.path,
            headers,
            public_key_of=lambda _device: key,
            now_ms=now,
            max_body=max_body,
        )
        await admit(signed, now)
        try:
            body = await read_bounded(request, signed.length)
        except WireFormatError as exc:
            raise AuthenticationError("the request body is longer than its device signed") from exc
        check_body(signed, body)
        if on_verified is not None:
            on_verified(request, signed)
        return body

    return authenticate


def sync_routes(
    replica: Replica,
    *,
    secret: bytes,
    prefix: str = "/sync",
    lock: threading.Lock | None = None,
    run: Runner | None = None,
    on_applied: Callable[[list[Change]], None] | None = None,
    authenticate: Authenticator | None = None,
) -> list[BaseRoute]:
    """The sync routes for ``replica``; changesets are keyed with the venue ``secret``, and
    requests are authenticated by ``authenticate`` (default: the venue secret's HMAC)."""
    guard = lock or threading.Lock()
    authenticated_body = authenticate or secret_authenticator(secret)

    async def in_threadpool(fn: Callable[[], Any]) -> Any:
        return await run_in_threadpool(locked, fn)

    call: Runner = run or in_threadpool

    def locked(fn: Callable[[], object]) -> object:
        with guard:
            return fn()

    async def versions(request: Request) -> Response:
        try:
            await authenticated_body(request)
        except SyncError as exc:
            return _error(exc)
        found = await call(replica.origin_versions)
        assert isinstance(found, dict)
        return Response(encode_versions(found), media_type=MSGPACK_TYPE)

    async def pull(request: Request) -> Response:
        try:
            wanted = decode_versions(await authenticated_body(request))
        except SyncError as exc:
            return _error(exc)
        rows = await call(lambda: replica.changes_missing(wanted))
        assert isinstance(rows, list)
        chunks = encode_changeset(rows, secret=secret, sender=replica.site_id)

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in iterate_in_threadpool(chunks):
                yield chunk

        return StreamingResponse(stream(), media_type=CHANGESET_TYPE)

    async def push(request: Request) -> Response:
        try:
            body = await authenticated_body(request)
            changeset = await run_in_threadpool(decode_changeset, body, secret=secret)
            result = await call(lambda: replica.apply_changes(changeset.changes))
        except SyncError as exc:
            return _error(exc)
        if on_applied is not None:
            on_applied(changeset.changes)
        db_version = getattr(result, "db_version", 0)
        return Response(msgspec.msgpack.encode({"db_version": db_version}), media_type=MSGPACK_TYPE)

    return [
        Route(f"{prefix}/versions", versions, methods=["POST"]),
        Route(f"{prefix}/pull", pull, methods=["POST"]),
        Route(f"{prefix}/push", push, methods=["POST"]),
    ]
