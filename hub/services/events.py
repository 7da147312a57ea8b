"""Events, their dates, check-in lists, gate rules and status.

Ticket types live in `ticket_types`, price rules in `price_rules`. Every change is written
with its audit entry in one transaction (see `audit`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import get_args

import msgspec
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from contract.event_package import DEFAULT_DOOR_POLICY, DoorPolicy
from hub.errors import Conflict, DateInPast, InvalidTransition, PublishBlocked, ValidationFailed
from hub.local_time import shown
from hub.models import (
    CheckInList,
    Event,
    EventSession,
    EventStatus,
    GateRuleRow,
    Org,
    Seat,
    Ticket,
    TicketKind,
    TicketType,
    Venue,
)
from hub.publishing import EventFacts, publish_problems, starts_in_past, transition_allowed
from hub.replication import event_rows as replication
from hub.roles import Action
from hub.schemas import (
    CheckInListIn,
    CheckInListOut,
    EventIn,
    EventOut,
    EventUpdate,
    GateRuleIn,
    GateRuleOut,
    SessionIn,
    SessionOut,
)
from hub.services import audit, keys
from hub.services.gate_names import require_gates
from hub.services.venues import layout_for_event
from hub.tenancy import Principal, get_owned, require, scoped

STATUS_ACTIONS = {
    EventStatus.PUBLISHED: "event.published",
    EventStatus.ENDED: "event.ended",
    EventStatus.CANCELLED: "event.cancelled",
}


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
    async with in_transaction() as conn:
        event = await Event.create(
            org_id=principal.org_id,
            venue=venue,
            layout_id=data.layout_id,
            name=data.name,
            description=data.description,
            timezone=data.timezone or venue.timezone,
            currency=data.currency or await _org_currency(principal),
            door_opens_minutes=data.door_opens_minutes,
            door_policy=data.door_policy,
        )
        await keys.create_first_key(principal, event, now)
        await replication.publish_event(conn, event, now)
        await audit.record(
            principal,
            "event.created",
            f"event {event.name}",
            now,
            venue=venue.name,
            timezone=event.timezone,
        )
    return event_out(event)


async def _org_currency(principal: Principal) -> str:
    org = await Org.get(id=principal.org_id)
    return str(org.settings.get("currency", "ZAR"))


async def editable_event(principal: Principal, event_id: object) -> Event:
    """The event, if the principal may change it and it may still change."""
    require(principal, Action.EVENTS_WRITE)
    event = await get_owned(Event, principal, event_id)
    if event.status in (EventStatus.ENDED, EventStatus.CANCELLED):
        raise InvalidTransition(f"the event is {event.status.value}: it can no longer change")
    return event


async def update_event(
    principal: Principal, event_id: object, data: EventUpdate, now: dt.datetime
) -> EventOut:
    event = await editable_event(principal, event_id)
    changed: dict[str, object] = {}
    if data.layout_id is not msgspec.UNSET and data.layout_id != event.layout_id:
        if event.status != EventStatus.DRAFT:
            raise InvalidTransition("the layout of a published event cannot change")
        if data.layout_id is not None:
            await layout_for_event(principal, data.layout_id, event.venue_id)
        # Seated types are priced by zones of the old layout: they would sell its seats.
        if await scoped(TicketType, principal, event_id=event.id, kind=TicketKind.SEATED).exists():
            raise Conflict("seated ticket types use the current layout: delete them first")
        event.layout_id = data.layout_id
        changed["layout_id"] = data.layout_id or "none"
    for field in (
        "name",
        "description",
        "timezone",
        "currency",
        "door_opens_minutes",
        "door_policy",
    ):
        value = getattr(data, field)
        if value is not None and value != getattr(event, field):
            setattr(event, field, value)
            changed[field] = value
    async with in_transaction() as conn:
        await event.save()
        if changed:
            await audit.record(principal, "event.updated", f"event {event.name}", now, **changed)
            await replication.publish_event(conn, event, now, ("event",))
    return event_out(event)


async def delete_event(principal: Principal, event_id: object, now: dt.datetime) -> None:
    """Delete a draft or cancelled event that never had a ticket (with its dates, types,
    prices, lists, rules and keys). A published event is cancelled instead: buyers and
    gates may know it."""
    require(principal, Action.EVENTS_WRITE)
    event = await get_owned(Event, principal, event_id)
    if event.status not in (EventStatus.DRAFT, EventStatus.CANCELLED):
        raise InvalidTransition(
            f"a {event.status.value} event is kept: cancel it instead of deleting it"
            if event.status == EventStatus.PUBLISHED
            else f"a {event.status.value} event is kept for the record"
        )
    async with in_transaction():
        # Issuing locks the ticket type: with its types locked, no ticket can be issued
        # between the check and the delete.
        await TicketType.filter(event_id=event.id).select_for_update()
        if await Ticket.filter(event_id=event.id).exists():
            raise Conflict("tickets were issued for this event: cancel it instead")
        await event.delete()
        await audit.record(principal, "event.deleted", f"event {event.name}", now)


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
    async with in_transaction() as conn:
        await event.save()
        await audit.record(principal, STATUS_ACTIONS[event.status], f"event {event.name}", now)
        # Publishing publishes every table; republishing is a diff, cheap when unchanged.
        await replication.publish_event(conn, event, now)
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
        event.timezone,
    )


# Dates


async def list_sessions(principal: Principal, event_id: object) -> list[SessionOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(EventSession, principal, event_id=event.id).order_by("starts_at")
    return [SessionOut(s.id, s.name, s.starts_at, s.ends_at) for s in rows]


async def add_session(
    principal: Principal, event_id: object, data: SessionIn, now: dt.datetime
) -> SessionOut:
    """Add a date; one that starts in the past needs `allow_past` (DateInPast otherwise)."""
    event = await editable_event(principal, event_id)
    if data.ends_at <= data.starts_at:
        raise ValidationFailed("a date must end after it starts")
    if starts_in_past(data.starts_at, now) and not data.allow_past:
        raise DateInPast(
            f"the date starts in the past ({shown(data.starts_at, event.timezone)}): "
            "confirm that you mean it (allow_past) or correct it"
        )
    async with in_transaction() as conn:
        s = await EventSession.create(
            org_id=principal.org_id,
            event=event,
            name=data.name,
            starts_at=data.starts_at,
            ends_at=data.ends_at,
        )
        await audit.record(
            principal,
            "date.created",
            f"event {event.name}",
            now,
            starts=shown(s.starts_at, event.timezone),
            ends=shown(s.ends_at, event.timezone),
            **({"name": s.name} if s.name else {}),
        )
        await replication.publish_event(conn, event, now, ("event",))
    return SessionOut(s.id, s.name, s.starts_at, s.ends_at)


async def delete_session(
    principal: Principal, event_id: object, session_id: object, now: dt.datetime
) -> None:
    event = await editable_event(principal, event_id)
    row = await get_owned(EventSession, principal, session_id, event_id=event.id)
    if (
        event.status == EventStatus.PUBLISHED
        and await scoped(EventSession, principal, event_id=event.id).count() <= 1
    ):
        raise InvalidTransition("a published event keeps at least one date")
    async with in_transaction() as conn:
        await row.delete()
        await audit.record(
            principal,
            "date.deleted",
            f"event {event.name}",
            now,
            starts=shown(row.starts_at, event.timezone),
            ends=shown(row.ends_at, event.timezone),
        )
        await replication.publish_event(conn, event, now, ("event",))


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
    principal: Principal, event_id: object, data: CheckInListIn, now: dt.datetime
) -> CheckInListOut:
    event = await editable_event(principal, event_id)
    wanted = set(data.ticket_type_ids)
    found = await scoped(TicketType, principal, event_id=event.id, id__in=list(wanted)).count()
    if found != len(wanted):
        raise ValidationFailed("some ticket types are not part of this event")
    gates = sorted({g.strip() for g in data.gates})
    await require_gates(event.id, gates, "Gates")
    try:
        async with in_transaction() as conn:
            row = await CheckInList.create(
                org_id=principal.org_id,
                event=event,
                name=data.name,
                gates=gates,
                ticket_type_ids=[str(t) for t in sorted(wanted)],
            )
            await audit.record(
                principal,
                "check_in_list.created",
                f"check-in list {row.name} ({event.name})",
                now,
                gates=", ".join(gates),
            )
            await replication.publish_event(conn, event, now, ("ticket_types",))
    except IntegrityError:
        raise Conflict(f"the event already has a check-in list called {data.name!r}") from None
    return CheckInListOut(row.id, row.name, gates, sorted(wanted))


async def delete_check_in_list(
    principal: Principal, event_id: object, list_id: object, now: dt.datetime
) -> None:
    event = await editable_event(principal, event_id)
    row = await get_owned(CheckInList, principal, list_id, event_id=event.id)
    async with in_transaction() as conn:
        await row.delete()
        await audit.record(
            principal, "check_in_list.deleted", f"check-in list {row.name} ({event.name})", now
        )
        await replication.publish_event(conn, event, now, ("ticket_types",))


async def list_gate_rules(principal: Principal, event_id: object) -> list[GateRuleOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(GateRuleRow, principal, event_id=event.id).order_by("description")
    return [GateRuleOut(r.id, r.description, r.rule, r.ticket_type_id, r.gate) for r in rows]


async def add_gate_rule(
    principal: Principal, event_id: object, data: GateRuleIn, now: dt.datetime
) -> GateRuleOut:
    event = await editable_event(principal, event_id)  # GateRuleIn has checked the rule
    if data.ticket_type_id is not None:
        await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    if data.gate is not None:
        await require_gates(event.id, [data.gate], "Checked at gate")
    async with in_transaction() as conn:
        row = await GateRuleRow.create(
            org_id=principal.org_id,
            event=event,
            description=data.description,
            rule=data.rule,
            ticket_type_id=data.ticket_type_id,
            gate=data.gate,
        )
        await audit.record(
            principal,
            "gate_rule.created",
            f"entry rule {row.description} ({event.name})",
            now,
            rule=msgspec.json.encode(data.rule).decode(),
            **({"gate": data.gate} if data.gate else {}),
        )
        await replication.publish_event(conn, event, now, ("gate_rules",))
    return GateRuleOut(row.id, row.description, row.rule, data.ticket_type_id, row.gate)


async def delete_gate_rule(
    principal: Principal, event_id: object, rule_id: object, now: dt.datetime
) -> None:
    event = await editable_event(principal, event_id)
    row = await get_owned(GateRuleRow, principal, rule_id, event_id=event.id)
    async with in_transaction() as conn:
        await row.delete()
        await audit.record(
            principal, "gate_rule.deleted", f"entry rule {row.description} ({event.name})", now
        )
        await replication.publish_event(conn, event, now, ("gate_rules",))
