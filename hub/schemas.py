"""What the API and the forms accept and return, as msgspec structs.

The same structs validate JSON bodies and form posts (services take them), and generate the
OpenAPI document, so the document cannot drift from what the hub enforces.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
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
from hub.errors import InvalidRule
from hub.roles import Role
from hub.rule_text import check_rule

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern=r"\S")]
ShortName = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=r"\S")]
Text = Annotated[str, msgspec.Meta(max_length=5000)]
SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
Slug = Annotated[str, msgspec.Meta(min_length=2, max_length=64, pattern=SLUG_PATTERN)]
# A deliverable address, as sign-up forms check it: a local part of plain ASCII (what mail
# servers accept) without spaces, quotes or brackets, at most 64 characters, and a domain
# of dot-separated labels ending in a name (letters of any script), so "name@example",
# "a@@b.org" and "a b@c.org" are refused.
EMAIL_PATTERN = (
    r"^(?=[\x21-\x7e]{1,64}@)[^@\s\"(),:;<>\[\]\\]+"
    r"@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})$"
)
Email = Annotated[str, msgspec.Meta(max_length=254, pattern=EMAIL_PATTERN)]
Password = Annotated[str, msgspec.Meta(max_length=1024)]
Colour = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
Timezone = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Currency = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$")]
When = Annotated[dt.datetime, msgspec.Meta(tz=True)]
DoorOpensMinutes = Annotated[int, msgspec.Meta(ge=0, le=MAX_DOOR_OPENS_MINUTES)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=100_000_000)]
GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"\S")]
RowLabel = Annotated[str, msgspec.Meta(min_length=1, max_length=8, pattern=r"^[A-Za-z0-9]+$")]
SeatNumber = Annotated[int, msgspec.Meta(ge=1, le=999)]
SEAT_LABEL_MAX = 32
SeatLabel = Annotated[str, msgspec.Meta(min_length=1, max_length=SEAT_LABEL_MAX, pattern=r"\S")]
# Where the product is at home; sign-up starts there (the browser's own zone when it says).
DEFAULT_TIMEZONE = "Africa/Johannesburg"


@functools.cache
def known_timezones() -> frozenset[str]:
    """The tz database's zone names (Africa/Johannesburg, UTC, ...)."""
    return frozenset(zoneinfo.available_timezones())


def is_timezone(name: str) -> bool:
    return name in known_timezones()


_SLUG = re.compile(SLUG_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def is_slug(value: str) -> bool:
    """Whether `value` could be an org's address (what `Slug` accepts)."""
    return 2 <= len(value) <= 64 and _SLUG.fullmatch(value) is not None


def is_email(value: str) -> bool:
    """Whether `value` is an address `Email` accepts."""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


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


class SignUpIn(Input):
    """The sign-up form: who the user is, and the timezone their organisations start with."""

    name: Name
    email: Email
    password: Password
    timezone: Timezone = DEFAULT_TIMEZONE


class AccountIn(Input):
    """The rest of an account whose email is already known and confirmed (an invitation,
    a sign-up by email)."""

    name: Name
    password: Password
    timezone: Timezone = DEFAULT_TIMEZONE


class SignInIn(Input):
    """The sign-in form; `next` is where to go afterwards (a path of the hub)."""

    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Password
    next: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class OrgIn(Input):
    """A new organisation; without a timezone it takes its creator's."""

    name: Name
    slug: Slug
    timezone: Timezone | None = None
    currency: Currency = "ZAR"


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


class RoleChange(Input):
    role: Role


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    email: str
    name: str
    role: Role


class InvitationIn(Input):
    """Invite an email address to join with a role (the answer never says whether the
    address has an account)."""

    email: Email
    role: Role


InvitationStatus = Literal["pending", "expired", "accepted", "revoked"]
DeliveryStatus = Literal["queued", "retrying", "sent", "saved", "failed", "cancelled"]


class DeliveryOut(msgspec.Struct):
    """The latest invitation email: `queued`, `retrying` (after `attempts` failed tries,
    the last with `last_error`), `sent` (an SMTP server took it), `saved` (no SMTP server:
    written to the hub's outbox folder), `failed` (given up: see `last_error`) or
    `cancelled` (withdrawn before it went out)."""

    status: DeliveryStatus
    attempts: int
    last_error: str
    sent_at: dt.datetime | None


class InvitationOut(msgspec.Struct):
    id: uuid.UUID
    email: str
    role: Role
    status: InvitationStatus
    invited_by: str
    created_at: dt.datetime
    sent_at: dt.datetime
    expires_at: dt.datetime
    delivery: DeliveryOut | None


class InvitationCreated(msgspec.Struct):
    """`link` is there only when this hub sends no email (no SMTP server is configured):
    then give it to the invitee yourself. Otherwise only their mailbox gets it."""

    invitation: InvitationOut
    link: str | None


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
    """A new venue; without a timezone it takes its organisation's."""

    name: Name
    address: Annotated[str, msgspec.Meta(max_length=500)] = ""
    timezone: Timezone | None = None


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
    labels: dict[str, SeatLabel] = {}
    remove: bool = False


GridIndex = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class GridArea(Input):
    """The seats drawn in grid rows `first_row`..`last_row` and grid columns
    `first_column`..`last_column` of the plan (inclusive, counted from 0 like a seat's
    `grid_row` and `grid_column`): what a drag across the builder's plan selects."""

    first_row: GridIndex
    last_row: GridIndex
    first_column: GridIndex
    last_column: GridIndex


class RowRange(Input):
    """Rows `first_row`..`last_row` (letters or numbers, as seat batches name them; one row
    when `last_row` is left out, every row when both are) of one section (of every section
    when `section_id` is left out), optionally only the seats numbered
    `first_seat`..`last_seat`."""

    section_id: uuid.UUID | None = None
    first_row: RowLabel | None = None
    last_row: RowLabel | None = None
    first_seat: SeatNumber | None = None
    last_seat: SeatNumber | None = None


class SeatSelection(Input):
    """Which seats of a layout a change applies to: every seat that any part names.

    `all` is the whole layout; `sections`, `rows` and `areas` name seats by where they
    are, so any selection drawn in the builder stays a small body. `seat_ids` lists seats
    one by one, for the few that no range describes.
    """

    all: bool = False
    sections: Annotated[list[uuid.UUID], msgspec.Meta(max_length=100)] = []
    rows: Annotated[list[RowRange], msgspec.Meta(max_length=500)] = []
    areas: Annotated[list[GridArea], msgspec.Meta(max_length=1000)] = []
    seat_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=1000)] = []


class SeatChange(Input):
    """One change to every seat of `select`, in one transaction.

    `remove` deletes them (refused while tickets name any of them); `set_zone` gives them
    `zone_id` (null: no zone); `set_section` moves them to `section_id`. With
    `expected_seats`, the change is refused (409) unless the selection matches exactly that
    many seats: a builder that drew an older plan then changes nothing it did not show.
    """

    select: SeatSelection
    action: Literal["remove", "set_zone", "set_section"]
    zone_id: uuid.UUID | None = None
    section_id: uuid.UUID | None = None
    expected_seats: Annotated[int, msgspec.Meta(ge=0, le=10_000_000)] | None = None


class SeatOut(msgspec.Struct):
    id: uuid.UUID
    section_id: uuid.UUID
    row_label: str
    number: int
    label: str
    zone_id: uuid.UUID | None
    grid_row: int
    grid_column: int


class SeatChangeOut(msgspec.Struct):
    """What a seat change did: `seats` is how many seats it changed (or removed)."""

    action: str
    seats: int
    layout: LayoutOut


class LayoutDetail(msgspec.Struct):
    layout: LayoutOut
    zones: list[ZoneOut]
    sections: list[SectionOut]
    seats: list[SeatOut]


# Events


EventStatusName = Literal["draft", "published", "ended", "cancelled"]


class EventIn(Input):
    """A new draft event. Without `timezone` it takes its venue's (an event's times are
    shown, and typed, in the zone of the place where it happens); without `currency` its
    organisation's."""

    name: Name
    venue_id: uuid.UUID
    layout_id: uuid.UUID | None = None
    description: Text = ""
    timezone: Timezone | None = None
    currency: Currency | None = None
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
    """A date of the event. One that starts in the past is refused (`422 date_in_past`)
    unless `allow_past` is true: it is usually a typo in the year or the month."""

    starts_at: When
    ends_at: When
    name: Annotated[str, msgspec.Meta(max_length=200)] = ""
    allow_past: bool = False


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
    """An entry rule: `rule` is JSON logic over the variables gates know (see
    `contract.gate_rules`), checked here, so the API and the gates page refuse alike."""

    description: Name
    rule: dict[str, Any]
    ticket_type_id: uuid.UUID | None = None
    gate: GateName | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            check_rule(self.rule)
        except InvalidRule as exc:
            raise ValueError(f"{exc} - at `$.rule`") from None


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
    # Why it was revoked or blocked ("lost", "stolen"); empty while it is valid.
    status_reason: str
    token: str
    issued_at: dt.datetime


class TicketStatusChange(Input):
    """Revoke, block or restore a ticket. A block needs a `reason` ("lost", "stolen"):
    the gate shows it when the ticket is scanned; a revocation may give one. Gates learn
    of it from the next event package."""

    status: Literal["revoked", "blocked", "valid"]
    reason: Annotated[str, msgspec.Meta(max_length=100)] = ""
