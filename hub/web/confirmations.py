"""What every irreversible form asks before it acts, declared once for every page.

A post to one of these routes changes nothing until it carries `confirmed=yes`. Without
it, the hub answers with a confirm page that names what will be lost and posts the same
fields again with `confirmed=yes` (and, for a block, the reason). So confirmation works
without JavaScript; with it, hub.js asks in a dialog first and sends `confirmed=yes` itself
when the form carries a `data-confirm` question (every `button_form` with `confirm=`).

Each route's question loads the object it names, so a missing object (or another org's)
is a 404 before anything is asked.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from starlette.datastructures import FormData
from starlette.responses import Response

from hub.errors import NotFound
from hub.local_time import shown
from hub.roles import ROLE_LABELS
from hub.services import (
    accounts,
    devices,
    events,
    gates,
    invitations,
    price_rules,
    ticket_types,
    tickets,
    venues,
)
from hub.sessions import CSRF_FIELD
from hub.web.page_routing import ORG_PREFIX, Handler, PageRoute, PageRouter, Visit

CONFIRMED_FIELD = "confirmed"
REASON_FIELD = "reason"
# Offered on the block page; any other reason may be typed.
BLOCK_REASONS = ("lost", "stolen", "duplicate", "fraud")


@dataclass(frozen=True)
class Question:
    """The confirm page of one irreversible change."""

    title: str  # "Revoke this ticket?"
    subject: str  # what it is done to: "Press · Balcony C7 · Stalls"
    consequence: str  # what happens, and whether it can be undone
    button: str  # "Revoke ticket"
    back: str  # the page the form came from (Cancel)
    ask_reason: bool = False  # a block: the gate shows why


Asker = Callable[[Visit], Awaitable[Question | None]]  # None: this post needs no confirming


class _Identified(Protocol):
    @property
    def id(self) -> object: ...


T = TypeVar("T", bound=_Identified)


def _find(rows: Iterable[T], wanted: str, what: str) -> T:
    for row in rows:
        if str(row.id) == wanted:
            return row
    raise NotFound(f"no such {what}")


def _event_url(visit: Visit, tail: str = "") -> str:
    return visit.org_url(f"/events/{visit.param('event_id')}{tail}")


async def _delete_date(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    rows = await events.list_sessions(visit.member, event.id)
    date = _find(rows, visit.param("session_id"), "event date")
    when = f"{shown(date.starts_at, event)} to {shown(date.ends_at, event)}"
    return Question(
        "Remove this date?",
        f"{event.name}: {when}" + (f" ({date.name})" if date.name else ""),
        "The date is deleted; add it again if you need it.",
        "Remove date",
        _event_url(visit),
    )


async def _delete_ticket_type(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    rows = await ticket_types.list_ticket_types(visit.member, event.id)
    row = _find(rows, visit.param("type_id"), "ticket type")
    return Question(
        "Delete this ticket type?",
        f"{row.name} ({event.name})",
        "It can no longer be sold, and its price rules are deleted with it.",
        "Delete ticket type",
        _event_url(visit),
    )


async def _delete_price_rule(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    rows = await price_rules.list_price_rules(visit.member, event.id)
    row = _find(rows, visit.param("rule_id"), "price rule")
    return Question(
        "Delete this price rule?",
        f"{row.name} ({event.name})",
        "Purchases no longer get its discount.",
        "Delete price rule",
        _event_url(visit),
    )


async def _delete_event(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    return Question(
        "Delete this event?",
        event.name,
        "The event, its dates, ticket types, price rules, check-in lists, entry rules and "
        "signing keys are deleted. This cannot be undone.",
        "Delete event",
        _event_url(visit),
    )


async def _change_event_status(visit: Visit) -> Question | None:
    status = visit.form.get("status")
    if status not in ("cancelled", "ended"):
        return None  # publishing is checked, not confirmed
    event = await events.get_event(visit.member, visit.param("event_id"))
    if status == "cancelled":
        return Question(
            "Cancel this event?",
            event.name,
            "Gates will refuse its tickets, and the event can no longer change. "
            "This cannot be undone.",
            "Cancel event",
            _event_url(visit),
        )
    return Question(
        "End this event?",
        event.name,
        "The event can no longer change. This cannot be undone.",
        "End event",
        _event_url(visit),
    )


async def _change_ticket_status(visit: Visit) -> Question | None:
    status = visit.form.get("status")
    if status not in ("revoked", "blocked"):
        return None  # making a ticket valid again is itself the undoing
    ticket = await tickets.get_ticket(
        visit.member, visit.param("event_id"), visit.param("ticket_id")
    )
    event = await events.get_event(visit.member, visit.param("event_id"))
    types = await ticket_types.list_ticket_types(visit.member, event.id)
    type_name = next((t.name for t in types if t.id == ticket.ticket_type_id), "")
    subject = " · ".join(p for p in (ticket.holder, ticket.seat, type_name, event.name) if p)
    back = _event_url(visit, "/tickets")
    if status == "revoked":
        return Question(
            "Revoke this ticket?",
            subject,
            "Gates refuse it as revoked once they load the next event package. "
            "Restore it here if this was a mistake.",
            "Revoke ticket",
            back,
        )
    return Question(
        "Block this ticket?",
        subject,
        "Gates refuse it, showing the reason, once they load the next event package. "
        "Unblock it here when it is found.",
        "Block ticket",
        back,
        ask_reason=True,
    )


async def _rotate_key(visit: Visit) -> Question | None:
    if "compromised" not in visit.form:
        return None  # a plain rotation keeps every ticket valid
    event = await events.get_event(visit.member, visit.param("event_id"))
    return Question(
        "Revoke the old signing keys?",
        event.name,
        "Gates will refuse everything the old keys signed; its tickets are signed again with "
        "the new key, so their holders need their new QR codes. This cannot be undone.",
        "Rotate and revoke",
        _event_url(visit, "/gates"),
    )


async def _delete_check_in_list(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    rows = await events.list_check_in_lists(visit.member, event.id)
    row = _find(rows, visit.param("list_id"), "check-in list")
    return Question(
        "Delete this check-in list?",
        f"{row.name}: {', '.join(row.gates)} ({event.name})",
        "Its ticket types may use other gates once the gates load the next event package.",
        "Delete check-in list",
        _event_url(visit, "/gates"),
    )


async def _delete_gate_rule(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    rows = await events.list_gate_rules(visit.member, event.id)
    row = _find(rows, visit.param("rule_id"), "entry rule")
    return Question(
        "Delete this entry rule?",
        f"{row.description} ({event.name})",
        "Gates stop applying it once they load the next event package.",
        "Delete entry rule",
        _event_url(visit, "/gates"),
    )


async def _delete_gate(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    row = _find(await gates.list_gates(visit.member, event.id), visit.param("gate_id"), "gate")
    return Question(
        "Remove this gate?",
        f"{row.name} ({event.name})",
        "Check-in lists, entry rules and devices can no longer choose it; add it again to "
        "undo this.",
        "Remove gate",
        _event_url(visit, "/gates"),
    )


async def _revoke_device(visit: Visit) -> Question:
    event = await events.get_event(visit.member, visit.param("event_id"))
    device = await devices.get_device(visit.member, visit.param("device_id"))
    if event.id not in device.event_ids:
        raise NotFound("no such device")
    return Question(
        "Revoke this device?",
        f"{device.name} at gate {device.gate} ({event.name})",
        "The hub refuses its requests at once, and every gate does within seconds of hearing "
        "of it. This cannot be undone: to use the machine again, add it as a new device.",
        "Revoke device",
        _event_url(visit, "/devices"),
    )


async def _delete_venue(visit: Visit) -> Question:
    venue = await venues.get_venue(visit.member, visit.param("venue_id"))
    return Question(
        "Delete this venue?",
        venue.name,
        "The venue and its seating layouts are deleted. This cannot be undone.",
        "Delete venue",
        visit.org_url(f"/venues/{venue.id}"),
    )


async def _delete_layout(visit: Visit) -> Question:
    detail = await venues.layout_detail(visit.member, visit.param("layout_id"))
    return Question(
        "Delete this seating layout?",
        detail.layout.name,
        f"The layout and its {detail.layout.seat_count} seats are deleted. This cannot be undone.",
        "Delete layout",
        visit.org_url(f"/layouts/{detail.layout.id}"),
    )


async def _remove_member(visit: Visit) -> Question:
    member = _find(
        [_Member(m.user_id, f"{m.name} <{m.email}>") for m in await accounts.members(visit.member)],
        visit.param("user_id"),
        "member",
    )
    return Question(
        "Remove this member?",
        member.name,
        "They can no longer open the organisation; add them again to undo it.",
        "Remove member",
        visit.org_url("/team"),
    )


@dataclass(frozen=True)
class _Member:
    id: object
    name: str


async def _revoke_api_key(visit: Visit) -> Question:
    key = _find(await accounts.api_keys(visit.member), visit.param("key_id"), "API key")
    return Question(
        "Revoke this API key?",
        f"{key.name} ({key.prefix})",
        "Whatever uses it stops working at once. This cannot be undone.",
        "Revoke key",
        visit.org_url("/api-keys"),
    )


async def _revoke_invitation(visit: Visit) -> Question:
    rows = await invitations.pending(visit.member, visit.now)
    invitation = _find(rows, visit.param("invitation_id"), "invitation")
    return Question(
        "Withdraw this invitation?",
        f"{invitation.email} ({ROLE_LABELS[invitation.role]})",
        "Its link stops working at once; invite them again to send a new one.",
        "Withdraw invitation",
        visit.org_url("/team"),
    )


# Every irreversible page form: POST path -> its question.
IRREVERSIBLE: dict[str, Asker] = {
    f"{ORG_PREFIX}/events/{{event_id}}/delete": _delete_event,
    f"{ORG_PREFIX}/events/{{event_id}}/status": _change_event_status,
    f"{ORG_PREFIX}/events/{{event_id}}/dates/{{session_id}}/delete": _delete_date,
    f"{ORG_PREFIX}/events/{{event_id}}/ticket-types/{{type_id}}/delete": _delete_ticket_type,
    f"{ORG_PREFIX}/events/{{event_id}}/price-rules/{{rule_id}}/delete": _delete_price_rule,
    f"{ORG_PREFIX}/events/{{event_id}}/check-in-lists/{{list_id}}/delete": _delete_check_in_list,
    f"{ORG_PREFIX}/events/{{event_id}}/gate-rules/{{rule_id}}/delete": _delete_gate_rule,
    f"{ORG_PREFIX}/events/{{event_id}}/gates/{{gate_id}}/delete": _delete_gate,
    f"{ORG_PREFIX}/events/{{event_id}}/devices/{{device_id}}/revoke": _revoke_device,
    f"{ORG_PREFIX}/events/{{event_id}}/keys/rotate": _rotate_key,
    f"{ORG_PREFIX}/events/{{event_id}}/tickets/{{ticket_id}}/status": _change_ticket_status,
    f"{ORG_PREFIX}/venues/{{venue_id}}/delete": _delete_venue,
    f"{ORG_PREFIX}/layouts/{{layout_id}}/delete": _delete_layout,
    f"{ORG_PREFIX}/team/{{user_id}}/remove": _remove_member,
    f"{ORG_PREFIX}/api-keys/{{key_id}}/revoke": _revoke_api_key,
    f"{ORG_PREFIX}/invitations/{{invitation_id}}/revoke": _revoke_invitation,
}


def carried(form: FormData, question: Question) -> list[tuple[str, str]]:
    """The fields the confirm page posts again (never the token, which it adds itself)."""
    skip = {CSRF_FIELD, CONFIRMED_FIELD} | ({REASON_FIELD} if question.ask_reason else set())
    return [(k, v) for k, v in form.multi_items() if k not in skip and isinstance(v, str)]


def asking_first(asker: Asker, handler: Handler) -> Handler:
    """`handler`, run only once the post is confirmed; until then, the confirm page."""

    @functools.wraps(handler)
    async def confirmed_first(visit: Visit) -> Response:
        question = await asker(visit)
        if question is None:
            return await handler(visit)
        reason = str(visit.form.get(REASON_FIELD, "")).strip()
        confirmed = visit.form.get(CONFIRMED_FIELD) == "yes"
        if confirmed and not (question.ask_reason and not reason):
            return await handler(visit)
        return visit.render(
            "confirm.html",
            title=question.title,
            question=question,
            action=visit.request.url.path,
            fields=carried(visit.form, question),
            reason=reason,
            reasons=BLOCK_REASONS,
            missing_reason=confirmed and question.ask_reason and not reason,
        )

    return confirmed_first


def with_confirmations(routers: Sequence[PageRouter]) -> list[PageRouter]:
    """The routers with every irreversible POST wrapped by its question."""
    return [PageRouter([_confirmed(route) for route in router.declared]) for router in routers]


def _confirmed(route: PageRoute) -> PageRoute:
    asker = IRREVERSIBLE.get(route.path) if route.method == "POST" else None
    return route if asker is None else replace(route, handler=asking_first(asker, route.handler))
