"""The JSON REST API under /api/v1: every route, declared once (see `hub.api_routing`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from contract.event_package import encode_package
from hub import schemas as s
from hub.api_routing import ApiRouter, Call
from hub.http import json_response
from hub.mail.config import mailing_of
from hub.roles import Action
from hub.services import (
    accounts,
    audit,
    events,
    invitations,
    keys,
    packages,
    price_rules,
    seat_changes,
    ticket_types,
    tickets,
    venues,
)

api = ApiRouter()
route = api.route


def paged(items: list[Any], total: int) -> Response:
    """A page of a long list, with the size of the whole list in X-Total-Count."""
    return json_response(items, headers={"x-total-count": str(total)})


# Organisation and people


@route(
    "GET",
    "/org",
    summary="The API key's organisation",
    tag="org",
    action=Action.ORG_READ,
    response=s.OrgOut,
)
async def get_org(call: Call) -> Any:
    return await accounts.get_org(call.principal)


@route(
    "PATCH",
    "/org",
    summary="Change name, branding or settings",
    tag="org",
    action=Action.ORG_MANAGE,
    body=s.OrgUpdate,
    response=s.OrgOut,
)
async def update_org(call: Call) -> Any:
    return await accounts.update_org(call.principal, call.body, call.now)


@route(
    "GET",
    "/members",
    summary="Members and their roles",
    tag="org",
    action=Action.MEMBERS_READ,
    response=list[s.MemberOut],
)
async def list_members(call: Call) -> Any:
    return await accounts.members(call.principal)


@route(
    "PUT",
    "/members/{user_id}/role",
    summary="Change a member's role",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    body=s.RoleChange,
    response=s.MemberOut,
)
async def change_member_role(call: Call) -> Any:
    return await accounts.change_role(
        call.principal, call.params["user_id"], call.body.role, call.now
    )


@route(
    "DELETE",
    "/members/{user_id}",
    summary="Remove a member",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    status=204,
)
async def remove_member(call: Call) -> Any:
    await accounts.remove_member(call.principal, call.params["user_id"], call.now)


@route(
    "GET",
    "/invitations",
    summary="Invitations not yet accepted or revoked, with their email's delivery",
    tag="org",
    action=Action.MEMBERS_READ,
    response=list[s.InvitationOut],
)
async def list_invitations(call: Call) -> Any:
    return await invitations.pending(call.principal, call.now)


@route(
    "POST",
    "/invitations",
    summary="Invite an email address with a role (emails a one-time link)",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    body=s.InvitationIn,
    response=s.InvitationCreated,
    status=201,
    also=("429",),
)
async def create_invitation(call: Call) -> Any:
    return await invitations.invite(call.principal, call.body, call.now, mailing_of(call.request))


@route(
    "POST",
    "/invitations/{invitation_id}/resend",
    summary="Email an invitation again, with a new link and expiry",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    response=s.InvitationCreated,
    also=("429",),
)
async def resend_invitation(call: Call) -> Any:
    return await invitations.resend(
        call.principal, call.params["invitation_id"], call.now, mailing_of(call.request)
    )


@route(
    "POST",
    "/invitations/{invitation_id}/revoke",
    summary="Withdraw an invitation (its link stops working)",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    response=s.InvitationOut,
)
async def revoke_invitation(call: Call) -> Any:
    return await invitations.revoke(call.principal, call.params["invitation_id"], call.now)


@route(
    "GET",
    "/api-keys",
    summary="API keys (without secrets)",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    response=list[s.ApiKeyOut],
)
async def list_api_keys(call: Call) -> Any:
    return await accounts.api_keys(call.principal)


@route(
    "POST",
    "/api-keys",
    summary="Create an API key (signed-in admins only)",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    body=s.ApiKeyIn,
    response=s.ApiKeyCreated,
    status=201,
)
async def create_api_key(call: Call) -> Any:
    return await accounts.create_api_key(call.principal, call.body, call.now)


@route(
    "POST",
    "/api-keys/{key_id}/revoke",
    summary="Revoke an API key",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    response=s.ApiKeyOut,
)
async def revoke_api_key(call: Call) -> Any:
    return await accounts.revoke_api_key(call.principal, call.params["key_id"], call.now)


@route(
    "GET",
    "/audit",
    summary="The audit log, newest first",
    tag="org",
    action=Action.AUDIT_READ,
    response=list[s.AuditOut],
    query=s.Paging,
)
async def audit_log(call: Call) -> Any:
    return paged(*await audit.entries(call.principal, call.query))


# Venues and seating


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


# Events


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
