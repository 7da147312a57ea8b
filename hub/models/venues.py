"""Venues and their seating layouts: sections, seats and price zones.

A layout belongs to a venue and is reused by every event held with it; seats are rows of
(section, row label, number) with a grid position for drawing the plan.
"""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.fields.db_defaults import SqlDefault
from tortoise.models import Model

from hub.models.tenancy import Org


class Venue(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="venues", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    name = fields.CharField(max_length=200)
    address = fields.CharField(max_length=500, default="")
    timezone = fields.CharField(max_length=64, default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)
    # Keys the HMAC chain of the venue's replication changesets (sync.wire); gates get it at
    # enrolment. 32 random bytes made by PostgreSQL, so venues made before the column existed
    # get their own too (gen_random_uuid is core PostgreSQL; two give 244 random bits).
    sync_secret = fields.BinaryField(
        db_default=SqlDefault("uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())")
    )

    class Meta:
        table = "venue"


class SeatingLayout(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="layouts", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    venue: fields.ForeignKeyRelation[Venue] = fields.ForeignKeyField(
        "hub.Venue", related_name="layouts", on_delete=fields.CASCADE
    )
    venue_id: uuid.UUID
    name = fields.CharField(max_length=200)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "seating_layout"


class PriceZone(Model):
    """A group of seats sold at one price (the price is set per event, by ticket type)."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="price_zones", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    layout: fields.ForeignKeyRelation[SeatingLayout] = fields.ForeignKeyField(
        "hub.SeatingLayout", related_name="zones", on_delete=fields.CASCADE
    )
    layout_id: uuid.UUID
    name = fields.CharField(max_length=100)
    colour = fields.CharField(max_length=7, default="#888888")

    class Meta:
        table = "price_zone"
        unique_together = (("layout", "name"),)


class Section(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="sections", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    layout: fields.ForeignKeyRelation[SeatingLayout] = fields.ForeignKeyField(
        "hub.SeatingLayout", related_name="sections", on_delete=fields.CASCADE
    )
    layout_id: uuid.UUID
    name = fields.CharField(max_length=100)
    position = fields.IntField(default=0)

    class Meta:
        table = "section"
        unique_together = (("layout", "name"),)


class Seat(Model):
    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="seats", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    section: fields.ForeignKeyRelation[Section] = fields.ForeignKeyField(
        "hub.Section", related_name="seats", on_delete=fields.CASCADE
    )
    section_id: uuid.UUID
    row_label = fields.CharField(max_length=8)
    number = fields.IntField()
    # What is printed on the ticket; defaults to row and number ("C12").
    label = fields.CharField(max_length=32)
    zone: fields.ForeignKeyNullableRelation[PriceZone] = fields.ForeignKeyField(
        "hub.PriceZone", related_name="seats", null=True, on_delete=fields.SET_NULL
    )
    zone_id: uuid.UUID | None
    # Where the builder draws it: gaps are columns without a seat.
    grid_row = fields.IntField()
    grid_column = fields.IntField()

    class Meta:
        table = "seat"
        unique_together = (("section", "row_label", "number"),)
