"""What the API and the forms accept and return for gates, devices and enrolment."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

import msgspec

from hub.schemas import GateName, Input, ShortName

HostName = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
SoftwareVersion = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"\S")]
PublicKeyHex = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-fA-F]{64}$")]
TokenText = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class GateIn(Input):
    name: GateName


class GateOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    created_at: dt.datetime


class DeviceIn(Input):
    """A gate device of `venue_id` serving `event_ids` (events of that venue) at `gate`,
    a gate of each of those events."""

    name: ShortName
    venue_id: uuid.UUID
    event_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)]
    gate: GateName


class DeviceOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    venue_id: uuid.UUID
    event_ids: list[uuid.UUID]
    gate: str
    state: Literal["pending", "active", "revoked"]
    public_key: str | None  # hex, once enrolled
    host_name: str
    software_version: str
    enrolled_at: dt.datetime | None
    last_seen_at: dt.datetime | None
    clock_offset_ms: int | None
    backlog: int | None
    revoked_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime


class EnrolmentTokenOut(msgspec.Struct):
    """A one-time enrolment token: shown in this answer only (the hub keeps its SHA-256)."""

    token: str
    expires_at: dt.datetime
    qr_png_base64: str  # the token as a QR code (PNG), for a gate's camera


class DeviceCreated(msgspec.Struct):
    device: DeviceOut
    enrolment: EnrolmentTokenOut


class EnrolIn(Input):
    token: TokenText
    public_key: PublicKeyHex
    host_name: HostName
    software_version: SoftwareVersion


class EnrolledEvent(msgspec.Struct):
    id: uuid.UUID
    name: str
    sync_path: str


class EnrolOut(msgspec.Struct):
    hub_id: str
    device_id: str
    device_name: str
    org: str
    venue: str
    venue_id: str
    gate: str
    events: list[EnrolledEvent]
    venue_secret: str
