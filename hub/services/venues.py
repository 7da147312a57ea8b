"""Venues, seating layouts, price zones, sections and seats.

Every change is written with its audit entry in one transaction (see `audit`).
"""

from __future__ import annotations

import datetime as dt
import uuid

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from hub.errors import Conflict, NotFound, ValidationFailed
from hub.models import (
    Device,
    DeviceState,
    Event,
    Org,
    PriceZone,
    Seat,
    SeatingLayout,
    Section,
    Ticket,
    Venue,
)
from hub.replication import event_rows
from hub.roles import Action
from hub.schemas import (
    SEAT_LABEL_MAX,
    LayoutDetail,
    LayoutIn,
    LayoutOut,
    SeatBatchIn,
    SeatOut,
    SeatUpdate,
    SectionIn,
    SectionOut,
    VenueIn,
    VenueOut,
    VenueUpdate,
    ZoneIn,
    ZoneOut,
)
from hub.seating import generate_seats
from hub.services import audit
from hub.tenancy import Principal, get_owned, require, scoped


def venue_out(v: Venue) -> VenueOut:
    return VenueOut(v.id, v.name, v.address, v.timezone)


async def list_venues(principal: Principal) -> list[VenueOut]:
    require(principal, Action.VENUES_READ)
    return [venue_out(v) for v in await scoped(Venue, principal).order_by("name")]


async def get_venue(principal: Principal, venue_id: object) -> VenueOut:
    require(principal, Action.VENUES_READ)
    return venue_out(await get_owned(Venue, principal, venue_id))


async def create_venue(principal: Principal, data: VenueIn, now: dt.datetime) -> VenueOut:
    require(principal, Action.VENUES_WRITE)
    org = await Org.get(id=principal.org_id)
    async with in_transaction():
        venue = await Venue.create(
            org_id=principal.org_id,
            name=data.name,
            address=data.address,
            timezone=data.timezone or str(org.settings.get("timezone", "UTC")),
        )
        await audit.record(
            principal, "venue.created", f"venue {venue.name}", now, timezone=venue.timezone
        )
    return venue_out(venue)


async def update_venue(
    principal: Principal, venue_id: object, data: VenueUpdate, now: dt.datetime
) -> VenueOut:
    require(principal, Action.VENUES_WRITE)
    venue = await get_owned(Venue, principal, venue_id)
    changed = {}
    for field in ("name", "address", "timezone"):
        value = getattr(data, field)
        if value is not None and value != getattr(venue, field):
            setattr(venue, field, value)
            changed[field] = value
    async with in_transaction() as conn:
        await venue.save()
        if changed:
            await audit.record(principal, "venue.updated", f"venue {venue.name}", now, **changed)
            # The gates show the venue's name with the event.
            await event_rows.publish_venue_events(conn, venue.id, now)
    return venue_out(venue)


async def delete_venue(principal: Principal, venue_id: object, now: dt.datetime) -> None:
    require(principal, Action.VENUES_WRITE)
    venue = await get_owned(Venue, principal, venue_id)
    if await scoped(Event, principal, venue_id=venue.id).exists():
        raise Conflict("the venue has events: it cannot be deleted")
    # Revoked devices go with the venue (the audit log keeps their story); others stay.
    if await scoped(Device, principal, venue_id=venue.id, state__not=DeviceState.REVOKED).exists():
        raise Conflict("the venue has gate devices that are not revoked: revoke them first")
    async with in_transaction():
        await venue.delete()
        await audit.record(principal, "venue.deleted", f"venue {venue.name}", now)


async def layout_out(layout: SeatingLayout) -> LayoutOut:
    """A layout with its seat count."""
    seats = await Seat.filter(section__layout_id=layout.id).count()
    return LayoutOut(layout.id, layout.venue_id, layout.name, seats)


async def list_layouts(principal: Principal, venue_id: object) -> list[LayoutOut]:
    require(principal, Action.VENUES_READ)
    venue = await get_owned(Venue, principal, venue_id)
    rows = await scoped(SeatingLayout, principal, venue_id=venue.id).order_by("name")
    return [await layout_out(r) for r in rows]


async def create_layout(
    principal: Principal, venue_id: object, data: LayoutIn, now: dt.datetime
) -> LayoutOut:
    require(principal, Action.VENUES_WRITE)
    venue = await get_owned(Venue, principal, venue_id)
    async with in_transaction():
        layout = await SeatingLayout.create(org_id=principal.org_id, venue=venue, name=data.name)
        await audit.record(principal, "layout.created", _layout_target(layout, venue.name), now)
    return await layout_out(layout)


def _layout_target(layout: SeatingLayout, venue_name: str) -> str:
    return f"layout {layout.name} ({venue_name})"


async def layout_of(principal: Principal, layout_id: object) -> tuple[SeatingLayout, str]:
    """A layout of the principal's org and how the audit log names it."""
    layout = await get_owned(SeatingLayout, principal, layout_id)
    venue = await Venue.get(id=layout.venue_id)
    return layout, _layout_target(layout, venue.name)


async def layout_detail(principal: Principal, layout_id: object) -> LayoutDetail:
    require(principal, Action.VENUES_READ)
    layout = await get_owned(SeatingLayout, principal, layout_id)
    zones = await scoped(PriceZone, principal, layout_id=layout.id).order_by("name")
    sections = await scoped(Section, principal, layout_id=layout.id).order_by("position", "name")
    # Plain rows, not model objects: a stadium has 50,000 seats, and building an object
    # of each took most of the time.
    seats = (
        await scoped(Seat, principal, section__layout_id=layout.id)
        .order_by("grid_row", "grid_column")
        .values_list(*SeatOut.__struct_fields__)
    )
    return LayoutDetail(
        await layout_out(layout),
        [ZoneOut(z.id, z.name, z.colour) for z in zones],
        [SectionOut(s.id, s.name, s.position) for s in sections],
        [SeatOut(*row) for row in seats],
    )


def _seat_out(s: Seat) -> SeatOut:
    return SeatOut(
        s.id,
        s.section_id,
        s.row_label,
        s.number,
        s.label,
        s.zone_id,
        s.grid_row,
        s.grid_column,
    )


async def delete_layout(principal: Principal, layout_id: object, now: dt.datetime) -> None:
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    if await scoped(Event, principal, layout_id=layout.id).exists():
        raise Conflict("events use this layout: it cannot be deleted")
    seats = await Seat.filter(section__layout_id=layout.id).count()
    async with in_transaction():
        await layout.delete()
        await audit.record(principal, "layout.deleted", target, now, seats=seats)


async def create_zone(
    principal: Principal, layout_id: object, data: ZoneIn, now: dt.datetime
) -> ZoneOut:
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    try:
        async with in_transaction():
            zone = await PriceZone.create(
                org_id=principal.org_id, layout=layout, name=data.name, colour=data.colour
            )
            await audit.record(principal, "zone.created", target, now, zone=zone.name)
    except IntegrityError:
        raise Conflict(f"the layout already has a zone called {data.name!r}") from None
    return ZoneOut(zone.id, zone.name, zone.colour)


async def create_section(
    principal: Principal, layout_id: object, data: SectionIn, now: dt.datetime
) -> SectionOut:
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    position = await scoped(Section, principal, layout_id=layout.id).count()
    try:
        async with in_transaction():
            section = await Section.create(
                org_id=principal.org_id, layout=layout, name=data.name, position=position
            )
            await audit.record(principal, "section.created", target, now, section=section.name)
    except IntegrityError:
        raise Conflict(f"the layout already has a section called {data.name!r}") from None
    return SectionOut(section.id, section.name, section.position)


async def _zone_of_layout(principal: Principal, layout_id: uuid.UUID, zone_id: uuid.UUID) -> None:
    if not await scoped(PriceZone, principal, id=zone_id, layout_id=layout_id).exists():
        raise ValidationFailed("the zone belongs to another layout (or does not exist)")


async def add_seat_batch(
    principal: Principal, layout_id: object, data: SeatBatchIn, now: dt.datetime
) -> list[SeatOut]:
    """Generate a block of seats in one section, below the layout's existing rows."""
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    section = await scoped(Section, principal, id=data.section_id, layout_id=layout.id).first()
    if section is None:
        raise ValidationFailed("the section belongs to another layout (or does not exist)")
    if data.zone_id is not None:
        await _zone_of_layout(principal, layout.id, data.zone_id)
    deepest = (
        await scoped(Seat, principal, section__layout_id=layout.id).order_by("-grid_row").first()
    )
    start = 0 if deepest is None else deepest.grid_row + 2  # a blank row between blocks
    specs = generate_seats(
        data.first_row,
        data.last_row,
        first_seat=data.first_seat,
        last_seat=data.last_seat,
        skip_seats=data.skip_seats,
        aisles_after=data.aisles_after,
        start_grid_row=start,
    )
    seats = [
        Seat(
            id=uuid.uuid4(),
            org_id=principal.org_id,
            section=section,
            row_label=s.row_label,
            number=s.number,
            label=s.label,
            zone_id=data.zone_id,
            grid_row=s.grid_row,
            grid_column=s.grid_column,
        )
        for s in specs
    ]
    try:
        async with in_transaction():
            await Seat.bulk_create(seats, batch_size=1000)
            await audit.record(
                principal,
                "seats.created",
                target,
                now,
                section=section.name,
                rows=f"{data.first_row}-{data.last_row}",
                seats=len(seats),
            )
    except IntegrityError:
        raise Conflict(
            f"section {section.name!r} already has some of these seats (same row and number)"
        ) from None
    return [_seat_out(s) for s in seats]


async def update_seats(
    principal: Principal, layout_id: object, data: SeatUpdate, now: dt.datetime
) -> int:
    """Apply the builder's change to the selected seats; returns how many changed."""
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    wanted = set(data.seat_ids)
    seats = await scoped(Seat, principal, id__in=list(wanted), section__layout_id=layout.id)
    if len(seats) != len(wanted):
        raise ValidationFailed(f"{len(wanted) - len(seats)} of the seats are not in this layout")
    for key in data.labels:
        try:
            if uuid.UUID(key) not in wanted:
                raise ValidationFailed("labels may only name selected seats")
        except ValueError:
            raise ValidationFailed(f"label key {key!r} is not a seat id") from None
    if data.set_zone and data.zone_id is not None:
        await _zone_of_layout(principal, layout.id, data.zone_id)
    if data.labels:
        await _labels_stay_unique(principal, seats, data.labels)
    async with in_transaction() as conn:
        if data.remove:
            await refuse_ticketed(principal, Seat.filter(id__in=list(wanted)), "removed")
            await Seat.filter(id__in=list(wanted)).delete()
            await audit.record(principal, "seats.deleted", target, now, seats=len(wanted))
            return len(wanted)
        if data.set_zone:
            await Seat.filter(id__in=list(wanted)).update(zone_id=data.zone_id)
        for key, label in data.labels.items():
            await Seat.filter(id=uuid.UUID(key)).update(label=label)
        if data.labels:
            await event_rows.publish_seat_tickets(conn, [uuid.UUID(k) for k in data.labels])
        if data.set_zone or data.labels:
            zone = "none"
            if data.zone_id is not None:
                zone = (await PriceZone.get(id=data.zone_id)).name
            await audit.record(
                principal,
                "seats.updated",
                target,
                now,
                seats=len(wanted),
                **({"zone": zone} if data.set_zone else {}),
                **({"relabelled": len(data.labels)} if data.labels else {}),
            )
    return len(wanted)


async def refuse_ticketed(principal: Principal, selected: QuerySet[Seat], done: str) -> None:
    """Conflict if tickets name any of the selected seats: a ticket keeps its seat, so
    its seat can be neither removed nor moved (`done` says which, in the message)."""
    ticketed = scoped(Ticket, principal, seat_id__in=Subquery(selected.values("id")))
    count = await ticketed.count()
    if count:
        first = ticketed.order_by("seat__grid_row", "seat__grid_column").limit(5)
        labels = await first.values_list("seat__label", flat=True)
        examples = ", ".join(str(label) for label in labels) + (", ..." if count > 5 else "")
        raise Conflict(
            f"tickets were issued for {count} of these seats ({examples}): they cannot be {done}"
        )


async def _labels_stay_unique(
    principal: Principal, changed: list[Seat], labels: dict[str, str]
) -> None:
    # Door staff and tickets name a seat by section and label: two seats of one section
    # with the same label could not be told apart.
    new = {uuid.UUID(key): label for key, label in labels.items()}
    by_id = {s.id: s for s in changed}
    for section_id in {by_id[seat_id].section_id for seat_id in new}:
        others = await scoped(Seat, principal, section_id=section_id).values_list("id", "label")
        taken: dict[str, uuid.UUID] = {}
        for seat_id, stored in others:
            label = new.get(seat_id, stored)
            if label in taken:
                raise Conflict(f"two seats of the section would be labelled {label!r}")
            taken[label] = seat_id


async def layout_for_event(principal: Principal, layout_id: uuid.UUID, venue_id: uuid.UUID) -> None:
    """Check that a layout may be used by an event at `venue_id`."""
    layout = await scoped(SeatingLayout, principal, id=layout_id).first()
    if layout is None:
        raise NotFound("no such seating layout")
    if layout.venue_id != venue_id:
        raise ValidationFailed("the seating layout belongs to another venue")


async def list_zones(principal: Principal, layout_id: object) -> list[ZoneOut]:
    """The price zones of one layout (without loading its seats)."""
    require(principal, Action.VENUES_READ)
    layout = await get_owned(SeatingLayout, principal, layout_id)
    zones = await scoped(PriceZone, principal, layout_id=layout.id).order_by("name")
    return [ZoneOut(z.id, z.name, z.colour) for z in zones]


async def seat_ids_by_label(
    principal: Principal, layout_id: object, labels: list[str]
) -> list[uuid.UUID]:
    """The seats of a layout named by their labels ("A1", "B12"), in the order given.

    ValidationFailed names every label that matches no seat, or more than one.
    """
    require(principal, Action.VENUES_READ)
    layout = await get_owned(SeatingLayout, principal, layout_id)
    wanted = list(dict.fromkeys(label.strip() for label in labels if label.strip()))
    # A label longer than any seat's can name none: it is reported missing, never queried.
    storable = [label for label in wanted if len(label) <= SEAT_LABEL_MAX]
    rows = await scoped(Seat, principal, section__layout_id=layout.id, label__in=storable)
    by_label: dict[str, list[uuid.UUID]] = {}
    for seat in rows:
        by_label.setdefault(seat.label, []).append(seat.id)
    missing = [label for label in wanted if label not in by_label]
    if missing:
        raise ValidationFailed(f"no seat labelled {', '.join(missing)} in the layout")
    doubled = [label for label in wanted if len(by_label[label]) > 1]
    if doubled:
        raise ValidationFailed(
            f"more than one seat is labelled {', '.join(doubled)}: relabel them in the layout"
        )
    return [by_label[label][0] for label in wanted]
