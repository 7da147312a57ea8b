"""The audit log: who changed what the org sells, admits or allows, and when.

Every change to what is sold (venues, layouts and their seats, events, dates, ticket
types, prices, tickets) or admitted (check-in lists, entry rules, keys, ticket status), and
to who may act (members, API keys, settings), is recorded by the service that makes it,
inside the same transaction, so the log never shows a change that did not happen or
misses one that did. The actions are declared once, here; docs/hub-api.md lists them and
a test keeps the two in step.
"""

from __future__ import annotations

import datetime as dt

from hub.models import AuditEntry
from hub.roles import Action
from hub.schemas import AuditOut, Paging
from hub.tenancy import Principal, require, scoped

ACTIONS = {
    "org.created": "an organisation was made",
    "org.updated": "its name, branding or settings changed",
    "invitation.created": "someone was invited to join with a role",
    "invitation.resent": "an invitation was emailed again with a new link",
    "invitation.revoked": "an invitation was withdrawn",
    "invitation.accepted": "an invitation was accepted: its invitee is a member",
    "member.role_changed": "a member's role changed",
    "member.removed": "a member was removed",
    "api_key.created": "an API key was made",
    "api_key.revoked": "an API key was revoked",
    "venue.created": "a venue was made",
    "venue.updated": "a venue's name, address or timezone changed",
    "venue.deleted": "a venue was deleted",
    "layout.created": "a seating layout was made",
    "layout.deleted": "a seating layout was deleted",
    "zone.created": "a price zone was added to a layout",
    "section.created": "a section was added to a layout",
    "seats.created": "rows of seats were generated",
    "seats.updated": "seats were given another zone or label",
    "seats.deleted": "seats were removed",
    "seats.moved": "seats were moved to another section",
    "event.created": "an event was made",
    "event.updated": "an event's details or layout changed",
    "event.deleted": "a draft or cancelled event without tickets was deleted",
    "event.published": "an event was published",
    "event.ended": "an event was ended",
    "event.cancelled": "an event was cancelled",
    "event.key_rotated": "an event's signing key was rotated",
    "date.created": "a date was added to an event",
    "date.deleted": "a date was removed from an event",
    "ticket_type.created": "a ticket type was added",
    "ticket_type.deleted": "a ticket type was deleted",
    "price_rule.created": "a price rule was added",
    "price_rule.deleted": "a price rule was deleted",
    "check_in_list.created": "a check-in list was added",
    "check_in_list.deleted": "a check-in list was deleted",
    "gate.created": "a gate was added to an event",
    "gate.deleted": "a gate no list, rule or device used was removed from an event",
    "device.created": "a gate device was added (with a one-time enrolment token)",
    "device.enrolled": "a gate device enrolled with its token and key",
    "device.rekeyed": "a device was given a new enrolment token; its old key stopped working",
    "device.revoked": "a device was revoked: the hub and the gates refuse it from now on",
    "gate_rule.created": "an entry rule was added",
    "gate_rule.deleted": "an entry rule was deleted",
    "tickets.issued": "tickets were issued",
    "ticket.revoked": "a ticket was revoked",
    "ticket.blocked": "a ticket was blocked (lost, stolen)",
    "ticket.valid": "a revoked or blocked ticket was made valid again",
}


async def record(
    principal: Principal, action: str, target: str, now: dt.datetime, **detail: object
) -> None:
    """Append one entry for the principal's org (call it inside the change's transaction).

    `action` is one of ACTIONS: an undeclared one is a mistake in the hub, refused loudly
    so that the change it would describe is rolled back rather than left unlogged.
    """
    if action not in ACTIONS:
        raise ValueError(f"undeclared audit action {action!r}: add it to audit.ACTIONS")
    await AuditEntry.create(
        org_id=principal.org_id,
        # A member is shown as "name <email>", up to 457 characters: the log keeps 300.
        actor=_clip(principal.display),
        action=action,
        target=_clip(target),
        detail={k: str(v) for k, v in detail.items()},
        at=now,
    )


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def entries(principal: Principal, paging: Paging) -> tuple[list[AuditOut], int]:
    """One page of the log, newest first, and how many entries there are in all."""
    require(principal, Action.AUDIT_READ)
    query = scoped(AuditEntry, principal)
    rows = await query.order_by("-at", "-id").offset(paging.offset).limit(paging.limit)
    total = await query.count()
    return [AuditOut(r.actor, r.action, r.target, r.detail, r.at) for r in rows], total
