"""What the gates saw, ingested at the hub: one row per scan id and per annulment, however
often and in whatever order the gates' changesets bring them (see hub.replication)."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.indexes import Index
from tortoise.models import Model

from hub.models.events import Event
from hub.models.tenancy import Org


class GateScan(Model):
    """A scan a gate recorded (admitted, rejected, exit or a supervisor's override)."""

    id = fields.UUIDField(primary_key=True)  # the gate's scan id: ingest is idempotent by it
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="gate_scans", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="gate_scans", on_delete=fields.CASCADE, db_index=False
    )
    event_id: uuid.UUID
    ticket_id = fields.UUIDField(null=True)  # NULL: the code named no ticket of the event
    gate = fields.CharField(max_length=64, default="")
    device = fields.CharField(max_length=200, null=True)
    direction = fields.CharField(max_length=8, default="in")
    status = fields.CharField(max_length=16, default="rejected")
    reason = fields.CharField(max_length=32, null=True)
    at = fields.DatetimeField(null=True)  # the gate's clock when it scanned
    hlc = fields.BigIntField(null=True)  # the scan order every replica agrees on
    site = fields.CharField(max_length=32, null=True)
    staff_id = fields.CharField(max_length=64, null=True)
    override_of = fields.UUIDField(null=True)
    note = fields.TextField(null=True)
    message = fields.TextField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)  # gates upload late: the hub's clock

    class Meta:
        table = "gate_scan"
        indexes = (Index(fields=("event_id", "at")), Index(fields=("event_id", "ticket_id")))


class GateAnnulment(Model):
    """An admitted scan a supervisor said no longer counts."""

    scan_id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="gate_annulments", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="gate_annulments", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    staff_id = fields.CharField(max_length=64, null=True)
    reason = fields.TextField(null=True)
    at = fields.DatetimeField(null=True)
    received_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "gate_annulment"
