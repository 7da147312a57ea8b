"""Gate devices at the hub: an event's gates as objects, the devices that serve them, their
one-time enrolment tokens, the hub's own id, and the nonces of device-signed requests.

A device belongs to a venue and serves one or more of its events at one named gate. It is
pending until a gate enrols with a token, active once its public key is known, and revoked
for good when the organiser says so (re-keying makes it pending again with a new token).
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from hub.models.events import Event
from hub.models.tenancy import Org
from hub.models.venues import Venue


class DeviceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REVOKED = "revoked"


class EventGate(Model):
    """One entrance of an event ("north"): check-in lists, rules and devices name it."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="event_gates", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="gates", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    name = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "event_gate"
        unique_together = (("event", "name"),)


class Device(Model):
    """A gate device (a Pi at an entrance) of one venue."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="devices", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    venue: fields.ForeignKeyRelation[Venue] = fields.ForeignKeyField(
        "hub.Venue", related_name="devices", on_delete=fields.CASCADE
    )
    venue_id: uuid.UUID
    name = fields.CharField(max_length=100)
    gate = fields.CharField(max_length=64)
    state = fields.CharEnumField(DeviceState, max_length=8, default=DeviceState.PENDING)
    # The Ed25519 key the device signs its sync with (32 bytes); NULL until it enrols.
    public_key = fields.BinaryField(null=True)
    host_name = fields.CharField(max_length=200, default="")
    software_version = fields.CharField(max_length=64, default="")
    enrolled_at = fields.DatetimeField(null=True)
    last_seen_at = fields.DatetimeField(null=True)
    # As the gate reports them: its clock minus the hub's, and changes not yet sent.
    clock_offset_ms = fields.BigIntField(null=True)
    backlog = fields.IntField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_by = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "device"
        unique_together = (("venue", "name"),)


class DeviceEvent(Model):
    """That a device serves an event (of its venue)."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="device_events", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    device: fields.ForeignKeyRelation[Device] = fields.ForeignKeyField(
        "hub.Device", related_name="serves", on_delete=fields.CASCADE
    )
    device_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="devices", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID

    class Meta:
        table = "device_event"
        unique_together = (("device", "event"),)


class EnrolmentToken(Model):
    """A one-time token a device enrols with; only its SHA-256 is kept."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="enrolment_tokens", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    device: fields.ForeignKeyRelation[Device] = fields.ForeignKeyField(
        "hub.Device", related_name="tokens", on_delete=fields.CASCADE
    )
    device_id: uuid.UUID
    token_sha256 = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "enrolment_token"


class HubIdentity(Model):
    """The hub's own stable id (one row, made on first use): enrolment tokens name it, so a
    gate given another hub's token is told so."""

    id = fields.CharField(primary_key=True, max_length=16)  # always "this hub"
    hub_id = fields.CharField(max_length=32)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "hub_identity"


class DeviceNonce(Model):
    """A nonce of a device-signed request some hub worker accepted: a repeat is a replay."""

    id = fields.BigIntField(primary_key=True)
    device_id = fields.CharField(max_length=64)
    nonce = fields.CharField(max_length=32)
    stamp = fields.BigIntField()  # the request's time, milliseconds since the epoch

    class Meta:
        table = "device_nonce"
        unique_together = (("device_id", "nonce"),)
        indexes = (Index(fields=("stamp",)),)
