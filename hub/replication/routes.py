"""The hub's sync routes: ``POST /sync/events/{event_id}/versions | pull | push``.

Same bodies and answers as ``sync.transport``: msgpack version maps, ``sync.wire``
changesets keyed with the venue's sync secret, a streamed pull, errors as msgpack
``{"error": code, "detail": ...}`` (401 unauthenticated, 404 unknown event, 400 others).
Requests are device-signed (``sync.transport.device_authenticator``). Every worker serves
every event: the state is in PostgreSQL, and a push merges and ingests in one transaction.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable

import msgspec
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from hub.models import Event
from hub.replication import event_rows, ingest, store
from hub.replication.accept import hub_accept
from hub.replication.directory import DeviceDirectory
from hub.replication.errors import UnknownEventError
from hub.replication.merge import merge_batch
from hub.replication.publish import raw_connection
from sync.device_auth import SignedRequest
from sync.errors import AuthenticationError, SyncError
from sync.transport import (
    CHANGESET_TYPE,
    MAX_BODY,
    MSGPACK_TYPE,
    decode_versions,
    device_authenticator,
    encode_versions,
)
from sync.wire import decode_changeset, encode_changeset

PREFIX = "/sync/events"


def _error(exc: SyncError) -> Response:
    status = 400
    if isinstance(exc, AuthenticationError):
        status = 401
    elif isinstance(exc, UnknownEventError):
        status = 404
    body = msgspec.msgpack.encode({"error": exc.code, "detail": str(exc)})
    return Response(body, status, media_type=MSGPACK_TYPE)


def _header_int(request: Request, name: str) -> int | None:
    text = request.headers.get(name, "")
    return int(text) if text.isdigit() else None


class _Peer:
    """One request's event: its id, org and changeset secret, and the verified sender."""

    def __init__(self, event_id: uuid.UUID, org_id: uuid.UUID, secret: bytes) -> None:
        self.event_id = event_id
        self.org_id = org_id
        self.secret = secret
        self.signed: SignedRequest | None = None

    def verified(self, _request: Request, signed: SignedRequest) -> None:
        self.signed = signed


async def _ensure_published(event_id: uuid.UUID, now: dt.datetime) -> None:
    """An event the hub has never published (made before the hub replicated) is published
    whole on its first sync request, so gates never see part of it."""
    conn = Tortoise.get_connection("default")
    held = await conn.execute_query_dict(
        "SELECT 1 AS held FROM sync_clock WHERE event_id = $1", [event_id]
    )
    if held:
        return
    async with in_transaction() as tx:
        event = await Event.get(id=event_id)
        await event_rows.publish_event(tx, event, now)


async def _peer(
    request: Request,
    directory: DeviceDirectory,
    max_body: int,
    now: Callable[[], dt.datetime],
) -> tuple[_Peer, bytes]:
    """The request's event and its authenticated body; ``SyncError`` otherwise."""
    try:
        event_id = uuid.UUID(request.path_params["event_id"])
    except ValueError:
        raise UnknownEventError("the sync path names no event") from None
    conn = Tortoise.get_connection("default")
    found = await conn.execute_query_dict("SELECT org_id FROM event WHERE id = $1", [event_id])
    if not found:
        raise UnknownEventError(f"no event {event_id} at this hub")
    secret = await directory.sync_secret(event_id)
    if secret is None:
        raise UnknownEventError(
            f"event {event_id} does not replicate: its venue has no sync secret"
        )
    who = _Peer(event_id, found[0]["org_id"], secret)
    await _ensure_published(event_id, now())

    async def key_of(device: str) -> bytes | None:
        return await directory.sync_key(event_id, device)

    authenticate = device_authenticator(
        key_of, admit_nonce=directory.admit_nonce, max_body=max_body, on_verified=who.verified
    )
    body = await authenticate(request)
    if who.signed is not None:
        await directory.seen(
            who.signed.device,
            clock_offset_ms=who.signed.stamp_ms - int(time.time() * 1000),
            software_version=request.headers.get("x-software-version") or None,
            backlog=_header_int(request, "x-replication-backlog"),
            now=now(),
        )
    return who, body


def hub_sync_routes(
    directory: DeviceDirectory,
    *,
    max_body: int = MAX_BODY,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
) -> list[BaseRoute]:
    """The per-event sync routes, authenticating devices through ``directory``."""

    async def peer(request: Request) -> tuple[_Peer, bytes]:
        return await _peer(request, directory, max_body, now)

    async def versions(request: Request) -> Response:
        try:
            who, _body = await peer(request)
            client = Tortoise.get_connection("default")
            async with client.acquire_connection() as pg:
                found = await store.origin_versions(pg, who.event_id)
        except SyncError as exc:
            return _error(exc)
        return Response(encode_versions(found), media_type=MSGPACK_TYPE)

    async def pull(request: Request) -> Response:
        try:
            who, body = await peer(request)
            wanted = decode_versions(body)
            client = Tortoise.get_connection("default")
            async with client.acquire_connection() as pg:
                clock = await store.read_clock(pg, who.event_id)
                # One snapshot: the rows found by origin and their states must agree.
                async with pg.transaction(isolation="repeatable_read", readonly=True):
                    rows = await store.changes_missing(pg, who.event_id, wanted)
        except SyncError as exc:
            return _error(exc)
        chunks = encode_changeset(rows, secret=who.secret, sender=clock.site_id)

        async def stream() -> AsyncIterator[bytes]:
            async for chunk in iterate_in_threadpool(chunks):
                yield chunk

        return StreamingResponse(stream(), media_type=CHANGESET_TYPE)

    async def push(request: Request) -> Response:
        try:
            who, body = await peer(request)
            changeset = await run_in_threadpool(decode_changeset, body, secret=who.secret)
            async with in_transaction() as conn:
                pg = raw_connection(conn)
                outcome = await merge_batch(pg, who.event_id, changeset.changes, accept=hub_accept)
                await ingest.project(pg, who.event_id, who.org_id, outcome.changed, now())
        except SyncError as exc:
            return _error(exc)
        answer = msgspec.msgpack.encode({"db_version": outcome.db_version})
        return Response(answer, media_type=MSGPACK_TYPE)

    return [
        Route(PREFIX + "/{event_id}/versions", versions, methods=["POST"]),
        Route(PREFIX + "/{event_id}/pull", pull, methods=["POST"]),
        Route(PREFIX + "/{event_id}/push", push, methods=["POST"]),
    ]
