"""Events: dates, status, ticket types, price rules, check-in lists, gate rules, signing keys
and tickets."""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from hub.models.tenancy import Org
from hub.models.venues import PriceZone, Seat, SeatingLayout, Venue


class EventStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ENDED = "ended"
    CANCELLED = "cancelled"


class TicketKind(StrEnum):
    GENERAL = "general"
    SEATED = "seated"


class PriceRuleKind(StrEnum):
    EARLY_BIRD = "early_bird"
    PROMO_CODE = "promo_code"
    GROUP = "group"


class TicketStatus(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    BLOCKED = "blocked"


class Event(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="events", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    venue: fields.ForeignKeyRelation[Venue] = fields.ForeignKeyField(
        "hub.Venue", related_name="events", on_delete=fields.RESTRICT
    )
    venue_id: uuid.UUID
    layout: fields.ForeignKeyNullableRelation[SeatingLayout] = fields.ForeignKeyField(
        "hub.SeatingLayout", related_name="events", null=True, on_delete=fields.RESTRICT
    )
    layout_id: uuid.UUID | None
    name = fields.CharField(max_length=200)
    description = fields.TextField(default="")
    status = fields.CharEnumField(EventStatus, max_length=16, default=EventStatus.DRAFT)
    timezone = fields.CharField(max_length=64, default="UTC")
    currency = fields.CharField(max_length=3, default="ZAR")
    # The door window (contract.event_package.EventInfo): gates admit from this many
    # minutes before the first date starts until the last date ends; outside it they warn,
    # reject, or do not check (door_policy). Defaults in the database too, so that adding
    # the columns to a hub with events fills them in.
    door_opens_minutes = fields.IntField(default=120, db_default=120)
    door_policy = fields.CharField(max_length=8, default="warn", db_default="warn")
    created_at = fields.DatetimeField(auto_now_add=True)
    published_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event"


class EventSession(Model):
    """One date of an event (a festival has several)."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="event_sessions", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="sessions", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    name = fields.CharField(max_length=200, default="")
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()

    class Meta:
        table = "event_session"


class TicketType(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="ticket_types", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="ticket_types", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    name = fields.CharField(max_length=200)
    kind = fields.CharEnumField(TicketKind, max_length=16)
    price_cents = fields.IntField()
    # General admission: how many may be sold. Seated: the zone's seats are the quota.
    quota = fields.IntField(null=True)
    zone: fields.ForeignKeyNullableRelation[PriceZone] = fields.ForeignKeyField(
        "hub.PriceZone", related_name="ticket_types", null=True, on_delete=fields.RESTRICT
    )
    zone_id: uuid.UUID | None
    entry_mode = fields.CharField(max_length=8, default="single")
    max_entries = fields.IntField(null=True)
    reentry = fields.BooleanField(default=True)

    class Meta:
        table = "ticket_type"
        unique_together = (("event", "name"),)


class PriceRule(Model):
    """A discount: early-bird (a window), promo code (a code) or group (a minimum quantity)."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="price_rules", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="price_rules", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    ticket_type: fields.ForeignKeyNullableRelation[TicketType] = fields.ForeignKeyField(
        "hub.TicketType", related_name="price_rules", null=True, on_delete=fields.CASCADE
    )
    ticket_type_id: uuid.UUID | None
    kind = fields.CharEnumField(PriceRuleKind, max_length=16)
    name = fields.CharField(max_length=200)
    percent_off = fields.IntField(null=True)
    amount_off_cents = fields.IntField(null=True)
    starts_at = fields.DatetimeField(null=True)
    ends_at = fields.DatetimeField(null=True)
    code = fields.CharField(max_length=64, null=True)
    min_quantity = fields.IntField(null=True)

    class Meta:
        table = "price_rule"
        unique_together = (("event", "code"),)


class CheckInList(Model):
    """Which ticket types may enter through which gates."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="check_in_lists", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="check_in_lists", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    name = fields.CharField(max_length=200)
    gates: list[str] = fields.JSONField(default=list)
    ticket_type_ids: list[str] = fields.JSONField(default=list)

    class Meta:
        table = "check_in_list"
        unique_together = (("event", "name"),)


class GateRuleRow(Model):
    """A JSON-logic entry rule (see `contract.gate_rules`) that gates evaluate."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="gate_rules", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="gate_rules", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    description = fields.CharField(max_length=200)
    rule: dict[str, object] = fields.JSONField()
    ticket_type: fields.ForeignKeyNullableRelation[TicketType] = fields.ForeignKeyField(
        "hub.TicketType", related_name="gate_rules", null=True, on_delete=fields.CASCADE
    )
    ticket_type_id: uuid.UUID | None
    gate = fields.CharField(max_length=64, null=True)

    class Meta:
        table = "gate_rule"


class EventKey(Model):
    """An event's Ed25519 signing key. The newest unretired key signs new tickets; retired
    keys still verify the tickets they signed, unless revoked (a key thought compromised):
    gates then refuse everything it signed, and its tickets are re-signed."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="event_keys", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="keys", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    key_id = fields.IntField()
    seed = fields.BinaryField()
    public_key = fields.BinaryField()
    created_at = fields.DatetimeField()
    retired_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event_key"
        unique_together = (("event", "key_id"),)


class Ticket(Model):
    """An issued ticket. A seat can hold one ticket per event: the database guarantees it."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="tickets", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    event: fields.ForeignKeyRelation[Event] = fields.ForeignKeyField(
        "hub.Event", related_name="tickets", on_delete=fields.CASCADE
    )
    event_id: uuid.UUID
    ticket_type: fields.ForeignKeyRelation[TicketType] = fields.ForeignKeyField(
        "hub.TicketType", related_name="tickets", on_delete=fields.RESTRICT
    )
    ticket_type_id: uuid.UUID
    # Indexed by itself: removing seats makes PostgreSQL look up each seat's tickets, and
    # the (event, seat) index cannot serve that lookup.
    seat: fields.ForeignKeyNullableRelation[Seat] = fields.ForeignKeyField(
        "hub.Seat", related_name="tickets", null=True, on_delete=fields.RESTRICT, db_index=True
    )
    seat_id: uuid.UUID | None
    holder = fields.CharField(max_length=200, default="")
    email = fields.CharField(max_length=254, default="")
    status = fields.CharEnumField(TicketStatus, max_length=16, default=TicketStatus.VALID)
    # Why it is revoked or blocked ("lost", "stolen"): gates show it at the scan.
    status_reason = fields.CharField(max_length=100, default="", db_default="")
    key_id = fields.IntField()
    token = fields.CharField(max_length=200)
    issued_at = fields.DatetimeField()
    status_changed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "ticket"
        unique_together = (("event", "seat"),)
