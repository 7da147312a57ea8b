"""What the replica knows of every ticket, held in memory for the scan path.

A scan needs the ticket's type, holder and seat and whether it is revoked or blocked. A
joined query over three tables costs ~25 µs; a dict lookup well under one. The replica stays
the source of truth: the book is read from it at start-up and must be refreshed whenever
those tables change by any path (an event package loaded, changes merged from a peer).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Collection, Iterator

from contract.ticket_token import TicketClaims
from gate_node.decision import Passage, TicketFacts

TicketRow = tuple[uuid.UUID | None, str | None, str | None]


CHUNK = 500  # ids per query: under SQLite's variable limit


def rows_by_id(
    conn: sqlite3.Connection, sql: str, ids: Collection[str]
) -> Iterator[tuple[str, ...]]:
    """The rows `sql` (ending in `IN ({marks})`) selects for these ids, a chunk at a time."""
    chosen = list(ids)
    for start in range(0, len(chosen), CHUNK):
        chunk = chosen[start : start + CHUNK]
        # Only placeholders are formatted in; the ids are bound.
        yield from conn.execute(sql.format(marks=",".join("?" * len(chunk))), chunk)


class TicketBook:
    """Tickets by id with their type, holder and seat; revocations and blocks by ticket id."""

    def __init__(self) -> None:
        self.tickets: dict[str, TicketRow] = {}
        self._type_ids: dict[str, uuid.UUID] = {}
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
        self._type_ids = {}  # a few types: the tickets share their UUID objects
        self.tickets = {
            ticket_id: (self._type_uuid(type_id), holder, seat)
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

    def update_tickets(self, conn: sqlite3.Connection, ticket_ids: Collection[str]) -> None:
        """Re-read these tickets (new, changed or deleted), leaving the others as they are."""
        found = {
            ticket_id: (self._type_uuid(type_id), holder, seat)
            for ticket_id, type_id, holder, seat in rows_by_id(
                conn,
                "SELECT id, ticket_type_id, holder, seat FROM tickets WHERE id IN ({marks})",
                ticket_ids,
            )
        }
        for ticket_id in ticket_ids:
            row = found.get(ticket_id)
            if row is None:
                self.tickets.pop(ticket_id, None)
            else:
                self.tickets[ticket_id] = row

    def update_revocations(self, conn: sqlite3.Connection, ticket_ids: Collection[str]) -> None:
        """Re-read the revocations of these tickets (a merged or withdrawn revocation)."""
        _update(self.revoked, conn, "revocations", "revoked", ticket_ids)

    def update_blocks(self, conn: sqlite3.Connection, ticket_ids: Collection[str]) -> None:
        """Re-read the blocks of these tickets."""
        _update(self.blocked, conn, "blocks", "blocked", ticket_ids)

    def _type_uuid(self, text: str | None) -> uuid.UUID | None:
        if text is None:
            return None
        found = self._type_ids.get(text)
        if found is None:
            try:
                found = self._type_ids[text] = uuid.UUID(text)
            except ValueError:
                return None  # a value no gate writes: the ticket's code names its type
        return found

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


def _update(
    held: dict[str, str],
    conn: sqlite3.Connection,
    table: str,
    default: str,
    ticket_ids: Collection[str],
) -> None:
    # `table` is one of two names written above, never input.
    sql = f"SELECT ticket_id, reason FROM {table} WHERE ticket_id IN ({{marks}})"  # noqa: S608
    found = {t: reason or default for t, reason in rows_by_id(conn, sql, ticket_ids)}
    for ticket_id in ticket_ids:
        if ticket_id in found:
            held[ticket_id] = found[ticket_id]
        else:
            held.pop(ticket_id, None)
