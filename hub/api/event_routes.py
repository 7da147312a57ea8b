"""The API's events, dates, ticket types, prices, gates, keys, tickets and packages."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contract.event_package import encode_package
from hub import schemas as s
from hub.api.router import paged, route
from hub.api_routing import Call
from hub.roles import Action
from hub.services import events, keys, packages, price_rules, ticket_types, tickets


@route(
    "GET",
    "/events",
    summary="List events",
    tag="events",
    action=Action.EVENTS_READ,
    response=list[s.EventOut],
)
async def list_events(call: Call) -> Any:
    return await events.list_events(call.principal)


@route(
    "POST",
    "/events",
    summary="Create a draft event",
    tag="events",
    action=Action.EVENTS_WRITE,
    body=s.EventIn,
    response=s.EventOut,
    status=201,
)
async def create_event(call: Call) -> Any:
    return await events.create_event(call.principal, call.body, call.now)


@route(
    "GET",
    "/events/{event_id}",
    summary="An event",
    tag="events",
    action=Action.EVENTS_READ,
    response=s.EventOut,
)
async def get_event(call: Call) -> Any:
    return await events.get_event(call.principal, call.params["event_id"])


@route(
    "PATCH",
    "/events/{event_id}",
    summary="Change an event",
    tag="events",
    action=Action.EVENTS_WRITE,
    body=s.EventUpdate,
    response=s.EventOut,
)
async def update_event(call: Call) -> Any:
    return await events.update_event(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "DELETE",
    "/events/{event_id}",
    summary="Delete a draft or cancelled event that has no tickets",
    tag="events",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_event(call: Call) -> Any:
    await events.delete_event(call.principal, call.params["event_id"], call.now)


@route(
    "POST",
    "/events/{event_id}/status",
    summary="Publish, end or cancel",
    tag="events",
    action=Action.EVENTS_PUBLISH,
    body=s.StatusChange,
    response=s.EventOut,
)
async def change_event_status(call: Call) -> Any:
    return await events.change_status(
        call.principal, call.params["event_id"], call.body.status, call.now
    )


@route(
    "GET",
    "/events/{event_id}/sessions",
    summary="The event's dates",
    tag="events",
    action=Action.EVENTS_READ,
    response=list[s.SessionOut],
)
async def list_sessions(call: Call) -> Any:
    return await events.list_sessions(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/sessions",
    summary="Add a date",
    tag="events",
    action=Action.EVENTS_WRITE,
    body=s.SessionIn,
    response=s.SessionOut,
    status=201,
)
async def add_session(call: Call) -> Any:
    return await events.add_session(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "DELETE",
    "/events/{event_id}/sessions/{session_id}",
    summary="Remove a date",
    tag="events",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_session(call: Call) -> Any:
    await events.delete_session(
        call.principal, call.params["event_id"], call.params["session_id"], call.now
    )


@route(
    "GET",
    "/events/{event_id}/ticket-types",
    summary="Ticket types",
    tag="events",
    action=Action.EVENTS_READ,
    response=list[s.TicketTypeOut],
)
async def list_ticket_types(call: Call) -> Any:
    return await ticket_types.list_ticket_types(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/ticket-types",
    summary="Add a ticket type",
    tag="events",
    action=Action.EVENTS_WRITE,
    body=s.TicketTypeIn,
    response=s.TicketTypeOut,
    status=201,
)
async def add_ticket_type(call: Call) -> Any:
    return await ticket_types.add_ticket_type(
        call.principal, call.params["event_id"], call.body, call.now
    )


@route(
    "DELETE",
    "/events/{event_id}/ticket-types/{type_id}",
    summary="Delete a ticket type with no tickets",
    tag="events",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_ticket_type(call: Call) -> Any:
    await ticket_types.delete_ticket_type(
        call.principal, call.params["event_id"], call.params["type_id"], call.now
    )


@route(
    "GET",
    "/events/{event_id}/price-rules",
    summary="Price rules",
    tag="pricing",
    action=Action.EVENTS_READ,
    response=list[s.PriceRuleOut],
)
async def list_price_rules(call: Call) -> Any:
    return await price_rules.list_price_rules(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/price-rules",
    summary="Add an early-bird, promo-code or group discount",
    tag="pricing",
    action=Action.EVENTS_WRITE,
    body=s.PriceRuleIn,
    response=s.PriceRuleOut,
    status=201,
)
async def add_price_rule(call: Call) -> Any:
    return await price_rules.add_price_rule(
        call.principal, call.params["event_id"], call.body, call.now
    )


@route(
    "DELETE",
    "/events/{event_id}/price-rules/{rule_id}",
    summary="Delete a price rule",
    tag="pricing",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_price_rule(call: Call) -> Any:
    await price_rules.delete_price_rule(
        call.principal, call.params["event_id"], call.params["rule_id"], call.now
    )


@route(
    "POST",
    "/events/{event_id}/quote",
    summary="Price a purchase (no sale is made)",
    tag="pricing",
    action=Action.EVENTS_READ,
    body=s.QuoteIn,
    response=s.QuoteOut,
)
async def quote(call: Call) -> Any:
    return await price_rules.quote(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "GET",
    "/events/{event_id}/check-in-lists",
    summary="Which types use which gates",
    tag="gates",
    action=Action.EVENTS_READ,
    response=list[s.CheckInListOut],
)
async def list_check_in_lists(call: Call) -> Any:
    return await events.list_check_in_lists(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/check-in-lists",
    summary="Add a check-in list",
    tag="gates",
    action=Action.EVENTS_WRITE,
    body=s.CheckInListIn,
    response=s.CheckInListOut,
    status=201,
)
async def add_check_in_list(call: Call) -> Any:
    return await events.add_check_in_list(
        call.principal, call.params["event_id"], call.body, call.now
    )


@route(
    "DELETE",
    "/events/{event_id}/check-in-lists/{list_id}",
    summary="Delete a check-in list",
    tag="gates",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_check_in_list(call: Call) -> Any:
    await events.delete_check_in_list(
        call.principal, call.params["event_id"], call.params["list_id"], call.now
    )


@route(
    "GET",
    "/events/{event_id}/gate-rules",
    summary="JSON-logic entry rules",
    tag="gates",
    action=Action.EVENTS_READ,
    response=list[s.GateRuleOut],
)
async def list_gate_rules(call: Call) -> Any:
    return await events.list_gate_rules(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/gate-rules",
    summary="Add an entry rule",
    tag="gates",
    action=Action.EVENTS_WRITE,
    body=s.GateRuleIn,
    response=s.GateRuleOut,
    status=201,
)
async def add_gate_rule(call: Call) -> Any:
    return await events.add_gate_rule(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "DELETE",
    "/events/{event_id}/gate-rules/{rule_id}",
    summary="Delete an entry rule",
    tag="gates",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_gate_rule(call: Call) -> Any:
    await events.delete_gate_rule(
        call.principal, call.params["event_id"], call.params["rule_id"], call.now
    )


@route(
    "GET",
    "/events/{event_id}/keys",
    summary="Signing keys (public halves)",
    tag="keys",
    action=Action.EVENTS_READ,
    response=list[s.KeyOut],
)
async def list_keys(call: Call) -> Any:
    return await keys.list_keys(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/keys/rotate",
    summary="Retire the key and make the next",
    tag="keys",
    action=Action.KEYS_ROTATE,
    body=s.KeyRotation,
    response=s.KeyRotated,
    status=201,
)
async def rotate_key(call: Call) -> Any:
    return await keys.rotate(
        call.principal, call.params["event_id"], call.body.compromised, call.now
    )


@route(
    "GET",
    "/events/{event_id}/tickets",
    summary="Issued tickets with their QR text",
    tag="tickets",
    action=Action.TICKETS_READ,
    response=list[s.TicketOut],
    query=s.Paging,
)
async def list_tickets(call: Call) -> Any:
    return paged(*await tickets.list_tickets(call.principal, call.params["event_id"], call.query))


@route(
    "POST",
    "/events/{event_id}/tickets",
    summary="Issue complimentary tickets",
    tag="tickets",
    action=Action.TICKETS_ISSUE,
    body=s.TicketIssueIn,
    response=list[s.TicketOut],
    status=201,
)
async def issue_tickets(call: Call) -> Any:
    return await tickets.issue(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "PUT",
    "/events/{event_id}/tickets/{ticket_id}/status",
    summary="Revoke, block or restore a ticket",
    tag="tickets",
    action=Action.TICKETS_ISSUE,
    body=s.TicketStatusChange,
    response=s.TicketOut,
)
async def change_ticket_status(call: Call) -> Any:
    return await tickets.change_status(
        call.principal,
        call.params["event_id"],
        call.params["ticket_id"],
        call.body,
        call.now,
    )


@route(
    "GET",
    "/events/{event_id}/package",
    summary="The event package a gate loads (gzip JSON, public keys only)",
    tag="gates",
    action=Action.PACKAGE_EXPORT,
)
async def event_package(call: Call) -> Any:
    package = await packages.build_package(call.principal, call.params["event_id"], call.now)
    return Response(
        encode_package(package),
        media_type="application/gzip",
        headers={"content-disposition": f'attachment; filename="event-{package.event.id}.vgpkg"'},
    )
