"""The demo organisation `make demo` shows: an organiser login, a venue with a seated
layout, and a published seated event tonight with its three gates and a few complimentary
tickets of each kind worth scanning.

Made through the services, as an organiser would make it in the app; made once (a second
run finds the org and leaves it as the user may have changed it, only giving the event a
date tonight again once its dates have passed). `demo_device_tokens` adds the demo's gate
devices (or re-keys them) the way an organiser does on the Devices page, for `make demo`
to enrol its gates with.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from hub import database
from hub.device_schemas import DeviceIn, GateIn
from hub.models import Device, Event, EventSession, Org, Ticket, TicketType, User
from hub.models.devices import DeviceState
from hub.schemas import (
    CheckInListIn,
    EventIn,
    LayoutIn,
    OrgUpdate,
    SeatBatchIn,
    SectionIn,
    SessionIn,
    StatusChange,
    TicketIssueIn,
    TicketStatusChange,
    TicketTypeIn,
    VenueIn,
    ZoneIn,
)
from hub.services import accounts, devices, events, gates, ticket_types, tickets, venues
from hub.tenancy import Principal

DEMO_SLUG = "demo-theatre"
DEMO_EMAIL = "organiser@demo.voelgoed.test"
# Printed by `make demo` for anyone to sign in with: a demo, not a secret.
DEMO_PASSWORD = "voelgoed-demo"  # noqa: S105
DEMO_EVENT = "Opening Night"
DEMO_GATES = ("gate-1", "gate-2", "gate-3")
VIP_GATE = "gate-2"
# Tonight's date: doors open two hours before (the event's door window), so they are open.
SHOW_STARTS_IN = dt.timedelta(hours=1)
SHOW_LASTS = dt.timedelta(hours=3)


@dataclass(frozen=True)
class SampleTicket:
    """A ticket to try at the door, what it is and what a gate answers the first time."""

    label: str
    expect: str
    code: str


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    org_slug: str
    created: bool
    event_id: uuid.UUID | None = None


async def seed_demo(database_url: str | None, data_dir: Path, now: dt.datetime) -> DemoLogin:
    """Create the demo org and its event unless they exist; give the event a date tonight
    when its dates have passed."""
    url = database.resolve_url(database_url, data_dir)
    await database.migrate(url)
    async with database.connected(url):
        if await Org.exists(slug=DEMO_SLUG):
            me = await _organiser()
            event = await Event.filter(org_id=me.org_id, name=DEMO_EVENT).first()
            if event is not None:
                await _date_tonight(me, event.id, now)
            return DemoLogin(
                DEMO_EMAIL,
                DEMO_PASSWORD,
                DEMO_SLUG,
                created=False,
                event_id=None if event is None else event.id,
            )
        event_id = await _create(now)
        return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, created=True, event_id=event_id)


async def _organiser() -> Principal:
    # By email, not password: the demo organiser may have changed theirs.
    user = await User.get(email=DEMO_EMAIL)
    return await accounts.member_principal(user, DEMO_SLUG)


async def _date_tonight(me: Principal, event_id: uuid.UUID, now: dt.datetime) -> None:
    last = await EventSession.filter(event_id=event_id).order_by("-ends_at").first()
    if last is not None and last.ends_at > now:
        return
    start = (now + SHOW_STARTS_IN).replace(second=0, microsecond=0)
    await events.add_session(
        me, event_id, SessionIn(starts_at=start, ends_at=start + SHOW_LASTS, name="Tonight"), now
    )


async def _create(now: dt.datetime) -> uuid.UUID:
    user = await accounts.sign_up(DEMO_EMAIL, "Demo Organiser", DEMO_PASSWORD)
    org = await accounts.create_org(user, "Demo Theatre", DEMO_SLUG, now)
    me = await accounts.member_principal(user, org.slug)
    # The theatre is in Johannesburg: its audit log and keys read in SAST too.
    await accounts.update_org(me, OrgUpdate(timezone="Africa/Johannesburg"), now)
    venue = await venues.create_venue(
        me,
        VenueIn(name="Civic Theatre", address="1 Long Street", timezone="Africa/Johannesburg"),
        now,
    )
    layout = await venues.create_layout(me, venue.id, LayoutIn(name="Main house"), now)
    front = await venues.create_zone(
        me, layout.id, ZoneIn(name="Front stalls", colour="#d9480f"), now
    )
    back = await venues.create_zone(
        me, layout.id, ZoneIn(name="Back stalls", colour="#1971c2"), now
    )
    stalls = await venues.create_section(me, layout.id, SectionIn(name="Stalls"), now)
    for first, last, zone in (("A", "F", front.id), ("G", "P", back.id)):
        await venues.add_seat_batch(
            me,
            layout.id,
            SeatBatchIn(
                section_id=stalls.id,
                first_row=first,
                last_row=last,
                first_seat=1,
                last_seat=24,
                aisles_after=[6, 18],
                zone_id=zone,
            ),
            now,
        )
    event = await events.create_event(
        me,
        EventIn(
            name=DEMO_EVENT,
            venue_id=venue.id,
            layout_id=layout.id,
            description="The season opens.",
            timezone="Africa/Johannesburg",
        ),
        now,
    )
    await _date_tonight(me, event.id, now)
    for gate in DEMO_GATES:
        await gates.add_gate(me, event.id, GateIn(name=gate), now)
    front_type = await ticket_types.add_ticket_type(
        me,
        event.id,
        TicketTypeIn(name="Front stalls", kind="seated", price_cents=45000, zone_id=front.id),
        now,
    )
    await ticket_types.add_ticket_type(
        me,
        event.id,
        TicketTypeIn(name="Back stalls", kind="seated", price_cents=30000, zone_id=back.id),
        now,
    )
    standing = await ticket_types.add_ticket_type(
        me,
        event.id,
        TicketTypeIn(name="Standing", kind="general", price_cents=15000, quota=200),
        now,
    )
    vip = await ticket_types.add_ticket_type(
        me,
        event.id,
        TicketTypeIn(name="VIP lounge", kind="general", price_cents=90000, quota=20),
        now,
    )
    crew = await ticket_types.add_ticket_type(
        me,
        event.id,
        TicketTypeIn(name="Crew pass", kind="general", price_cents=0, quota=20, entry_mode="multi"),
        now,
    )
    await events.add_check_in_list(
        me,
        event.id,
        CheckInListIn(name="VIP entrance", gates=[VIP_GATE], ticket_type_ids=[vip.id]),
        now,
    )
    await events.change_status(me, event.id, StatusChange(status="published").status, now)
    detail = await venues.layout_detail(me, layout.id)
    front_seats = [s.id for s in detail.seats if s.zone_id == front.id][:4]
    issued = [
        TicketIssueIn(ticket_type_id=front_type.id, holder="Press", seat_ids=front_seats),
        TicketIssueIn(ticket_type_id=standing.id, holder="Lerato Dlamini"),
        TicketIssueIn(ticket_type_id=standing.id, holder="Pieter Botha (refunded)"),
        TicketIssueIn(ticket_type_id=standing.id, holder="Naledi Nkosi (lost)"),
        TicketIssueIn(ticket_type_id=vip.id, holder="Anri van der Merwe"),
        TicketIssueIn(ticket_type_id=crew.id, holder="Sipho (stage crew)"),
    ]
    for data in issued:
        await tickets.issue(me, event.id, data, now)
    for holder, change in (
        ("Pieter Botha (refunded)", TicketStatusChange(status="revoked", reason="refunded")),
        ("Naledi Nkosi (lost)", TicketStatusChange(status="blocked", reason="lost")),
    ):
        ticket = await Ticket.get(event_id=event.id, holder=holder)
        await tickets.change_status(me, event.id, ticket.id, change, now)
    return event.id


async def sample_tickets(database_url: str | None, data_dir: Path) -> list[SampleTicket]:
    """The demo's tickets worth scanning, with what a gate answers the first time."""
    url = database.resolve_url(database_url, data_dir)
    async with database.connected(url):
        event = await Event.get(org__slug=DEMO_SLUG, name=DEMO_EVENT)

        async def code(holder: str) -> str:
            ticket = await Ticket.filter(event_id=event.id, holder=holder).order_by("id").first()
            if ticket is None:
                raise LookupError(f"the demo ticket of {holder!r} is gone")
            return ticket.token

        any_type = await TicketType.filter(event_id=event.id).order_by("name").first()
        assert any_type is not None
        return [
            SampleTicket("seated (Press)", "ok, then already_scanned", await code("Press")),
            SampleTicket("standing", "ok", await code("Lerato Dlamini")),
            SampleTicket(
                f"VIP lounge at gate-1 (VIP entrance is {VIP_GATE})",
                "product",
                await code("Anri van der Merwe"),
            ),
            SampleTicket("crew pass", "ok on every entry", await code("Sipho (stage crew)")),
            SampleTicket("refunded ticket", "revoked", await code("Pieter Botha (refunded)")),
            SampleTicket("lost ticket", "blocked", await code("Naledi Nkosi (lost)")),
            SampleTicket("forged ticket", "forged", _foreign_code(event.id, any_type.id)),
            SampleTicket(
                "another event's ticket",
                "wrong_event",
                _foreign_code(uuid.UUID(int=1, version=4), any_type.id),
            ),
        ]


def _foreign_code(event_id: uuid.UUID, ticket_type_id: uuid.UUID) -> str:
    """A well-formed token signed by a key no event knows: a forgery for this event, a
    ticket of another event for any other id."""
    from contract.ticket_token import SigningKey, TicketClaims, sign_token  # noqa: PLC0415

    rogue = SigningKey(1, bytes(range(32)))
    claims = TicketClaims(
        event_id=event_id,
        ticket_id=uuid.UUID(int=7, version=4),
        ticket_type_id=ticket_type_id,
        key_id=1,
    )
    return sign_token(claims, rogue)


async def demo_device_tokens(
    database_url: str | None, data_dir: Path, gate_names: list[str], now: dt.datetime
) -> dict[str, str]:
    """A one-time enrolment token for each of these demo gates: its device is added the
    first time, re-keyed later (its data folder was made afresh)."""
    url = database.resolve_url(database_url, data_dir)
    tokens: dict[str, str] = {}
    async with database.connected(url):
        me = await _organiser()
        event = await Event.get(org_id=me.org_id, name=DEMO_EVENT)
        for gate in gate_names:
            existing = (
                await Device.filter(org_id=me.org_id, venue_id=event.venue_id, name=gate)
                .exclude(state=DeviceState.REVOKED)
                .first()
            )
            if existing is None:
                created = await devices.add_device(
                    me,
                    DeviceIn(name=gate, venue_id=event.venue_id, event_ids=[event.id], gate=gate),
                    now,
                )
            else:
                created = await devices.rekey_device(me, existing.id, now)
            tokens[gate] = created.enrolment.token
    return tokens
