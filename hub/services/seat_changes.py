"""Changing many seats of a layout at once, named by a selection rather than listed.

A selection says where the seats are (the whole layout, sections, rows, areas of the plan),
so removing the 50,000 seats of a stadium is one small request and one SQL statement. The
rules are those of a single seat's edit: tickets keep their seats, zones and sections must
be the layout's own, and no two seats of a section may share a label or a row and number.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from hub.errors import Conflict, ValidationFailed
from hub.models import PriceZone, Seat, SeatingLayout, Section
from hub.replication import event_rows
from hub.roles import Action
from hub.schemas import SeatChange, SeatChangeOut, SeatSelection
from hub.seating import row_labels
from hub.services import audit
from hub.services.venues import layout_of, layout_out, refuse_ticketed
from hub.tenancy import Principal, require, scoped

# Rows a change may name in all (each a query parameter): far more than any venue has.
MAX_SELECTED_ROWS = 5000
_EXAMPLES = 5


async def change_seats(
    principal: Principal, layout_id: object, data: SeatChange, now: dt.datetime
) -> SeatChangeOut:
    """Apply `data`'s one change to every seat of its selection, all or nothing."""
    require(principal, Action.VENUES_WRITE)
    layout, target = await layout_of(principal, layout_id)
    sections = {
        s.id: s.name for s in await scoped(Section, principal, layout_id=layout.id).order_by("name")
    }
    where = selection_filter(data.select, sections)
    detail = await _check_fields(principal, layout, sections, data)
    async with in_transaction() as conn:
        selected = scoped(Seat, principal, section__layout_id=layout.id).filter(where)
        count = await selected.count()
        if data.expected_seats is not None and count != data.expected_seats:
            raise Conflict(
                f"the selection is {count} seats, not the {data.expected_seats} expected:"
                " the layout has changed since it was loaded; reload it and select again"
            )
        if data.action == "remove":
            await refuse_ticketed(principal, selected, "removed")
            try:
                await selected.delete()
            except IntegrityError:  # a ticket was issued for one of them meanwhile
                raise Conflict("tickets were just issued for some of these seats") from None
        elif data.action == "set_zone":
            await selected.update(zone_id=data.zone_id)
        else:
            assert data.section_id is not None  # _check_fields refused it missing
            moved = [uuid.UUID(str(i)) for i in await selected.values_list("id", flat=True)]
            await _move(principal, selected, data.section_id, sections)
            # A seat's section is in the seat its tickets show at the gates.
            await event_rows.publish_seat_tickets(conn, moved)
        await audit.record(
            principal,
            _AUDIT_ACTIONS[data.action],
            target,
            now,
            seats=count,
            selection=describe_selection(data.select, sections),
            **detail,
        )
    return SeatChangeOut(data.action, count, await layout_out(layout))


_AUDIT_ACTIONS = {
    "remove": "seats.deleted",
    "set_zone": "seats.updated",
    "set_section": "seats.moved",
}


async def _check_fields(
    principal: Principal,
    layout: SeatingLayout,
    sections: dict[uuid.UUID, str],
    data: SeatChange,
) -> dict[str, str]:
    """Refuse fields the action does not use (nothing is silently ignored); what the audit
    entry says about the change."""
    if data.action != "set_zone" and data.zone_id is not None:
        raise ValidationFailed("zone_id is only for action set_zone")
    if data.action != "set_section" and data.section_id is not None:
        raise ValidationFailed("section_id is only for action set_section")
    if data.action == "set_zone":
        if data.zone_id is None:
            return {"zone": "none"}
        zone = await scoped(PriceZone, principal, id=data.zone_id, layout_id=layout.id).first()
        if zone is None:
            raise ValidationFailed("the zone belongs to another layout (or does not exist)")
        return {"zone": zone.name}
    if data.action == "set_section":
        if data.section_id is None:
            raise ValidationFailed("action set_section needs section_id")
        if data.section_id not in sections:
            raise ValidationFailed("the section belongs to another layout (or does not exist)")
        return {"section": sections[data.section_id]}
    return {}


def selection_filter(select: SeatSelection, sections: dict[uuid.UUID, str]) -> Q:
    """The seats of `select` as a filter on a layout's seats (ValidationFailed if it names
    another layout's section, an impossible range, or nothing at all)."""
    if select.all:
        return Q()
    parts: list[Q] = []
    for section_id in select.sections:
        _own_section(section_id, sections)
    if select.sections:
        parts.append(Q(section_id__in=list(dict.fromkeys(select.sections))))
    named_rows = 0
    for rows in select.rows:
        part = Q()
        if rows.section_id is not None:
            _own_section(rows.section_id, sections)
            part &= Q(section_id=rows.section_id)
        if rows.first_row is not None:
            labels = row_labels(rows.first_row, rows.last_row or rows.first_row)
            named_rows += len(labels)
            if named_rows > MAX_SELECTED_ROWS:
                raise ValidationFailed(f"a selection names at most {MAX_SELECTED_ROWS} rows")
            part &= Q(row_label__in=labels)
        elif rows.last_row is not None:
            raise ValidationFailed("give the first row of the range as well as the last")
        if rows.first_seat is not None:
            part &= Q(number__gte=rows.first_seat)
        if rows.last_seat is not None:
            part &= Q(number__lte=rows.last_seat)
        first, last = rows.first_seat, rows.last_seat
        if first is not None and last is not None and first > last:
            raise ValidationFailed(f"seat {first} comes after seat {last}")
        parts.append(part)
    for area in select.areas:
        if area.first_row > area.last_row or area.first_column > area.last_column:
            raise ValidationFailed("an area's first row and column come before its last")
        parts.append(
            Q(
                grid_row__gte=area.first_row,
                grid_row__lte=area.last_row,
                grid_column__gte=area.first_column,
                grid_column__lte=area.last_column,
            )
        )
    if select.seat_ids:
        parts.append(Q(id__in=list(dict.fromkeys(select.seat_ids))))
    if not parts:
        raise ValidationFailed(
            "the selection is empty: give all, sections, rows, areas or seat_ids"
        )
    return Q(*parts, join_type="OR")


def _own_section(section_id: uuid.UUID, sections: dict[uuid.UUID, str]) -> None:
    if section_id not in sections:
        raise ValidationFailed("a selected section belongs to another layout (or does not exist)")


def describe_selection(select: SeatSelection, sections: dict[uuid.UUID, str]) -> str:
    """The selection in words, for the audit log ("rows A-J of North; 2 areas")."""
    if select.all:
        return "the whole layout"
    words = []
    if select.sections:
        words.append("sections " + ", ".join(sections[s] for s in select.sections))
    for r in select.rows:
        if r.first_row is None:
            rows = "every row"
        elif r.last_row in (None, r.first_row):
            rows = f"row {r.first_row}"
        else:
            rows = f"rows {r.first_row}-{r.last_row}"
        seats = ""
        if r.first_seat is not None or r.last_seat is not None:
            seats = f" seats {r.first_seat or 1}-{r.last_seat or 'last'}"
        where = "every section" if r.section_id is None else sections[r.section_id]
        words.append(f"{rows}{seats} of {where}")
    if select.areas:
        n = len(select.areas)
        words.append(f"{n} area{'' if n == 1 else 's'} of the plan")
    if select.seat_ids:
        n = len(select.seat_ids)
        words.append(f"{n} seat{'' if n == 1 else 's'} by id")
    return "; ".join(words)


async def _move(
    principal: Principal,
    selected: QuerySet[Seat],
    section_id: uuid.UUID,
    sections: dict[uuid.UUID, str],
) -> None:
    await refuse_ticketed(principal, selected, "moved to another section")
    moving = await selected.values_list("row_label", "number", "label")
    staying = await scoped(Seat, principal, section_id=section_id).exclude(
        id__in=Subquery(selected.values("id"))
    )
    # Door staff and tickets name a seat by section and label, and batches by row and
    # number: both must stay unique in the section the seats move to.
    places = Counter([(m[0], m[1]) for m in moving] + [(s.row_label, s.number) for s in staying])
    labels = Counter([m[2] for m in moving] + [s.label for s in staying])
    target = sections[section_id]
    twice = [f"{row}{number}" for (row, number), n in places.items() if n > 1]
    if twice:
        raise Conflict(f"{target} would have two seats {', '.join(twice[:_EXAMPLES])}")
    twice = [label for label, n in labels.items() if n > 1]
    if twice:
        raise Conflict(f"{target} would have two seats labelled {', '.join(twice[:_EXAMPLES])}")
    try:
        await selected.update(section_id=section_id)
    except IntegrityError:
        raise Conflict(f"{target} already has some of these seats (same row and number)") from None
