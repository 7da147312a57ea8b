"""The API's venues, seating layouts and seats."""

from __future__ import annotations

from typing import Any

from hub import schemas as s
from hub.api.router import route
from hub.api_routing import Call
from hub.roles import Action
from hub.services import seat_changes, venues


@route(
    "GET",
    "/venues",
    summary="List venues",
    tag="venues",
    action=Action.VENUES_READ,
    response=list[s.VenueOut],
)
async def list_venues(call: Call) -> Any:
    return await venues.list_venues(call.principal)


@route(
    "POST",
    "/venues",
    summary="Create a venue",
    tag="venues",
    action=Action.VENUES_WRITE,
    body=s.VenueIn,
    response=s.VenueOut,
    status=201,
)
async def create_venue(call: Call) -> Any:
    return await venues.create_venue(call.principal, call.body, call.now)


@route(
    "GET",
    "/venues/{venue_id}",
    summary="A venue",
    tag="venues",
    action=Action.VENUES_READ,
    response=s.VenueOut,
)
async def get_venue(call: Call) -> Any:
    return await venues.get_venue(call.principal, call.params["venue_id"])


@route(
    "PATCH",
    "/venues/{venue_id}",
    summary="Change a venue",
    tag="venues",
    action=Action.VENUES_WRITE,
    body=s.VenueUpdate,
    response=s.VenueOut,
)
async def update_venue(call: Call) -> Any:
    return await venues.update_venue(call.principal, call.params["venue_id"], call.body, call.now)


@route(
    "DELETE",
    "/venues/{venue_id}",
    summary="Delete a venue without events",
    tag="venues",
    action=Action.VENUES_WRITE,
    status=204,
)
async def delete_venue(call: Call) -> Any:
    await venues.delete_venue(call.principal, call.params["venue_id"], call.now)


@route(
    "GET",
    "/venues/{venue_id}/layouts",
    summary="A venue's seating layouts",
    tag="seating",
    action=Action.VENUES_READ,
    response=list[s.LayoutOut],
)
async def list_layouts(call: Call) -> Any:
    return await venues.list_layouts(call.principal, call.params["venue_id"])


@route(
    "POST",
    "/venues/{venue_id}/layouts",
    summary="Create a seating layout",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.LayoutIn,
    response=s.LayoutOut,
    status=201,
)
async def create_layout(call: Call) -> Any:
    return await venues.create_layout(call.principal, call.params["venue_id"], call.body, call.now)


@route(
    "GET",
    "/layouts/{layout_id}",
    summary="A layout with its zones, sections and seats",
    tag="seating",
    action=Action.VENUES_READ,
    response=s.LayoutDetail,
)
async def get_layout(call: Call) -> Any:
    return await venues.layout_detail(call.principal, call.params["layout_id"])


@route(
    "DELETE",
    "/layouts/{layout_id}",
    summary="Delete a layout no event uses",
    tag="seating",
    action=Action.VENUES_WRITE,
    status=204,
)
async def delete_layout(call: Call) -> Any:
    await venues.delete_layout(call.principal, call.params["layout_id"], call.now)


@route(
    "POST",
    "/layouts/{layout_id}/zones",
    summary="Add a price zone",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.ZoneIn,
    response=s.ZoneOut,
    status=201,
)
async def create_zone(call: Call) -> Any:
    return await venues.create_zone(call.principal, call.params["layout_id"], call.body, call.now)


@route(
    "POST",
    "/layouts/{layout_id}/sections",
    summary="Add a section",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.SectionIn,
    response=s.SectionOut,
    status=201,
)
async def create_section(call: Call) -> Any:
    return await venues.create_section(
        call.principal, call.params["layout_id"], call.body, call.now
    )


@route(
    "POST",
    "/layouts/{layout_id}/seats/batch",
    summary="Generate rows of seats",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.SeatBatchIn,
    response=list[s.SeatOut],
    status=201,
)
async def add_seat_batch(call: Call) -> Any:
    return await venues.add_seat_batch(
        call.principal, call.params["layout_id"], call.body, call.now
    )


@route(
    "PATCH",
    "/layouts/{layout_id}/seats",
    summary="Zone, relabel or remove seats",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.SeatUpdate,
    response=s.LayoutDetail,
)
async def update_seats(call: Call) -> Any:
    await venues.update_seats(call.principal, call.params["layout_id"], call.body, call.now)
    return await venues.layout_detail(call.principal, call.params["layout_id"])


@route(
    "POST",
    "/layouts/{layout_id}/seats/change",
    summary="Remove, zone or move the seats of a selection (the whole layout, sections, rows,"
    " areas of the plan)",
    tag="seating",
    action=Action.VENUES_WRITE,
    body=s.SeatChange,
    response=s.SeatChangeOut,
)
async def change_seats(call: Call) -> Any:
    return await seat_changes.change_seats(
        call.principal, call.params["layout_id"], call.body, call.now
    )
