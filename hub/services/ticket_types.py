"""An event's ticket types: what is sold, at what price, how many, and how it enters."""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub.errors import Conflict, InvalidTransition, ValidationFailed
from hub.models import Event, EventStatus, PriceZone, Ticket, TicketType
from hub.replication import event_rows as replication
from hub.roles import Action
from hub.schemas import TicketTypeIn, TicketTypeOut
from hub.services import audit
from hub.services.events import editable_event
from hub.tenancy import Principal, get_owned, require, scoped


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
    principal: Principal, event_id: object, data: TicketTypeIn, now: dt.datetime
) -> TicketTypeOut:
    event = await editable_event(principal, event_id)
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
        async with in_transaction() as conn:
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
            await audit.record(
                principal,
                "ticket_type.created",
                _target(t, event),
                now,
                kind=data.kind,
                price_cents=data.price_cents,
                **({"quota": data.quota} if data.quota is not None else {}),
            )
            await replication.publish_event(conn, event, now, ("ticket_types",))
    except IntegrityError:
        raise Conflict(f"the event already has a ticket type called {data.name!r}") from None
    return ticket_type_out(t)


async def delete_ticket_type(
    principal: Principal, event_id: object, type_id: object, now: dt.datetime
) -> None:
    event = await editable_event(principal, event_id)
    row = await get_owned(TicketType, principal, type_id, event_id=event.id)
    if await Ticket.filter(ticket_type_id=row.id).exists():
        raise Conflict("tickets of this type exist: it cannot be deleted")
    if (
        event.status == EventStatus.PUBLISHED
        and await scoped(TicketType, principal, event_id=event.id).count() <= 1
    ):
        raise InvalidTransition("a published event keeps at least one ticket type")
    async with in_transaction() as conn:
        await row.delete()
        await audit.record(principal, "ticket_type.deleted", _target(row, event), now)
        await replication.publish_event(conn, event, now, ("ticket_types",))


def _target(t: TicketType, event: Event) -> str:
    return f"ticket type {t.name} ({event.name})"
