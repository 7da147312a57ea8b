"""What the replication tests share: an event made through the hub's services, and gate-like
replicas (real SQLite files with the contract schema, attached by sync.replica)."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from contract.replica_schema import DDL, TABLES
from hub.models import Org, Venue
from hub.roles import Role
from hub.schemas import EventIn, SessionIn, TicketIssueIn, TicketTypeIn
from hub.services import events, ticket_types, tickets
from hub.tenancy import Principal
from sync.replica import Replica
from sync.schema import quote_ident
from sync.values import SqlValue

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


def gate_replica(path: Path, *, check_same_thread: bool = True) -> Replica:
    """A gate-like replica: the contract's tables, every one replicated."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    conn.executescript(DDL)
    replica = Replica(conn)
    for table in TABLES:
        replica.make_replicated(table)
    return replica


def replica_tables(replica: Replica) -> dict[str, set[tuple[SqlValue, ...]]]:
    """Every row of every contract table, by table (bookkeeping tables left out)."""
    conn = replica.connection
    return {
        table: {tuple(r) for r in conn.execute(f"SELECT * FROM {quote_ident(table)}")}
        for table in TABLES
    }


@dataclass
class HubEvent:
    principal: Principal
    event_id: uuid.UUID
    ticket_type_id: uuid.UUID


async def make_event(name: str = "Replication night") -> HubEvent:
    """An org, a venue and a published event with one general ticket type, through the
    services (so publication runs as it does for an organiser)."""
    slug = "r" + secrets.token_hex(6)
    org = await Org.create(name=f"Org {slug}", slug=slug)
    principal = Principal(org.id, slug, Role.ADMIN, display="tests")
    venue = await Venue.create(org_id=org.id, name="Hall", timezone="UTC")
    made = await events.create_event(principal, EventIn(name=name, venue_id=venue.id), NOW)
    await events.add_session(
        principal,
        made.id,
        SessionIn(
            starts_at=NOW + dt.timedelta(days=1), ends_at=NOW + dt.timedelta(days=1, hours=5)
        ),
        NOW,
    )
    kind = await ticket_types.add_ticket_type(
        principal,
        made.id,
        TicketTypeIn(name="General", kind="general", price_cents=0, quota=1_000_000),
        NOW,
    )
    await events.change_status(principal, made.id, "published", NOW)
    return HubEvent(principal, made.id, kind.id)


async def issue(world: HubEvent, count: int, holder: str = "Ada") -> list[uuid.UUID]:
    """Issue ``count`` tickets (in requests of at most 1000, as the API takes them)."""
    ids: list[uuid.UUID] = []
    while len(ids) < count:
        n = min(1000, count - len(ids))
        out = await tickets.issue(
            world.principal,
            world.event_id,
            TicketIssueIn(ticket_type_id=world.ticket_type_id, holder=holder, quantity=n),
            NOW,
        )
        ids.extend(t.id for t in out)
    return ids


def scan_rows(replica: Replica, count: int, gate: str, ticket_ids: list[uuid.UUID]) -> list[str]:
    """Record ``count`` admitted scans at a gate replica (one transaction); their ids."""
    conn = replica.connection
    ids = [str(uuid.uuid4()) for _ in range(count)]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO scans (id, nonce, ticket_id, code, gate, direction, status, reason, at,"
        " message, device, staff_id, override_of, note, hlc, site)"
        " VALUES (?, ?, ?, 'code', ?, 'in', 'admitted', NULL, ?, 'Welcome', ?, NULL, NULL,"
        " NULL, ?, ?)",
        [
            (
                sid,
                secrets.token_hex(8),
                str(ticket_ids[i % len(ticket_ids)]) if ticket_ids else None,
                gate,
                "2026-12-03T19:00:00.000Z",
                f"pi-{gate}",
                i,
                replica.site_id.hex(),
            )
            for i, sid in enumerate(ids)
        ],
    )
    conn.execute("COMMIT")
    return ids
