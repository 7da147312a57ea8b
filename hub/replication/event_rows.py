"""What the hub publishes per event, built from its models (through the event package's
builder, so the package file and the replicated rows cannot drift apart), and the calls
the hub's services make in their transactions.

The device roster (``devices``) and the event's ``gates`` come from the hub's devices and
gates (hub.services.devices, hub.models.EventGate); the device and gate services publish
them when they change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Final

from tortoise.backends.base.client import BaseDBAsyncClient

from contract import package_rows as rows
from hub.models import Event, EventGate, Ticket
from hub.replication.publish import KeyValues, publish_rows, publish_snapshot, raw_connection
from hub.replication.tables import PACKAGE_TABLES, PUBLISHED_TABLES
from hub.services import packages

RowsOf = Callable[[uuid.UUID], Awaitable[list[rows.Row]]]
"""The rows of one table for an event (by event id)."""


async def roster_rows(event_id: uuid.UUID) -> list[rows.Row]:
    """The ``devices`` rows of the event: every device of its venue serving it, with its
    key only while it is active (hub.services.devices.roster)."""
    from hub.services import devices  # noqa: PLC0415 (devices imports the event services)

    return [
        {
            "id": entry.id,
            "name": entry.name,
            "gate": entry.gate,
            "public_key": entry.public_key if entry.state == "active" else None,
            "state": entry.state,
            "revoked_at": None
            if entry.revoked_at is None
            else entry.revoked_at.astimezone(dt.UTC).isoformat(),
        }
        for entry in await devices.roster(event_id)
    ]


async def gate_rows(event_id: uuid.UUID) -> list[rows.Row]:
    """The ``gates`` rows of the event: its entrances, by id."""
    return [
        {"id": str(gate.id), "name": gate.name}
        for gate in await EventGate.filter(event_id=event_id).order_by("id")
    ]


ROSTER_SOURCES: Final[dict[str, RowsOf]] = {"devices": roster_rows, "gates": gate_rows}


async def event_tables(
    event: Event, now: dt.datetime, tables: Collection[str] = PUBLISHED_TABLES
) -> dict[str, list[rows.Row]]:
    """The rows of ``tables`` the event stands for now."""
    out: dict[str, list[rows.Row]] = {}
    if any(t in PACKAGE_TABLES for t in tables):
        every = rows.package_rows(await packages.event_package(event, now))
        out.update({t: every[t] for t in PACKAGE_TABLES if t in tables})
    for table, source in ROSTER_SOURCES.items():
        if table in tables:
            out[table] = await source(event.id)
    return out


async def publish_event(
    conn: BaseDBAsyncClient,
    event: Event,
    now: dt.datetime,
    tables: Collection[str] = PUBLISHED_TABLES,
) -> int:
    """Publish ``tables`` of the event whole (a diff against what is published: rows the
    event no longer has are deleted, unchanged ones write nothing), in ``conn``'s
    transaction; returns how many rows changed."""
    pg = raw_connection(conn)
    return await publish_snapshot(pg, event.id, await event_tables(event, now, tables))


async def publish_tickets(conn: BaseDBAsyncClient, event: Event, tickets: Sequence[Ticket]) -> int:
    """Publish these tickets and their status (a revocation or block row, or none), in
    ``conn``'s transaction: issuing or changing a few tickets costs a few rows, whatever the
    size of the event."""
    pg = raw_connection(conn)
    labels = await packages.seat_texts([t.seat_id for t in tickets])
    revoked: list[rows.Row] = []
    blocked: list[rows.Row] = []
    not_revoked: list[KeyValues] = []
    not_blocked: list[KeyValues] = []
    for t in tickets:
        revocation = packages.revocation_of(t)
        block = packages.block_of(t)
        if revocation is None:
            not_revoked.append((str(t.id),))
        else:
            revoked.append(rows.revocation_row(revocation))
        if block is None:
            not_blocked.append((str(t.id),))
        else:
            blocked.append(rows.block_row(block))
    return await publish_rows(
        pg,
        event.id,
        {
            "tickets": [rows.ticket_row(packages.package_ticket(t, labels)) for t in tickets],
            "revocations": revoked,
            "blocks": blocked,
        },
        deleted={"revocations": not_revoked, "blocks": not_blocked},
    )


async def publish_seat_tickets(conn: BaseDBAsyncClient, seat_ids: Sequence[uuid.UUID]) -> int:
    """Publish the tickets of these seats again, in ``conn``'s transaction: a relabelled or
    moved seat changes the seat its tickets show at the gates."""
    changed = 0
    tickets = await Ticket.filter(seat_id__in=list(seat_ids)).using_db(conn)
    by_event: dict[uuid.UUID, list[Ticket]] = {}
    for ticket in tickets:
        by_event.setdefault(ticket.event_id, []).append(ticket)
    for event in await Event.filter(id__in=list(by_event)).using_db(conn):
        changed += await publish_tickets(conn, event, by_event[event.id])
    return changed


async def publish_venue_events(
    conn: BaseDBAsyncClient, venue_id: uuid.UUID, now: dt.datetime
) -> int:
    """Publish the ``event`` row of every event at the venue again (its name is in it)."""
    changed = 0
    for event in await Event.filter(venue_id=venue_id).using_db(conn):
        changed += await publish_event(conn, event, now, tables=("event",))
    return changed
