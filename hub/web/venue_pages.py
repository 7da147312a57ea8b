"""Venues, their seating layouts and the layout builder's server-rendered half.

The builder page lists the layout's seats and carries forms for zones, sections, seat
batches and changes to rows of seats, so it works without JavaScript; builder.js adds the
visual grid on top, which saves through the JSON API with the session's CSRF token.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from typing import Annotated

import msgspec
from starlette.responses import Response

from hub.roles import Action
from hub.schemas import (
    Input,
    LayoutIn,
    RowLabel,
    RowRange,
    SeatBatchIn,
    SeatChange,
    SeatNumber,
    SeatOut,
    SeatSelection,
    SectionIn,
    VenueIn,
    VenueUpdate,
    ZoneIn,
)
from hub.services import seat_changes, venues
from hub.web.forms import FormError, convert
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
# New zones get the next of these, so two zones never start out the same grey.
ZONE_COLOURS = ["#d1495b", "#00798c", "#edae49", "#66a182", "#8d6a9f", "#2e4057"]


@router.org("GET", "/venues", Action.VENUES_READ)
async def venues_page(visit: Visit) -> Response:
    rows = await venues.list_venues(visit.member)
    return visit.render("venues.html", title="Venues", venues=rows)


@router.org("POST", "/venues", Action.VENUES_WRITE, page=venues_page, form="venue")
async def create_venue(visit: Visit) -> Response:
    venue = await venues.create_venue(visit.member, convert(visit.form, VenueIn), visit.now)
    return visit.redirect(visit.org_url(f"/venues/{venue.id}"), "created")


@router.org("GET", "/venues/{venue_id}", Action.VENUES_READ)
async def venue_page(visit: Visit) -> Response:
    venue = await venues.get_venue(visit.member, visit.param("venue_id"))
    layouts = await venues.list_layouts(visit.member, venue.id)
    return visit.render("venue.html", title=venue.name, venue=venue, layouts=layouts)


@router.org("POST", "/venues/{venue_id}", Action.VENUES_WRITE, page=venue_page, form="venue")
async def update_venue(visit: Visit) -> Response:
    change = convert(visit.form, VenueUpdate, blank_ok=("address",))
    venue = await venues.update_venue(visit.member, visit.param("venue_id"), change, visit.now)
    return visit.redirect(visit.org_url(f"/venues/{venue.id}"), "saved")


@router.org(
    "POST", "/venues/{venue_id}/delete", Action.VENUES_WRITE, page=venue_page, form="delete"
)
async def delete_venue(visit: Visit) -> Response:
    await venues.delete_venue(visit.member, visit.param("venue_id"), visit.now)
    return visit.redirect(visit.org_url("/venues"), "deleted")


@router.org(
    "POST", "/venues/{venue_id}/layouts", Action.VENUES_WRITE, page=venue_page, form="layout"
)
async def create_layout(visit: Visit) -> Response:
    layout = await venues.create_layout(
        visit.member, visit.param("venue_id"), convert(visit.form, LayoutIn), visit.now
    )
    return visit.redirect(visit.org_url(f"/layouts/{layout.id}"), "created")


@dataclass(frozen=True)
class SeatRow:
    """One row of one section, as the seat list shows it without JavaScript."""

    section: str
    row_label: str
    seats: list[SeatOut]


def seat_rows(section_names: dict[str, str], seats: list[SeatOut]) -> list[SeatRow]:
    """The layout's seats grouped by section and row, in plan order."""
    ordered = sorted(seats, key=lambda s: (s.grid_row, s.grid_column))
    grouped = itertools.groupby(ordered, key=lambda s: (str(s.section_id), s.row_label))
    return [
        SeatRow(section_names.get(section, ""), row_label, list(row))
        for (section, row_label), row in grouped
    ]


@router.org("GET", "/layouts/{layout_id}", Action.VENUES_READ)
async def layout_page(visit: Visit) -> Response:
    detail = await venues.layout_detail(visit.member, visit.param("layout_id"))
    venue = await venues.get_venue(visit.member, detail.layout.venue_id)
    sections = {str(s.id): s.name for s in detail.sections}
    return visit.render(
        "layout.html",
        title=f"{detail.layout.name} — {venue.name}",
        detail=detail,
        venue=venue,
        rows=seat_rows(sections, detail.seats),
        zone_names={z.id: z.name for z in detail.zones},
        section_options=[(str(s.id), s.name) for s in detail.sections],
        zone_options=[(str(z.id), z.name) for z in detail.zones],
        next_colour=ZONE_COLOURS[len(detail.zones) % len(ZONE_COLOURS)],
    )


@router.org(
    "POST", "/layouts/{layout_id}/zones", Action.VENUES_WRITE, page=layout_page, form="zone"
)
async def create_zone(visit: Visit) -> Response:
    layout_id = visit.param("layout_id")
    await venues.create_zone(visit.member, layout_id, convert(visit.form, ZoneIn), visit.now)
    return visit.redirect(visit.org_url(f"/layouts/{layout_id}"), "added")


@router.org(
    "POST",
    "/layouts/{layout_id}/sections",
    Action.VENUES_WRITE,
    page=layout_page,
    form="section",
)
async def create_section(visit: Visit) -> Response:
    layout_id = visit.param("layout_id")
    await venues.create_section(visit.member, layout_id, convert(visit.form, SectionIn), visit.now)
    return visit.redirect(visit.org_url(f"/layouts/{layout_id}"), "added")


@router.org(
    "POST", "/layouts/{layout_id}/seats", Action.VENUES_WRITE, page=layout_page, form="seats"
)
async def add_seats(visit: Visit) -> Response:
    layout_id = visit.param("layout_id")
    batch = convert(visit.form, SeatBatchIn, comma_lists=("skip_seats", "aisles_after"))
    await venues.add_seat_batch(visit.member, layout_id, batch, visit.now)
    return visit.redirect(visit.org_url(f"/layouts/{layout_id}"), "added")


@router.org(
    "POST", "/layouts/{layout_id}/delete", Action.VENUES_WRITE, page=layout_page, form="delete"
)
async def delete_layout(visit: Visit) -> Response:
    detail = await venues.layout_detail(visit.member, visit.param("layout_id"))
    await venues.delete_layout(visit.member, detail.layout.id, visit.now)
    return visit.redirect(visit.org_url(f"/venues/{detail.layout.venue_id}"), "deleted")


class SeatRowsChangeIn(Input):
    """The page's form for changing rows of seats: blank fields mean every section, row or
    seat. `change` is "remove", "zone:<id>" (an empty id clears the zone) or
    "section:<id>"."""

    change: Annotated[str, msgspec.Meta(max_length=100)]
    section_id: uuid.UUID | None = None
    first_row: RowLabel | None = None
    last_row: RowLabel | None = None
    first_seat: SeatNumber | None = None
    last_seat: SeatNumber | None = None

    def seat_change(self) -> SeatChange:
        """The API's change for this form."""
        parts = (self.section_id, self.first_row, self.last_row, self.first_seat, self.last_seat)
        if all(p is None for p in parts):
            select = SeatSelection(all=True)
        else:
            rows = RowRange(self.section_id, *parts[1:])
            select = SeatSelection(rows=[rows])
        action, _, target = self.change.partition(":")
        try:
            chosen = uuid.UUID(target) if target else None
        except ValueError:
            chosen = None
            action = "unknown"
        if action not in ("remove", "zone", "section") or (action == "section" and not chosen):
            raise FormError("Change: choose what to do with the seats", "change")
        if action == "remove":
            return SeatChange(select, "remove")
        if action == "zone":
            return SeatChange(select, "set_zone", zone_id=chosen)
        return SeatChange(select, "set_section", section_id=chosen)


@router.org(
    "POST",
    "/layouts/{layout_id}/seats/change",
    Action.VENUES_WRITE,
    page=layout_page,
    form="change",
)
async def change_seats(visit: Visit) -> Response:
    layout_id = visit.param("layout_id")
    form = convert(visit.form, SeatRowsChangeIn)
    change = form.seat_change()
    await seat_changes.change_seats(visit.member, layout_id, change, visit.now)
    notice = "removed" if change.action == "remove" else "saved"
    return visit.redirect(visit.org_url(f"/layouts/{layout_id}"), notice)
