"""The event package a gate loads: built from the hub's rows, in the foundation's format."""

from __future__ import annotations

import datetime as dt
import uuid

from contract import event_package as pkg
from hub.models import (
    CheckInList,
    Event,
    EventKey,
    EventSession,
    GateRuleRow,
    Seat,
    Ticket,
    TicketStatus,
    TicketType,
    Venue,
)
from hub.roles import Action
from hub.seating import seat_text
from hub.services import events as event_service
from hub.tenancy import Principal, get_owned, require


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.UTC).isoformat()


async def build_package(
    principal: Principal, event_id: object, now: dt.datetime
) -> pkg.EventPackage:
    """Everything a gate needs for the event, public keys only."""
    require(principal, Action.PACKAGE_EXPORT)
    event = await get_owned(Event, principal, event_id)
    return await event_package(event, now)


async def event_package(event: Event, now: dt.datetime) -> pkg.EventPackage:
    """The package of an event the caller already holds (checked, or the hub's own: the
    replication publisher builds its rows from this)."""
    venue = await Venue.get(id=event.venue_id)
    mine = {"org_id": event.org_id, "event_id": event.id}
    sessions = await EventSession.filter(**mine).order_by("starts_at")
    key_rows = await EventKey.filter(**mine).order_by("key_id")
    types = await TicketType.filter(**mine).order_by("name")
    lists = await CheckInList.filter(**mine)
    rules = await GateRuleRow.filter(**mine)
    tickets = await Ticket.filter(**mine).order_by("issued_at")
    seat_labels = await seat_texts([t.seat_id for t in tickets])
    # A ticket type on no check-in list may use every gate; on lists, only their gates.
    gates_of: dict[uuid.UUID, set[str]] = {}
    for check_in in lists:
        for type_id in check_in.ticket_type_ids:
            gates_of.setdefault(uuid.UUID(type_id), set()).update(check_in.gates)
    return pkg.EventPackage(
        format=pkg.FORMAT,
        version=pkg.VERSION,
        created_at=now.astimezone(dt.UTC).isoformat(),
        event=pkg.EventInfo(
            id=event.id,
            name=event.name,
            venue=venue.name,
            starts_at=_iso(sessions[0].starts_at) if sessions else None,
            ends_at=_iso(max(s.ends_at for s in sessions)) if sessions else None,
            timezone=event.timezone,
            door_opens_minutes=event.door_opens_minutes,
            door_policy=event_service.door_policy(event.door_policy),
        ),
        # A retired key still verifies what it signed; only a revoked one is refused.
        keys=[pkg.PublicKey(k.key_id, bytes(k.public_key), _iso(k.revoked_at)) for k in key_rows],
        ticket_types=[
            pkg.TicketType(
                id=t.id,
                name=t.name,
                entry_mode=t.entry_mode,  # type: ignore[arg-type]
                max_entries=t.max_entries,
                reentry=t.reentry,
                gates=sorted(gates_of[t.id]) if t.id in gates_of else None,
            )
            for t in types
        ],
        gate_rules=[
            pkg.GateRule(
                id=r.id,
                rule=r.rule,
                description=r.description,
                ticket_type_id=r.ticket_type_id,
                gate=r.gate,
            )
            for r in rules
        ],
        tickets=[package_ticket(t, seat_labels) for t in tickets],
        revocations=[r for r in map(revocation_of, tickets) if r is not None],
        blocks=[b for b in map(block_of, tickets) if b is not None],
    )


def package_ticket(t: Ticket, seat_labels: dict[uuid.UUID, str]) -> pkg.Ticket:
    """A ticket as gates hold it: id, type, holder and seat label."""
    return pkg.Ticket(
        id=t.id,
        ticket_type_id=t.ticket_type_id,
        holder=t.holder or None,
        seat=seat_labels.get(t.seat_id) if t.seat_id else None,
    )


def revocation_of(t: Ticket) -> pkg.Revocation | None:
    """The ticket's revocation, if it is revoked."""
    if t.status != TicketStatus.REVOKED:
        return None
    return pkg.Revocation(t.id, t.status_reason or "revoked", _iso(t.status_changed_at))


def block_of(t: Ticket) -> pkg.Block | None:
    """The ticket's block, if it is blocked: the reason ("lost", "stolen") is what the gate
    shows at the scan."""
    if t.status != TicketStatus.BLOCKED:
        return None
    return pkg.Block(t.id, t.status_reason or "blocked", _iso(t.status_changed_at))


async def seat_texts(seat_ids: list[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """How tickets name these seats ("Balcony C12"), in one query."""
    wanted = [s for s in seat_ids if s is not None]
    if not wanted:
        return {}
    seats = await Seat.filter(id__in=wanted).prefetch_related("section")
    return {s.id: seat_text(s.section.name, s.label) for s in seats}
