"""Admissions by ticket type against capacity, for the dashboard: of the tickets of each type
the replica holds (revoked ones excepted), how many have entered and how many are inside.

Read on the dashboard's own read-only connection (see `dashboard_route`), never on the scan
path's. A ticket counts once however often it entered; annulled admissions count nowhere.
"""

from __future__ import annotations

import sqlite3

import msgspec

from gate_node.replica import LATEST_SCANS


class TicketTypeFigures(msgspec.Struct):
    """One ticket type: `admitted` of its `tickets` entered at least once, `inside` are in."""

    id: str
    name: str
    tickets: int
    admitted: int
    inside: int


_TYPES_SQL = "SELECT id, name FROM ticket_types ORDER BY name, id"
_TICKETS_SQL = (
    "SELECT ticket_type_id, count(*) FROM tickets"
    " WHERE id NOT IN (SELECT ticket_id FROM revocations) GROUP BY 1"
)
_ADMITTED_SQL = (
    "SELECT t.ticket_type_id, count(*) FROM tickets AS t WHERE t.id IN"
    " (SELECT ticket_id FROM scans WHERE status = 'ok' AND direction = 'in'"
    " AND id NOT IN (SELECT scan_id FROM annulments)) GROUP BY 1"
)
# Inside as replica.inside_count counts it, per type.
_INSIDE_SQL = (
    f"SELECT t.ticket_type_id, count(*) FROM ({LATEST_SCANS}) AS latest"  # noqa: S608
    " JOIN tickets AS t ON t.id = latest.ticket_id WHERE latest.direction = 'in' GROUP BY 1"
)


def load_type_admissions(conn: sqlite3.Connection) -> list[TicketTypeFigures]:
    """Every ticket type of the event with its figures, by name."""
    tickets = dict(conn.execute(_TICKETS_SQL).fetchall())
    admitted = dict(conn.execute(_ADMITTED_SQL).fetchall())
    inside = dict(conn.execute(_INSIDE_SQL).fetchall())
    return [
        TicketTypeFigures(
            id=type_id,
            name=name,
            tickets=int(tickets.get(type_id, 0)),
            admitted=int(admitted.get(type_id, 0)),
            inside=int(inside.get(type_id, 0)),
        )
        for type_id, name in conn.execute(_TYPES_SQL)
    ]
