"""What the replica knows of every ticket, held in memory for the scan path.

A scan needs the ticket's type, holder and seat and whether it is revoked or blocked. A
joined query over three tables costs ~25 µs; a dict lookup well under one. The replica stays
the source of truth: the book is read from it at start-up and must be refreshed whenever
those tables change by any path (an event package loaded, changes merged from a peer).
"""

from __future__ import annotations

import sqlite3
import uuid

from contract.ticket_token import TicketClaims
from gate_node.decision import Passage, TicketFacts

TicketRow = tuple[uuid.UUID | None, str | None, str | None]


class TicketBook:
    """Tickets by id with their type, holder and seat; revocations and blocks by ticket id."""

    def __init__(self) -> None:
        self.tickets: dict[str, TicketRow] = {}
        self.revoked: dict[str, str] = {}
        self.blocked: dict[str, str] = {}

    @classmethod
    def build(cls, conn: sqlite3.Connection) -> TicketBook:
        """Read the tickets, revocations and blocks tables once."""
        book = cls()
        book.refresh(conn)
        return book

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Re-read everything after the tables changed."""
        type_ids: dict[str, uuid.UUID] = {}  # a few types: share their UUID objects

        def type_uuid(text: str | None) -> uuid.UUID | None:
            if text is None:
                return None
            found = type_ids.get(text)
            if found is None:
                found = type_ids[text] = uuid.UUID(text)
            return found

        self.tickets = {
            ticket_id: (type_uuid(type_id), holder, seat)
            for ticket_id, type_id, holder, seat in conn.execute(
                "SELECT id, ticket_type_id, holder, seat FROM tickets"
            )
        }
        self.revoked = {
            t: reason or "revoked"
            for t, reason in conn.execute("SELECT ticket_id, reason FROM revocations")
        }
        self.blocked = {
            t: reason or "blocked"
            for t, reason in conn.execute("SELECT ticket_id, reason FROM blocks")
        }

    def facts(self, ticket_id: str, history: tuple[Passage, ...]) -> TicketFacts:
        """The decision's view of one ticket."""
        type_id, holder, seat = self.tickets.get(ticket_id, (None, None, None))
        return TicketFacts(
            ticket_type_id=type_id,
            holder=holder,
            seat=seat,
            revoked=self.revoked.get(ticket_id),
            blocked=self.blocked.get(ticket_id),
            history=history,
        )

    def claims(self, ticket_id: str, event_id: uuid.UUID) -> TicketClaims | None:
        """What a ticket's code would claim, for a ticket found without one (by search):
        its event, id and type, and no window of its own. None for an unknown ticket."""
        row = self.tickets.get(ticket_id)
        if row is None or row[0] is None:
            return None
        try:
            key = uuid.UUID(ticket_id)
        except ValueError:
            return None
        return TicketClaims(event_id=event_id, ticket_id=key, ticket_type_id=row[0], key_id=0)
