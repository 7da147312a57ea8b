"""An event's tickets: issue complimentary ones, list them with their QR text, revoke,
block (lost, stolen: with a reason the gate shows) and make them valid again. Revoking and
blocking ask first (hub.web.confirmations)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.responses import Response

from hub.errors import ValidationFailed
from hub.roles import Action
from hub.schemas import EventOut, SeatLabel, TicketIssueIn, TicketStatusChange
from hub.services import events, ticket_types, tickets, venues
from hub.web.event_pages import event_context
from hub.web.forms import convert
from hub.web.page_routing import PageRouter, Visit
from hub.web.paging import pages, requested

router = PageRouter()


class TicketIssueForm(TicketIssueIn):
    """The issue form: seats are named by their labels ("A1, A2"), not by ids."""

    seat_labels: Annotated[list[SeatLabel], msgspec.Meta(max_length=1000)] = msgspec.field(
        default_factory=list
    )


@router.org("GET", "/events/{event_id}/tickets", Action.TICKETS_READ)
async def tickets_page(visit: Visit) -> Response:
    context = await event_context(visit)
    event_id = context["event"].id
    types = await ticket_types.list_ticket_types(visit.member, event_id)
    paging = requested(visit.request.query_params.get("page"))
    shown, total = await tickets.list_tickets(visit.member, event_id, paging)
    return visit.render(
        "tickets.html",
        **context,
        ticket_types=types,
        type_names={t.id: t.name for t in types},
        tickets=shown,
        pages=pages(paging, len(shown), total),
    )


def _to_tickets(visit: Visit, notice: str) -> Response:
    return visit.redirect(visit.org_url(f"/events/{visit.param('event_id')}/tickets"), notice)


@router.org(
    "POST", "/events/{event_id}/tickets", Action.TICKETS_ISSUE, page=tickets_page, form="issue"
)
async def issue_tickets(visit: Visit) -> Response:
    form = convert(visit.form, TicketIssueForm, comma_lists=("seat_labels",))
    labels = form.seat_labels
    data = TicketIssueIn(form.ticket_type_id, form.holder, form.email, form.seat_ids, form.quantity)
    if labels:
        event: EventOut = await events.get_event(visit.member, visit.param("event_id"))
        if event.layout_id is None:
            raise ValidationFailed("the event has no seating layout: leave the seats empty")
        seat_ids = await venues.seat_ids_by_label(visit.member, event.layout_id, labels)
        data = msgspec.structs.replace(data, seat_ids=seat_ids)
    await tickets.issue(visit.member, visit.param("event_id"), data, visit.now)
    return _to_tickets(visit, "issued")


@router.org(
    "POST",
    "/events/{event_id}/tickets/{ticket_id}/status",
    Action.TICKETS_ISSUE,
    page=tickets_page,
    form="tickets",
)
async def change_ticket_status(visit: Visit) -> Response:
    change = convert(visit.form, TicketStatusChange)
    await tickets.change_status(
        visit.member, visit.param("event_id"), visit.param("ticket_id"), change, visit.now
    )
    return _to_tickets(visit, NOTICES[change.status])


NOTICES = {"revoked": "revoked", "blocked": "blocked", "valid": "restored"}
