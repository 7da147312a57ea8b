"""The org's overview (its events), an event's page: details, dates, ticket types, price
rules, and publishing."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hub.publishing import starts_in_past
from hub.roles import Action
from hub.schemas import (
    EventIn,
    EventOut,
    EventUpdate,
    PriceRuleIn,
    SessionIn,
    StatusChange,
    TicketTypeIn,
)
from hub.services import events, price_rules, ticket_types, venues
from hub.web.forms import FormError, convert, local_time
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()


@router.org("GET", "", Action.EVENTS_READ)
async def overview_page(visit: Visit) -> Response:
    rows = await events.list_events(visit.member)
    venue_rows = await venues.list_venues(visit.member)
    layouts = {v.id: await venues.list_layouts(visit.member, v.id) for v in venue_rows}
    return visit.render(
        "overview.html",
        title="Events",
        events=rows,
        venues=venue_rows,
        venue_names={v.id: v.name for v in venue_rows},
        layouts=layouts,
    )


@router.org("POST", "/events", Action.EVENTS_WRITE, page=overview_page, form="event")
async def create_event(visit: Visit) -> Response:
    event = await events.create_event(visit.member, convert(visit.form, EventIn), visit.now)
    return visit.redirect(visit.org_url(f"/events/{event.id}"), "created")


async def event_context(visit: Visit) -> dict[str, Any]:
    """What every page of one event shows in its heading."""
    event = await events.get_event(visit.member, visit.param("event_id"))
    venue = await venues.get_venue(visit.member, event.venue_id)
    return {"title": event.name, "event": event, "venue": venue}


async def _event(visit: Visit) -> EventOut:
    return await events.get_event(visit.member, visit.param("event_id"))


@router.org("GET", "/events/{event_id}", Action.EVENTS_READ)
async def event_page(visit: Visit) -> Response:
    context = await event_context(visit)
    event: EventOut = context["event"]
    zones = []
    if event.layout_id is not None:
        zones = await venues.list_zones(visit.member, event.layout_id)
    return visit.render(
        "event.html",
        **context,
        layouts=await venues.list_layouts(visit.member, event.venue_id),
        zones=zones,
        zone_names={z.id: z.name for z in zones},
        sessions=await events.list_sessions(visit.member, event.id),
        ticket_types=await ticket_types.list_ticket_types(visit.member, event.id),
        price_rules=await price_rules.list_price_rules(visit.member, event.id),
        date_in_past=_typed_date_in_past(visit, event),
    )


def _typed_date_in_past(visit: Visit, event: EventOut) -> bool:
    """Whether the refused date form holds a start in the past: the form then asks the
    organiser to confirm it with the `allow_past` box (and a second submit)."""
    failed = visit.failed
    if failed is None or failed.form != "date":
        return False
    try:
        starts = local_time(failed.value("date", "starts_at"), event.timezone)
    except FormError:
        return False
    return starts_in_past(starts, visit.now)


def _to_event(visit: Visit, notice: str) -> Response:
    return visit.redirect(visit.org_url(f"/events/{visit.param('event_id')}"), notice)


@router.org("POST", "/events/{event_id}", Action.EVENTS_WRITE, page=event_page, form="details")
async def update_event(visit: Visit) -> Response:
    change = convert(visit.form, EventUpdate, blank_ok=("description",))
    await events.update_event(visit.member, visit.param("event_id"), change, visit.now)
    return _to_event(visit, "saved")


@router.org("POST", "/events/{event_id}/dates", Action.EVENTS_WRITE, page=event_page, form="date")
async def add_date(visit: Visit) -> Response:
    event = await _event(visit)
    data = convert(
        visit.form,
        SessionIn,
        local_times=("starts_at", "ends_at"),
        checkboxes=("allow_past",),
        timezone=event.timezone,
    )
    await events.add_session(visit.member, event.id, data, visit.now)
    return _to_event(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/dates/{session_id}/delete",
    Action.EVENTS_WRITE,
    page=event_page,
    form="dates",
)
async def delete_date(visit: Visit) -> Response:
    await events.delete_session(
        visit.member, visit.param("event_id"), visit.param("session_id"), visit.now
    )
    return _to_event(visit, "removed")


@router.org(
    "POST",
    "/events/{event_id}/ticket-types",
    Action.EVENTS_WRITE,
    page=event_page,
    form="ticket_type",
)
async def add_ticket_type(visit: Visit) -> Response:
    data = convert(visit.form, TicketTypeIn, checkboxes=("reentry",), money=("price_cents",))
    await ticket_types.add_ticket_type(visit.member, visit.param("event_id"), data, visit.now)
    return _to_event(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/ticket-types/{type_id}/delete",
    Action.EVENTS_WRITE,
    page=event_page,
    form="ticket_types",
)
async def delete_ticket_type(visit: Visit) -> Response:
    await ticket_types.delete_ticket_type(
        visit.member, visit.param("event_id"), visit.param("type_id"), visit.now
    )
    return _to_event(visit, "deleted")


@router.org(
    "POST",
    "/events/{event_id}/price-rules",
    Action.EVENTS_WRITE,
    page=event_page,
    form="price_rule",
)
async def add_price_rule(visit: Visit) -> Response:
    event = await _event(visit)
    data = convert(
        visit.form,
        PriceRuleIn,
        money=("amount_off_cents",),
        local_times=("starts_at", "ends_at"),
        timezone=event.timezone,
    )
    await price_rules.add_price_rule(visit.member, event.id, data, visit.now)
    return _to_event(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/price-rules/{rule_id}/delete",
    Action.EVENTS_WRITE,
    page=event_page,
    form="price_rules",
)
async def delete_price_rule(visit: Visit) -> Response:
    await price_rules.delete_price_rule(
        visit.member, visit.param("event_id"), visit.param("rule_id"), visit.now
    )
    return _to_event(visit, "deleted")


@router.org(
    "POST", "/events/{event_id}/delete", Action.EVENTS_WRITE, page=event_page, form="delete"
)
async def delete_event(visit: Visit) -> Response:
    await events.delete_event(visit.member, visit.param("event_id"), visit.now)
    return visit.redirect(visit.org_url(), "deleted")


@router.org(
    "POST", "/events/{event_id}/status", Action.EVENTS_PUBLISH, page=event_page, form="status"
)
async def change_status(visit: Visit) -> Response:
    change = convert(visit.form, StatusChange)
    await events.change_status(visit.member, visit.param("event_id"), change.status, visit.now)
    return _to_event(visit, change.status)
