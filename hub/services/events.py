"""Events, their dates, ticket types, price rules, check-in lists, gate rules and status."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import get_args

import msgspec
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from contract.errors import GateRuleError
from contract.event_package import DEFAULT_DOOR_POLICY, DoorPolicy
from contract.gate_rules import validate_rule
from hub import pricing
from hub.errors import Conflict, InvalidTransition, PublishBlocked, ValidationFailed
from hub.models import (
    CheckInList,
    Event,
    EventSession,
    EventStatus,
    GateRuleRow,
    PriceRule,
    PriceZone,
    Seat,
    Ticket,
    TicketKind,
    TicketType,
    Venue,
)
from hub.publishing import EventFacts, publish_problems, transition_allowed
from hub.roles import Action
from hub.schemas import (
    CheckInListIn,
    CheckInListOut,
    EventIn,
    EventOut,
    EventUpdate,
    GateRuleIn,
    GateRuleOut,
    PriceRuleIn,
    PriceRuleOut,
    QuoteIn,
    QuoteOut,
    SessionIn,
    SessionOut,
    TicketTypeIn,
    TicketTypeOut,
)
from hub.services import audit, keys
from hub.services.venues import layout_for_event
from hub.tenancy import Principal, get_owned, require, scoped


def event_out(e: Event) -> EventOut:
    return EventOut(
        e.id,
        e.name,
        e.venue_id,
        e.layout_id,
        e.description,
        e.status.value,
        e.timezone,
        e.currency,
        e.published_at,
        e.door_opens_minutes,
        door_policy(e.door_policy),
    )


def door_policy(stored: str) -> DoorPolicy:
    """The event's door policy as the contract names it (the column holds only those)."""
    return next((p for p in get_args(DoorPolicy) if p == stored), DEFAULT_DOOR_POLICY)


async def list_events(principal: Principal) -> list[EventOut]:
    require(principal, Action.EVENTS_READ)
    return [event_out(e) for e in await scoped(Event, principal).order_by("-created_at")]


async def get_event(principal: Principal, event_id: object) -> EventOut:
    require(principal, Action.EVENTS_READ)
    return event_out(await get_owned(Event, principal, event_id))


async def create_event(principal: Principal, data: EventIn, now: dt.datetime) -> EventOut:
    require(principal, Action.EVENTS_WRITE)
    venue = await get_owned(Venue, principal, data.venue_id)
    if data.layout_id is not None:
        await layout_for_event(principal, data.layout_id, venue.id)
    async with in_transaction():
        event = await Event.create(
            org_id=principal.org_id,
            venue=venue,
            layout_id=data.layout_id,
            name=data.name,
            description=data.description,
            timezone=data.timezone,
            currency=data.currency,
            door_opens_minutes=data.door_opens_minutes,
            door_policy=data.door_policy,
        )
        await keys.create_first_key(principal, event, now)
    return event_out(event)


async def _editable(principal: Principal, event_id: object) -> Event:
    require(principal, Action.EVENTS_WRITE)
    event = await get_owned(Event, principal, event_id)
    if event.status in (EventStatus.ENDED, EventStatus.CANCELLED):
        raise InvalidTransition(f"the event is {event.status.value}: it can no longer change")
    return event


_EVENT_FIELDS = ("name", "description", "timezone", "currency", "door_opens_minutes", "door_policy")


async def update_event(principal: Principal, event_id: object, data: EventUpdate) -> EventOut:
    event = await _editable(principal, event_id)
    if data.layout_id is not msgspec.UNSET and data.layout_id != event.layout_id:
        if event.status != EventStatus.DRAFT:
            raise InvalidTransition("the layout of a published event cannot change")
        if data.layout_id is not None:
            await layout_for_event(principal, data.layout_id, event.venue_id)
        # Seated types are priced by zones of the old layout: they would sell its seats.
        if await scoped(TicketType, principal, event_id=event.id, kind=TicketKind.SEATED).exists():
            raise Conflict("seated ticket types use the current layout: delete them first")
        event.layout_id = data.layout_id
    for field in (
        "name",
        "description",
        "timezone",
        "currency",
        "door_opens_minutes",
        "door_policy",
    ):
        value = getattr(data, field)
        if value is not None:
            setattr(event, field, value)
    await event.save()
    return event_out(event)


async def change_status(
    principal: Principal, event_id: object, status: str, now: dt.datetime
) -> EventOut:
    """Publish, end or cancel; publishing checks the event first (PublishBlocked)."""
    require(principal, Action.EVENTS_PUBLISH)
    event = await get_owned(Event, principal, event_id)
    if not transition_allowed(event.status.value, status):
        raise InvalidTransition(f"a {event.status.value} event cannot become {status}")
    if status == EventStatus.PUBLISHED:
        problems = publish_problems(await _facts(principal, event), now)
        if problems:
            raise PublishBlocked(problems)
        event.published_at = now
    event.status = EventStatus(status)
    await event.save()
    await audit.record(principal, f"event.{status}", f"event {event.name}", now)
    return event_out(event)


async def _facts(principal: Principal, event: Event) -> EventFacts:
    sessions = await scoped(EventSession, principal, event_id=event.id)
    types = await scoped(TicketType, principal, event_id=event.id)
    described = []
    for t in types:
        zone_seats = None
        if t.zone_id is not None:
            zone_seats = await Seat.filter(zone_id=t.zone_id).count()
        described.append((t.name, t.kind.value, t.price_cents, t.quota, zone_seats))
    return EventFacts(
        event.name,
        event.layout_id is not None,
        [(s.starts_at, s.ends_at) for s in sessions],
        described,
    )


# Dates


async def list_sessions(principal: Principal, event_id: object) -> list[SessionOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(EventSession, principal, event_id=event.id).order_by("starts_at")
    return [SessionOut(s.id, s.name, s.starts_at, s.ends_at) for s in rows]


async def add_session(principal: Principal, event_id: object, data: SessionIn) -> SessionOut:
    event = await _editable(principal, event_id)
    if data.ends_at <= data.starts_at:
        raise ValidationFailed("a date must end after it starts")
    s = await EventSession.create(
        org_id=principal.org_id,
        event=event,
        name=data.name,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
    )
    return SessionOut(s.id, s.name, s.starts_at, s.ends_at)


async def delete_session(principal: Principal, event_id: object, session_id: object) -> None:
    event = await _editable(principal, event_id)
    row = await get_owned(EventSession, principal, session_id, event_id=event.id)
    if (
        event.status == EventStatus.PUBLISHED
        and await scoped(EventSession, principal, event_id=event.id).count() <= 1
    ):
        raise InvalidTransition("a published event keeps at least one date")
    await row.delete()


# Ticket types


def ticket_type_out(t: TicketType) -> TicketTypeOut:
    return TicketTypeOut(
        t.id,
        t.name,
        t.kind.value,
        t.price_cents,
        t.quota,
        t.zone_id,
        t.entry_mode,  # type: ignore[arg-type]  # validated on the way in
        t.max_entries,
        t.reentry,
    )


async def list_ticket_types(principal: Principal, event_id: object) -> list[TicketTypeOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(TicketType, principal, event_id=event.id).order_by("name")
    return [ticket_type_out(t) for t in rows]


async def add_ticket_type(
    principal: Principal, event_id: object, data: TicketTypeIn
) -> TicketTypeOut:
    event = await _editable(principal, event_id)
    if data.kind == "general":
        if data.zone_id is not None:
            raise ValidationFailed("general admission has no zone; choose 'seated' for zones")
        if data.quota is None:
            raise ValidationFailed("general admission needs a quota (how many may be sold)")
    else:
        if data.zone_id is None:
            raise ValidationFailed("a seated ticket type needs a price zone")
        if event.layout_id is None:
            raise ValidationFailed("choose a seating layout for the event first")
        zone = await scoped(PriceZone, principal, id=data.zone_id).first()
        if zone is None or zone.layout_id != event.layout_id:
            raise ValidationFailed("the zone is not part of the event's seating layout")
        if data.quota is not None:
            raise ValidationFailed("a seated ticket type's quota is its zone's seats")
    if data.entry_mode == "single" and data.max_entries not in (None, 1):
        raise ValidationFailed("max_entries is for multi-entry tickets")
    try:
        t = await TicketType.create(
            org_id=principal.org_id,
            event=event,
            name=data.name,
            kind=data.kind,
            price_cents=data.price_cents,
            quota=data.quota,
            zone_id=data.zone_id,
            entry_mode=data.entry_mode,
            max_entries=data.max_entries,
            reentry=data.reentry,
        )
    except IntegrityError:
        raise Conflict(f"the event already has a ticket type called {data.name!r}") from None
    return ticket_type_out(t)


async def delete_ticket_type(principal: Principal, event_id: object, type_id: object) -> None:
    event = await _editable(principal, event_id)
    row = await get_owned(TicketType, principal, type_id, event_id=event.id)
    if await Ticket.filter(ticket_type_id=row.id).exists():
        raise Conflict("tickets of this type exist: it cannot be deleted")
    if (
        event.status == EventStatus.PUBLISHED
        and await scoped(TicketType, principal, event_id=event.id).count() <= 1
    ):
        raise InvalidTransition("a published event keeps at least one ticket type")
    await row.delete()


# Price rules


def price_rule_out(r: PriceRule) -> PriceRuleOut:
    return PriceRuleOut(
        r.id,
        r.kind.value,
        r.name,
        r.ticket_type_id,
        r.percent_off,
        r.amount_off_cents,
        r.starts_at,
        r.ends_at,
        r.code,
        r.min_quantity,
    )


async def list_price_rules(principal: Principal, event_id: object) -> list[PriceRuleOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(PriceRule, principal, event_id=event.id).order_by("name")
    return [price_rule_out(r) for r in rows]


async def add_price_rule(principal: Principal, event_id: object, data: PriceRuleIn) -> PriceRuleOut:
    event = await _editable(principal, event_id)
    if (data.percent_off is None) == (data.amount_off_cents is None):
        raise ValidationFailed("give either percent_off or amount_off_cents")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise ValidationFailed("the rule must end after it starts")
    if data.kind == "early_bird" and data.ends_at is None:
        raise ValidationFailed("an early-bird price needs an end (ends_at)")
    if data.kind == "promo_code" and not data.code:
        raise ValidationFailed("a promo code rule needs a code")
    if data.kind != "promo_code" and data.code:
        raise ValidationFailed("only promo code rules have a code")
    if data.kind == "group" and data.min_quantity is None:
        raise ValidationFailed("a group discount needs min_quantity")
    if data.ticket_type_id is not None:
        await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    try:
        r = await PriceRule.create(
            org_id=principal.org_id,
            event=event,
            ticket_type_id=data.ticket_type_id,
            kind=data.kind,
            name=data.name,
            percent_off=data.percent_off,
            amount_off_cents=data.amount_off_cents,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            code=data.code,
            min_quantity=data.min_quantity,
        )
    except IntegrityError:
        raise Conflict(f"the code {data.code!r} is already used in this event") from None
    return price_rule_out(r)


async def delete_price_rule(principal: Principal, event_id: object, rule_id: object) -> None:
    event = await _editable(principal, event_id)
    await (await get_owned(PriceRule, principal, rule_id, event_id=event.id)).delete()


async def quote(
    principal: Principal, event_id: object, data: QuoteIn, now: dt.datetime
) -> QuoteOut:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    ticket_type = await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    rows = await scoped(PriceRule, principal, event_id=event.id)
    rules = [
        pricing.Rule(
            r.name,
            r.kind.value,
            r.percent_off,
            r.amount_off_cents,
            r.starts_at,
            r.ends_at,
            r.code,
            r.min_quantity,
        )
        for r in rows
        if r.ticket_type_id in (None, ticket_type.id)
    ]
    q = pricing.quote(
        ticket_type.price_cents, data.quantity, rules, data.promo_code, data.at or now
    )
    return QuoteOut(
        ticket_type.id,
        q.quantity,
        q.unit_price_cents,
        q.discount_cents,
        q.total_cents,
        q.applied_rule,
    )


# Check-in lists and gate rules


async def list_check_in_lists(principal: Principal, event_id: object) -> list[CheckInListOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(CheckInList, principal, event_id=event.id).order_by("name")
    return [
        CheckInListOut(r.id, r.name, list(r.gates), [uuid.UUID(t) for t in r.ticket_type_ids])
        for r in rows
    ]


async def add_check_in_list(
    principal: Principal, event_id: object, data: CheckInListIn
) -> CheckInListOut:
    event = await _editable(principal, event_id)
    wanted = set(data.ticket_type_ids)
    found = await scoped(TicketType, principal, event_id=event.id, id__in=list(wanted)).count()
    if found != len(wanted):
        raise ValidationFailed("some ticket types are not part of this event")
    gates = sorted({g.strip() for g in data.gates})
    try:
        row = await CheckInList.create(
            org_id=principal.org_id,
            event=event,
            name=data.name,
            gates=gates,
            ticket_type_ids=[str(t) for t in sorted(wanted)],
        )
    except IntegrityError:
        raise Conflict(f"the event already has a check-in list called {data.name!r}") from None
    return CheckInListOut(row.id, row.name, gates, sorted(wanted))


async def delete_check_in_list(principal: Principal, event_id: object, list_id: object) -> None:
    event = await _editable(principal, event_id)
    await (await get_owned(CheckInList, principal, list_id, event_id=event.id)).delete()


async def list_gate_rules(principal: Principal, event_id: object) -> list[GateRuleOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(GateRuleRow, principal, event_id=event.id).order_by("description")
    return [GateRuleOut(r.id, r.description, r.rule, r.ticket_type_id, r.gate) for r in rows]


async def add_gate_rule(principal: Principal, event_id: object, data: GateRuleIn) -> GateRuleOut:
    event = await _editable(principal, event_id)
    try:
        validate_rule(data.rule)
    except GateRuleError as exc:
        raise ValidationFailed(f"the rule is not one gates can evaluate: {exc}") from None
    if data.ticket_type_id is not None:
        await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    row = await GateRuleRow.create(
        org_id=principal.org_id,
        event=event,
        description=data.description,
        rule=data.rule,
        ticket_type_id=data.ticket_type_id,
        gate=data.gate,
    )
    return GateRuleOut(row.id, row.description, row.rule, data.ticket_type_id, row.gate)


async def delete_gate_rule(principal: Principal, event_id: object, rule_id: object) -> None:
    event = await _editable(principal, event_id)
    await (await get_owned(GateRuleRow, principal, rule_id, event_id=event.id)).delete()
