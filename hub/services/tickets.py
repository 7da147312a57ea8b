"""Issuing tickets (complimentary, until sales arrive) and changing their status."""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from contract.ticket_token import TicketClaims, sign_token
from hub.errors import Conflict, InvalidTransition, ValidationFailed
from hub.models import Event, EventStatus, Seat, Ticket, TicketKind, TicketStatus, TicketType
from hub.replication import event_rows as replication
from hub.roles import Action
from hub.schemas import Paging, TicketIssueIn, TicketOut, TicketStatusChange
from hub.seating import seat_text
from hub.services import audit, keys
from hub.tenancy import Principal, get_owned, require, scoped

STATUS_ACTIONS = {
    TicketStatus.REVOKED: "ticket.revoked",
    TicketStatus.BLOCKED: "ticket.blocked",
    TicketStatus.VALID: "ticket.valid",
}


def ticket_out(t: Ticket, seat_label: str | None) -> TicketOut:
    return TicketOut(
        t.id,
        t.ticket_type_id,
        t.seat_id,
        seat_label,
        t.holder,
        t.email,
        t.status.value,
        t.status_reason,
        t.token,
        t.issued_at,
    )


async def list_tickets(
    principal: Principal, event_id: object, paging: Paging
) -> tuple[list[TicketOut], int]:
    """One page of the event's tickets in issue order, and how many there are in all."""
    require(principal, Action.TICKETS_READ)
    event = await get_owned(Event, principal, event_id)
    query = scoped(Ticket, principal, event_id=event.id)
    rows = await query.order_by("issued_at", "id").offset(paging.offset).limit(paging.limit)
    total = await query.count()
    texts = await _seat_texts([t.seat_id for t in rows])
    return [ticket_out(t, texts.get(t.seat_id)) for t in rows], total


async def issue(
    principal: Principal, event_id: object, data: TicketIssueIn, now: dt.datetime
) -> list[TicketOut]:
    """Issue signed tickets. A seat holds one ticket per event and a quota is never exceeded:
    both are settled under a row lock on the ticket type, with a unique index as backstop."""
    require(principal, Action.TICKETS_ISSUE)
    event = await get_owned(Event, principal, event_id)
    if event.status not in (EventStatus.PUBLISHED, EventStatus.DRAFT):
        raise InvalidTransition(f"the event is {event.status.value}: no more tickets")
    key = await keys.signing_key(principal, event)
    async with in_transaction() as conn:
        ticket_type = (
            await scoped(TicketType, principal, id=data.ticket_type_id, event_id=event.id)
            .select_for_update()
            .first()
        )
        if ticket_type is None:
            raise ValidationFailed("the ticket type is not part of this event")
        seats: list[Seat | None]
        if ticket_type.kind == TicketKind.SEATED:
            if not data.seat_ids:
                raise ValidationFailed("a seated ticket needs seat_ids")
            if len(set(data.seat_ids)) != len(data.seat_ids):
                raise ValidationFailed("a seat is listed twice")
            found = await scoped(
                Seat,
                principal,
                id__in=data.seat_ids,
                zone_id=ticket_type.zone_id,
            )
            if len(found) != len(data.seat_ids):
                raise ValidationFailed("some seats are not in the ticket type's zone")
            by_id = {s.id: s for s in found}
            seats = [by_id[s] for s in data.seat_ids]
        else:
            if data.seat_ids:
                raise ValidationFailed("general admission tickets have no seat")
            sold = await Ticket.filter(ticket_type_id=ticket_type.id).count()
            if ticket_type.quota is not None and sold + data.quantity > ticket_type.quota:
                raise Conflict(
                    f"only {max(ticket_type.quota - sold, 0)} of {ticket_type.name!r} are left"
                )
            seats = [None] * data.quantity
        made = []
        for seat in seats:
            ticket_id = uuid.uuid4()
            token = sign_token(TicketClaims(event.id, ticket_id, ticket_type.id, key.key_id), key)
            made.append(
                Ticket(
                    id=ticket_id,
                    org_id=principal.org_id,
                    event=event,
                    ticket_type=ticket_type,
                    seat=seat,
                    holder=data.holder,
                    email=data.email,
                    key_id=key.key_id,
                    token=token,
                    issued_at=now,
                )
            )
        try:
            await Ticket.bulk_create(made)
        except IntegrityError:
            raise Conflict("some of these seats already have a ticket") from None
        await audit.record(
            principal,
            "tickets.issued",
            f"event {event.name}",
            now,
            count=len(made),
            ticket_type=ticket_type.name,
        )
        await replication.publish_tickets(conn, event, made)
    texts = await _seat_texts([t.seat_id for t in made])
    return [ticket_out(t, texts.get(t.seat_id)) for t in made]


async def get_ticket(principal: Principal, event_id: object, ticket_id: object) -> TicketOut:
    require(principal, Action.TICKETS_READ)
    event = await get_owned(Event, principal, event_id)
    ticket = await get_owned(Ticket, principal, ticket_id, event_id=event.id)
    texts = await _seat_texts([ticket.seat_id])
    return ticket_out(ticket, texts.get(ticket.seat_id))


async def change_status(
    principal: Principal,
    event_id: object,
    ticket_id: object,
    change: TicketStatusChange,
    now: dt.datetime,
) -> TicketOut:
    """Revoke, block (with a reason) or restore a ticket; gates learn it from the next
    package and show the reason of a block when the ticket is scanned."""
    require(principal, Action.TICKETS_ISSUE)
    event = await get_owned(Event, principal, event_id)
    ticket = await get_owned(Ticket, principal, ticket_id, event_id=event.id)
    reason = " ".join(change.reason.split())
    if change.status == "blocked" and not reason:
        raise ValidationFailed("say why the ticket is blocked (lost, stolen): gates show it")
    if change.status == "valid" and reason:
        raise ValidationFailed("a valid ticket has no reason: leave it out")
    texts = await _seat_texts([ticket.seat_id])
    was = ticket.status
    ticket.status = TicketStatus(change.status)
    ticket.status_reason = reason
    ticket.status_changed_at = now
    async with in_transaction() as conn:
        await ticket.save()
        await audit.record(
            principal,
            STATUS_ACTIONS[ticket.status],
            ticket_target(ticket, texts.get(ticket.seat_id)),
            now,
            event=event.name,
            was=was.value,
            **({"reason": reason} if reason else {}),
        )
        await replication.publish_tickets(conn, event, [ticket])
    return ticket_out(ticket, texts.get(ticket.seat_id))


def ticket_target(ticket: Ticket, seat: str | None) -> str:
    """How the audit log names a ticket: its id, with its holder and seat when it has them."""
    known = ", ".join(part for part in (ticket.holder, seat) if part)
    return f"ticket {ticket.id}" + (f" ({known})" if known else "")


async def _seat_texts(seat_ids: list[uuid.UUID | None]) -> dict[uuid.UUID | None, str]:
    """How tickets name these seats ("Balcony C12"), in one query."""
    wanted = [s for s in seat_ids if s is not None]
    if not wanted:
        return {}
    seats = await Seat.filter(id__in=wanted).prefetch_related("section")
    return {s.id: seat_text(s.section.name, s.label) for s in seats}
