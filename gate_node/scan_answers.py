"""What the scan API answers: a scan's answer, the ticket as door staff see it, the live feed's
events. Shared by scans, supervisors' actions and replays of a repeated nonce."""

from __future__ import annotations

import uuid

import msgspec

from contract.reasons import REASONS, Reason
from contract.ticket_token import TicketClaims
from gate_node.decision import (
    Direction,
    EventContext,
    Passage,
    Status,
    TicketFacts,
    Warning,
)
from gate_node.timestamps import format_time


class TicketView(msgspec.Struct):
    id: str
    type_id: str
    type_name: str | None
    holder: str | None
    seat: str | None


class PassageView(msgspec.Struct):
    gate: str
    at: str


class ScanAnswer(msgspec.Struct):
    """The scan API's answer (see docs/api.md)."""

    status: Status
    reason: Reason | None
    message: str
    ticket: TicketView | None
    first_admitted: PassageView | None
    scan_id: str
    warning: Warning | None = None
    decided_ms: float = 0.0


class ScanEvent(msgspec.Struct):
    """What the live feed tells kiosks and dashboards about each recorded scan."""

    answer: ScanAnswer
    gate: str
    direction: Direction
    at: str


class AnnulAnswer(msgspec.Struct):
    """The answer to an annulment."""

    scan_id: str
    annulled_by: str
    reason: str
    at: str


def ticket_view(
    ticket_id: str | None,
    claims: TicketClaims | None,
    facts: TicketFacts | None,
    event: EventContext,
) -> TicketView | None:
    """The ticket as door staff see it (the holder only where its type shows it)."""
    if ticket_id is None or claims is None or facts is None:
        return None
    return listed_ticket(ticket_id, facts.ticket_type_id or claims.ticket_type_id, facts, event)


def listed_ticket(
    ticket_id: str, type_id: uuid.UUID, facts: TicketFacts, event: EventContext
) -> TicketView:
    """A ticket the replica lists, as door staff see it."""
    ticket_type = event.ticket_types.get(type_id)
    shows_holder = ticket_type is not None and ticket_type.shows_holder
    return TicketView(
        id=ticket_id,
        type_id=str(type_id),
        type_name=None if ticket_type is None else ticket_type.name,
        holder=facts.holder if shows_holder else None,
        seat=facts.seat,
    )


def passage_view(passage: Passage | None) -> PassageView | None:
    """A passage with its time as the replica writes times."""
    if passage is None:
        return None
    return PassageView(gate=passage.gate, at=format_time(passage.at))


def reason_code(code: str | None) -> Reason | None:
    """A stored reason as a reason code (None for none or one this gate does not know)."""
    for reason in REASONS:
        if code == reason:
            return reason
    return None
