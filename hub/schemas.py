"""What the API and the forms accept and return, as msgspec structs.

The same structs validate JSON bodies and form posts (services take them), and generate the
OpenAPI document, so the document cannot drift from what the hub enforces.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
import zoneinfo
from typing import Annotated, Any, Literal

import msgspec

from contract.event_package import (
    DEFAULT_DOOR_OPENS_MINUTES,
    DEFAULT_DOOR_POLICY,
    MAX_DOOR_OPENS_MINUTES,
    DoorPolicy,
)
from hub.roles import Role

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Text = Annotated[str, msgspec.Meta(max_length=5000)]
Slug = Annotated[str, msgspec.Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")]
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Colour = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
Timezone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
When = Annotated[dt.datetime, msgspec.Meta(tz=True)]
DoorOpensMinutes = Annotated[int, msgspec.Meta(ge=0, le=MAX_DOOR_OPENS_MINUTES)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"\S")]
RowLabel = Annotated[str, msgspec.Meta(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")]
SeatNumber = Annotated[int, msgspec.Meta(ge=1, le=999)]


@functools.cache
def known_timezones() -> frozenset[str]:
    """The tz database's zone names (Africa/Johannesburg, UTC, ...)."""
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in known_timezones()


class Input(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Base of request bodies: unknown fields are refused, not silently dropped.

    A struct with a `timezone` field refuses names the tz database does not know: msgspec
    reports a ValueError from `__post_init__` as a validation error of the body.
    """

    def __post_init__(self) -> None:
        timezone = getattr(self, "timezone", None)
        if timezone is not None and not is_timezone(timezone):
            raise ValueError(
                f"unknown timezone {timezone!r}: use a tz database name like "
                "Africa/Johannesburg or UTC - at `$.timezone`"
            )


class Paging(Input):
    """Which part of a long list: `limit` items from `offset`. The answer's X-Total-Count
    header says how many there are in all."""

    limit: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 100
    offset: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] = 0


# Organisation and people


class OrgIn(Input):
    name: Name
    slug: Slug


class OrgUpdate(Input):
    name: Name | None = None
    colour: Colour | None = None
    logo_url: Annotated[str, msgspec.Meta(max_length=500, pattern=r"^(https://\S+)?$")] | None = (
        None
    )
    timezone: Timezone | None = None
    currency: Currency | None = None


class OrgOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    slug: str
    branding: dict[str, str]
    settings: dict[str, str]


class MemberIn(Input):
    email: Email
    role: Role


class RoleChange(Input):
    role: Role


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role


class ApiKeyIn(Input):
    name: Name
    role: Role


class ApiKeyOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiKeyCreated(msgspec.Struct):
    key: str
    api_key: ApiKeyOut


class AuditOut(msgspec.Struct):
    actor: str
    action: str
    target: str
    detail: dict[str, Any]
    at: dt.datetime


# Venues and seating


class VenueIn(Input):
    name: Name
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    timezone: Timezone = "UTC"


class VenueUpdate(Input):
    name: Name | None = None
    address: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    timezone: Timezone | None = None


class VenueOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    address: str
    timezone: str


class LayoutIn(Input):
    name: Name


class LayoutOut(msgspec.Struct):
    id: uuid.UUID
    venue_id: uuid.UUID
    name: str
    seat_count: int


class ZoneIn(Input):
    name: ShortName
    colour: Colour = "#888888"


class ZoneOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    colour: str


class SectionIn(Input):
    name: ShortName


class SectionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    position: int


class SeatBatchIn(Input):
    """Rows `first_row`..`last_row` (letters or numbers) of seats `first_seat`..`last_seat`.

    `skip_seats` leaves those numbers out (a pillar, a sound desk); `aisles_after` leaves an
    empty column after those numbers, so the plan shows the aisle.
    """

    section_id: uuid.UUID
    first_row: RowLabel
    last_row: RowLabel
    first_seat: SeatNumber = 1
    last_seat: SeatNumber = 20
    skip_seats: Annotated[list[SeatNumber], msgspec.Meta(max_length=999)] = []
    aisles_after: Annotated[list[SeatNumber], msgspec.Meta(max_length=999)] = []
    zone_id: uuid.UUID | None = None


class SeatUpdate(Input):
    """Change many seats at once (what the builder saves): a zone, labels, or removal.

    `zone_id` null clears the zone; leave `set_zone` false to keep zones as they are.
    """

    seat_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=5000)]
    set_zone: bool = False
    zone_id: uuid.UUID | None = None
    labels: dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=32)]] = {}
    remove: bool = False


class SeatOut(msgspec.Struct):
    id: uuid.UUID
    section_id: uuid.UUID
    row_label: str
    number: int
    label: str
    zone_id: uuid.UUID | None
    grid_row: int
    grid_column: int


class LayoutDetail(msgspec.Struct):
    layout: LayoutOut
    zones: list[ZoneOut]
    sections: list[SectionOut]
    seats: list[SeatOut]


# Events


EventStatusName = Literal["draft", "published", "ended", "cancelled"]


class EventIn(Input):
    name: Name
    venue_id: uuid.UUID
    layout_id: uuid.UUID | None = None
    description: Text = ""
    timezone: Timezone = "UTC"
    currency: Currency = "ZAR"
    # Gates admit from this many minutes before the first date starts until the last ends;
    # outside that window they warn, reject (invalid_time), or do not check (off).
    door_opens_minutes: DoorOpensMinutes = DEFAULT_DOOR_OPENS_MINUTES
    door_policy: DoorPolicy = DEFAULT_DOOR_POLICY


class EventUpdate(Input):
    """Fields left out stay as they are; `layout_id: null` takes the layout off a draft."""

    name: Name | None = None
    layout_id: uuid.UUID | msgspec.UnsetType | None = msgspec.UNSET
    description: Text | None = None
    timezone: Timezone | None = None
    currency: Currency | None = None
    door_opens_minutes: DoorOpensMinutes | None = None
    door_policy: DoorPolicy | None = None


class EventOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    venue_id: uuid.UUID
    layout_id: uuid.UUID | None
    description: str
    status: EventStatusName
    timezone: str
    currency: str
    published_at: dt.datetime | None
    door_opens_minutes: int
    door_policy: DoorPolicy


class StatusChange(Input):
    status: Literal["published", "ended", "cancelled"]


class SessionIn(Input):
    starts_at: When
    ends_at: When
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""


class SessionOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class TicketTypeIn(Input):
    name: Name
    kind: Literal["general", "seated"]
    price_cents: Cents
    quota: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    zone_id: uuid.UUID | None = None
    entry_mode: Literal["single", "multi"] = "single"
    max_entries: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None
    reentry: bool = True


class TicketTypeOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: Literal["general", "seated"]
    price_cents: int
    quota: int | None
    zone_id: uuid.UUID | None
    entry_mode: Literal["single", "multi"]
    max_entries: int | None
    reentry: bool


class PriceRuleIn(Input):
    kind: Literal["early_bird", "promo_code", "group"]
    name: Name
    ticket_type_id: uuid.UUID | None = None
    percent_off: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    amount_off_cents: Annotated[int, msgspec.Meta(ge=1, le=100_000_000)] | None = None
    starts_at: When | None = None
    ends_at: When | None = None
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{3,64}$")] | None = None
    min_quantity: Annotated[int, msgspec.Meta(ge=2, le=10_000)] | None = None


class PriceRuleOut(msgspec.Struct):
    id: uuid.UUID
    kind: Literal["early_bird", "promo_code", "group"]
    name: str
    ticket_type_id: uuid.UUID | None
    percent_off: int | None
    amount_off_cents: int | None
    starts_at: dt.datetime | None
    ends_at: dt.datetime | None
    code: str | None
    min_quantity: int | None


class QuoteIn(Input):
    ticket_type_id: uuid.UUID
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1
    promo_code: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    at: When | None = None


class QuoteOut(msgspec.Struct):
    ticket_type_id: uuid.UUID
    quantity: int
    unit_price_cents: int
    discount_cents: int
    total_cents: int
    applied_rule: str | None


class CheckInListIn(Input):
    name: Name
    gates: Annotated[list[GateName], msgspec.Meta(min_length=1, max_length=100)]
    ticket_type_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=100)]


class CheckInListOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    gates: list[str]
    ticket_type_ids: list[uuid.UUID]


class GateRuleIn(Input):
    description: Name
    rule: dict[str, Any]
    ticket_type_id: uuid.UUID | None = None
    gate: GateName | None = None


class GateRuleOut(msgspec.Struct):
    id: uuid.UUID
    description: str
    rule: dict[str, Any]
    ticket_type_id: uuid.UUID | None
    gate: str | None


class KeyOut(msgspec.Struct):
    key_id: int
    public_key: str
    created_at: dt.datetime
    retired_at: dt.datetime | None
    revoked_at: dt.datetime | None


class KeyRotation(Input):
    """`compromised`: the old key may have leaked. Gates then refuse what it signed, and its
    tickets are re-signed with the new key (holders need their new QR codes)."""

    compromised: bool = False


class KeyRotated(msgspec.Struct):
    key: KeyOut
    resigned_tickets: int


class TicketIssueIn(Input):
    """Issue complimentary tickets (guest lists, press, artists); sales come later."""

    ticket_type_id: uuid.UUID
    holder: Annotated[str, msgspec.Meta(max_length=200)] = ""
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    seat_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=1000)] = []
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1


class TicketOut(msgspec.Struct):
    id: uuid.UUID
    ticket_type_id: uuid.UUID
    seat_id: uuid.UUID | None
    seat: str | None
    holder: str
    email: str
    status: Literal["valid", "revoked", "blocked"]
    token: str
    issued_at: dt.datetime


class TicketStatusChange(Input):
    status: Literal["revoked", "blocked", "valid"]
