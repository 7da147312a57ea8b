"""Gate devices: adding one (with its one-time enrolment token), listing, revoking and
re-keying, and what the hub's sync routes ask of them.

A device serves events of its venue at one of their gates. Only the SHA-256 of a token is
stored; the token text and its QR image exist in the answer to add or re-key alone.
Re-keying forgets the device's key in the same transaction that makes the new token, so
the old key stops working at once.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import segno
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub import enrolment_tokens
from hub.device_schemas import DeviceCreated, DeviceIn, DeviceOut, EnrolmentTokenOut
from hub.errors import Conflict, InvalidTransition, ValidationFailed
from hub.models import (
    Device,
    DeviceEvent,
    DeviceState,
    EnrolmentToken,
    Event,
    EventStatus,
    HubIdentity,
    Venue,
)
from hub.roles import Action
from hub.schemas import Paging
from hub.services import audit
from hub.services.gate_names import require_gates
from hub.tenancy import Principal, get_owned, require, scoped
from sync.device_auth import SignedRequest

HUB_IDENTITY_ROW = "this hub"


async def hub_id() -> str:
    """This hub database's stable id, made on first use (any worker may be first)."""
    row = await HubIdentity.get_or_none(id=HUB_IDENTITY_ROW)
    if row is None:
        try:
            row = await HubIdentity.create(
                id=HUB_IDENTITY_ROW, hub_id=enrolment_tokens.new_hub_id()
            )
        except IntegrityError:
            row = await HubIdentity.get(id=HUB_IDENTITY_ROW)  # another worker made it first
    return str(row.hub_id)


def qr_png(text: str) -> bytes:
    """`text` as a QR code image (PNG) a gate's camera can read off a phone or a screen."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="png", scale=6, border=4)
    return out.getvalue()


async def _event_ids(device_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    served: dict[uuid.UUID, list[uuid.UUID]] = {d: [] for d in device_ids}
    for link in await DeviceEvent.filter(device_id__in=device_ids).order_by("event_id"):
        served[link.device_id].append(link.event_id)
    return served


def device_out(d: Device, event_ids: list[uuid.UUID]) -> DeviceOut:
    return DeviceOut(
        d.id,
        d.name,
        d.venue_id,
        event_ids,
        d.gate,
        d.state.value,
        None if d.public_key is None else bytes(d.public_key).hex(),
        d.host_name,
        d.software_version,
        d.enrolled_at,
        d.last_seen_at,
        d.clock_offset_ms,
        d.backlog,
        d.revoked_at,
        d.created_by,
        d.created_at,
    )


async def _issue_token(principal: Principal, device: Device, now: dt.datetime) -> EnrolmentTokenOut:
    token = enrolment_tokens.new_token(await hub_id())
    expires_at = now + enrolment_tokens.LIFETIME
    await EnrolmentToken.create(
        org_id=principal.org_id,
        device=device,
        token_sha256=enrolment_tokens.digest(token),
        expires_at=expires_at,
    )
    return EnrolmentTokenOut(token, expires_at, base64.b64encode(qr_png(token)).decode())


async def _served_events(principal: Principal, venue: Venue, data: DeviceIn) -> list[Event]:
    events = []
    for event_id in dict.fromkeys(data.event_ids):
        event = await get_owned(Event, principal, event_id)
        if event.venue_id != venue.id:
            raise ValidationFailed(f"the event {event.name!r} is not held at {venue.name}")
        if event.status in (EventStatus.ENDED, EventStatus.CANCELLED):
            raise ValidationFailed(f"the event {event.name!r} is {event.status.value}")
        await require_gates(event.id, [data.gate.strip()], f"Gate (event {event.name})")
        events.append(event)
    return events


async def add_device(principal: Principal, data: DeviceIn, now: dt.datetime) -> DeviceCreated:
    """A pending device and its one-time enrolment token (valid 24 hours)."""
    require(principal, Action.DEVICES_MANAGE)
    venue = await get_owned(Venue, principal, data.venue_id)
    events = await _served_events(principal, venue, data)
    name, gate = data.name.strip(), data.gate.strip()
    try:
        async with in_transaction() as conn:
            device = await Device.create(
                org_id=principal.org_id,
                venue=venue,
                name=name,
                gate=gate,
                created_by=principal.display[:300],
            )
            for event in events:
                await DeviceEvent.create(org_id=principal.org_id, device=device, event=event)
            enrolment = await _issue_token(principal, device, now)
            await publish_roster(conn, [e.id for e in events], now)
            await audit.record(
                principal,
                "device.created",
                f"device {name} ({venue.name})",
                now,
                gate=gate,
                events=", ".join(e.name for e in events),
            )
    except IntegrityError:
        raise Conflict(f"{venue.name} already has a device called {name!r}") from None
    return DeviceCreated(device_out(device, [e.id for e in events]), enrolment)


class DeviceQuery(Paging):
    """Which devices: those serving `event_id`, or of `venue_id`, or all (a page of them)."""

    event_id: uuid.UUID | None = None
    venue_id: uuid.UUID | None = None


async def list_devices(principal: Principal, query: DeviceQuery) -> tuple[list[DeviceOut], int]:
    """One page of the org's devices, by name, and how many there are in all."""
    require(principal, Action.DEVICES_READ)
    rows = scoped(Device, principal)
    if query.event_id is not None:
        event = await get_owned(Event, principal, query.event_id)
        rows = rows.filter(serves__event_id=event.id)
    if query.venue_id is not None:
        venue = await get_owned(Venue, principal, query.venue_id)
        rows = rows.filter(venue_id=venue.id)
    total = await rows.count()
    page = await rows.order_by("name", "id").offset(query.offset).limit(query.limit)
    served = await _event_ids([d.id for d in page])
    return [device_out(d, served[d.id]) for d in page], total


async def get_device(principal: Principal, device_id: object) -> DeviceOut:
    require(principal, Action.DEVICES_READ)
    device = await get_owned(Device, principal, device_id)
    return device_out(device, (await _event_ids([device.id]))[device.id])


async def revoke_device(principal: Principal, device_id: object, now: dt.datetime) -> DeviceOut:
    """Revoke for good: the hub refuses its requests from now on, and the gates do as soon
    as the roster reaches them. Its unused tokens go with it."""
    require(principal, Action.DEVICES_MANAGE)
    device = await get_owned(Device, principal, device_id)
    async with in_transaction() as conn:
        device = await Device.filter(id=device.id).select_for_update().get()
        if device.state == DeviceState.REVOKED:
            raise InvalidTransition(f"the device {device.name} is already revoked")
        device.state = DeviceState.REVOKED
        device.revoked_at = now
        await device.save(update_fields=["state", "revoked_at"])
        await EnrolmentToken.filter(device_id=device.id, used_at__isnull=True).delete()
        await publish_roster(conn, (await _event_ids([device.id]))[device.id], now)
        await audit.record(principal, "device.revoked", f"device {device.name}", now)
    return device_out(device, (await _event_ids([device.id]))[device.id])


async def rekey_device(principal: Principal, device_id: object, now: dt.datetime) -> DeviceCreated:
    """A new enrolment token; the device is pending again and its old key (and any unused
    token) stops working at once. A revoked device stays revoked: add a new one."""
    require(principal, Action.DEVICES_MANAGE)
    device = await get_owned(Device, principal, device_id)
    async with in_transaction() as conn:
        device = await Device.filter(id=device.id).select_for_update().get()
        if device.state == DeviceState.REVOKED:
            raise InvalidTransition(
                f"the device {device.name} was revoked, which is final: add a new device"
            )
        device.state = DeviceState.PENDING
        device.public_key = None
        device.enrolled_at = None
        await device.save(update_fields=["state", "public_key", "enrolled_at"])
        await EnrolmentToken.filter(device_id=device.id, used_at__isnull=True).delete()
        enrolment = await _issue_token(principal, device, now)
        await publish_roster(conn, (await _event_ids([device.id]))[device.id], now)
        await audit.record(principal, "device.rekeyed", f"device {device.name}", now)
    return DeviceCreated(device_out(device, (await _event_ids([device.id]))[device.id]), enrolment)


# What the hub's sync routes ask (hub.replication): no principal, the device signs for itself.


async def publish_roster(
    conn: BaseDBAsyncClient, event_ids: list[uuid.UUID], now: dt.datetime
) -> None:
    """Publish the device roster of these events in ``conn``'s transaction: the gates learn
    of an enrolment, a re-key or a revocation from the hub as soon as it commits."""
    from hub.replication import event_rows  # noqa: PLC0415 (it imports the event services)

    for event in await Event.filter(id__in=event_ids):
        await event_rows.publish_event(conn, event, now, tables=("devices",))


def _device_uuid(device_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(device_id)
    except (ValueError, TypeError, AttributeError):
        return None


async def sync_key(event_id: uuid.UUID, device_id: str) -> bytes | None:
    """The device's 32-byte public key while it is active and serves the event, else None
    (also for a malformed device id)."""
    key = _device_uuid(device_id)
    if key is None:
        return None
    device = await Device.filter(
        id=key, state=DeviceState.ACTIVE, serves__event_id=event_id
    ).first()
    if device is None or device.public_key is None:
        return None
    return bytes(device.public_key)


async def seen(
    device_id: str,
    *,
    clock_offset_ms: int | None,
    software_version: str | None,
    backlog: int | None,
    now: dt.datetime,
) -> None:
    """Record that the device was heard from now, with what it reported (None: unchanged)."""
    key = _device_uuid(device_id)
    if key is None:
        return
    changes: dict[str, object] = {"last_seen_at": now}
    if clock_offset_ms is not None:
        changes["clock_offset_ms"] = max(-(2**62), min(2**62, clock_offset_ms))
    if software_version is not None and "\x00" not in software_version:
        changes["software_version"] = software_version[:64]
    if backlog is not None:
        changes["backlog"] = max(0, min(2**31 - 1, backlog))
    await Device.filter(id=key, state=DeviceState.ACTIVE).update(**changes)


VERSION_HEADER = "x-software-version"
BACKLOG_HEADER = "x-replication-backlog"


async def seen_request(
    signed: SignedRequest, headers: Mapping[str, str], *, now: dt.datetime
) -> None:
    """`seen` for a verified sync request: the clock offset from its signed time (the
    gate's clock minus the hub's, network delay included), the version and backlog from
    the x-software-version and x-replication-backlog headers when they are well-formed."""
    version = headers.get(VERSION_HEADER)
    if version is not None and not (0 < len(version) <= 64 and version.isprintable()):
        version = None
    raw_backlog = headers.get(BACKLOG_HEADER, "")
    backlog = int(raw_backlog) if raw_backlog.isascii() and raw_backlog.isdigit() else None
    await seen(
        signed.device,
        clock_offset_ms=signed.stamp_ms - int(now.timestamp() * 1000),
        software_version=version,
        backlog=None if backlog is None or len(raw_backlog) > 12 else backlog,
        now=now,
    )


@dataclass(frozen=True)
class RosterEntry:
    """One row of the replicated `devices` table (contract.replica_schema)."""

    id: str
    name: str
    gate: str
    public_key: bytes | None
    state: str  # 'active' or 'revoked'
    revoked_at: dt.datetime | None


async def roster(event_id: uuid.UUID) -> list[RosterEntry]:
    """Every device of the event's venue serving the event, by id. Only an active device is
    published 'active' (with its key); a revoked one, and a pending one (never enrolled, or
    re-keyed), are 'revoked', so that a gate stops trusting a re-keyed device's old key at
    once and trusts its new one when it enrols again. An unknown event has none."""
    event = await Event.get_or_none(id=event_id)
    if event is None:
        return []
    rows = await Device.filter(venue_id=event.venue_id, serves__event_id=event.id).order_by("id")
    return [
        RosterEntry(
            str(d.id),
            d.name,
            d.gate,
            None if d.public_key is None else bytes(d.public_key),
            "active" if d.state == DeviceState.ACTIVE else "revoked",
            d.revoked_at,
        )
        for d in rows
    ]
