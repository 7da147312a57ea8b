"""The gate's event replica: one SQLite file in WAL mode, durable on every commit.

`synchronous=FULL` makes SQLite fsync the WAL at each commit, so a scan that was answered
survives a power cut, not only a process crash. All reads a scan needs are point lookups by
primary key or index; the event-wide state (keys, ticket types, rules) is read once into an
`EventContext` and kept in memory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import uuid
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import msgspec

from contract.event_package import DEFAULT_DOOR_POLICY, DoorPolicy, EventPackage
from contract.replica_schema import ADDED_COLUMNS, DDL
from contract.ticket_token import verify_keys
from gate_node.decision import (
    DOOR_POLICIES,
    Direction,
    EventContext,
    GateRule,
    TicketTypeRules,
    door_window,
)
from gate_node.errors import ReplicaMismatch
from gate_node.supervision import RecordedScan
from gate_node.timestamps import parse_time, time_ordered_id

REPLICA_FILE: Final = "replica.sqlite3"

_INSERT_SCAN_SQL = (
    "INSERT INTO scans (id, nonce, ticket_id, code, gate, direction, status, reason, at, message,"
    " device, staff_id, override_of, note, hlc, site)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def open_replica(data_dir: Path) -> sqlite3.Connection:
    """Open (creating if needed) the replica in `data_dir`, with the gate's durability settings."""
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / REPLICA_FILE, isolation_level=None, cached_statements=256)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA busy_timeout=5000")
    conn.executescript(DDL)
    _add_missing_columns(conn)
    return conn


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, column, declaration in ADDED_COLUMNS:
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        if column not in present:
            # Names come from the schema module, never from input.
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def site_id(conn: sqlite3.Connection) -> str:
    """This replica's site id (16 random bytes, hex), created on first use."""
    row = conn.execute("SELECT value FROM replica_settings WHERE key = 'site_id'").fetchone()
    if row is not None and row[0]:
        return str(row[0])
    site = os.urandom(16).hex()
    conn.execute(
        "INSERT OR REPLACE INTO replica_settings (key, value) VALUES ('site_id', ?)", (site,)
    )
    return site


def max_hlc(conn: sqlite3.Connection) -> int:
    """The largest clock stamp of any scan in the replica (0 when none)."""
    return int(conn.execute("SELECT coalesce(max(hlc), 0) FROM scans").fetchone()[0])


def held_event_id(conn: sqlite3.Connection) -> uuid.UUID | None:
    """The id of the event this replica holds, if any."""
    row = conn.execute("SELECT id FROM event LIMIT 1").fetchone()
    return uuid.UUID(row[0]) if row else None


def load_package(conn: sqlite3.Connection, package: EventPackage) -> None:
    """Load an event package into the replica in one transaction, keeping every scan.

    Loading a newer package of the same event updates it (new tickets, revocations, keys);
    rows the package lacks are kept, since a snapshot cannot un-sell a ticket. A package of
    another event is refused: one replica holds one event.
    """
    held = held_event_id(conn)
    if held is not None and held != package.event.id:
        raise ReplicaMismatch(
            f"this gate's replica holds event {held}; the package is for event "
            f"{package.event.id}. Use a new data folder for another event."
        )
    e = package.event
    with transaction(conn):
        _upsert(
            conn,
            "event",
            (
                "id",
                "name",
                "venue",
                "starts_at",
                "ends_at",
                "timezone",
                "door_opens_minutes",
                "door_policy",
            ),
            [
                (
                    str(e.id),
                    e.name,
                    e.venue,
                    e.starts_at,
                    e.ends_at,
                    e.timezone,
                    e.door_opens_minutes,
                    e.door_policy,
                )
            ],
        )
        _upsert(
            conn,
            "event_keys",
            ("key_id", "public_key", "retired_at"),
            [(k.key_id, k.public_key, k.retired_at) for k in package.keys],
        )
        _upsert(
            conn,
            "ticket_types",
            (
                "id",
                "name",
                "entry_mode",
                "max_entries",
                "reentry",
                "gates",
                "valid_from",
                "valid_until",
                "shows_holder",
            ),
            [
                (
                    str(t.id),
                    t.name,
                    t.entry_mode,
                    t.max_entries,
                    int(t.reentry),
                    None if t.gates is None else json.dumps(t.gates),
                    t.valid_from,
                    t.valid_until,
                    int(t.shows_holder),
                )
                for t in package.ticket_types
            ],
        )
        _upsert(
            conn,
            "gate_rules",
            ("id", "ticket_type_id", "gate", "rule", "description"),
            [
                (
                    str(r.id),
                    None if r.ticket_type_id is None else str(r.ticket_type_id),
                    r.gate,
                    json.dumps(r.rule),
                    r.description,
                )
                for r in package.gate_rules
            ],
        )
        _upsert(
            conn,
            "tickets",
            ("id", "ticket_type_id", "holder", "seat"),
            [(str(t.id), str(t.ticket_type_id), t.holder, t.seat) for t in package.tickets],
        )
        _upsert(
            conn,
            "revocations",
            ("ticket_id", "reason", "revoked_at"),
            [(str(r.ticket_id), r.reason, r.revoked_at) for r in package.revocations],
        )
        _upsert(
            conn,
            "blocks",
            ("ticket_id", "reason", "blocked_at"),
            [(str(b.ticket_id), b.reason, b.blocked_at) for b in package.blocks],
        )


def _upsert(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Insert new rows and change only the values that differ: in a replicated replica
    every value written is a change sent to every peer, so loading the same package again
    (or a newer one) sends only what is new, and never undoes a newer value for nothing."""
    key, rest = columns[0], columns[1:]
    changes = ", ".join(f"{c} = excluded.{c}" for c in rest)
    differs = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in rest)
    # Names come from the literals above, never from input.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
        f" ON CONFLICT ({key}) DO UPDATE SET {changes} WHERE {differs}"
    )
    conn.executemany(sql, rows)


def _maybe_time(text: str | None) -> dt.datetime | None:
    return None if text is None else parse_time(text)


class EventSummary(msgspec.Struct):
    id: str
    name: str
    venue: str
    starts_at: str | None
    ends_at: str | None
    timezone: str
    door_opens_minutes: int
    door_policy: DoorPolicy


def event_summary(conn: sqlite3.Connection) -> EventSummary | None:
    """The event's descriptive fields, for status pages."""
    row = conn.execute(
        "SELECT id, name, venue, starts_at, ends_at, timezone, door_opens_minutes, door_policy"
        " FROM event LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    # The replica holds what a package said; a value no gate knows is the default policy.
    policy = next((p for p in DOOR_POLICIES if p == row[7]), DEFAULT_DOOR_POLICY)
    id_, name, venue, starts_at, ends_at, timezone, opens_minutes = row[:7]
    return EventSummary(id_, name, venue, starts_at, ends_at, timezone, opens_minutes, policy)


def read_event_context(conn: sqlite3.Connection) -> EventContext | None:
    """Everything but per-ticket state, for the scan path to hold in memory."""
    summary = event_summary(conn)
    if summary is None:
        return None
    keys = verify_keys(
        {
            key_id: bytes(pk)
            for key_id, pk in conn.execute(
                "SELECT key_id, public_key FROM event_keys WHERE public_key IS NOT NULL"
                " AND retired_at IS NULL"
            )
        }
    )
    ticket_types = {}
    for row in conn.execute(
        "SELECT id, name, entry_mode, max_entries, reentry, gates, valid_from, valid_until,"
        " shows_holder FROM ticket_types"
    ):
        type_id = uuid.UUID(row[0])
        ticket_types[type_id] = TicketTypeRules(
            id=type_id,
            name=row[1],
            entry_mode="multi" if row[2] == "multi" else "single",
            max_entries=row[3],
            reentry=bool(row[4]),
            gates=None if row[5] is None else frozenset(json.loads(row[5])),
            valid_from=_maybe_time(row[6]),
            valid_until=_maybe_time(row[7]),
            shows_holder=bool(row[8]),
        )
    rules = tuple(
        GateRule(
            rule=json.loads(rule),
            description=description,
            ticket_type_id=None if type_id is None else uuid.UUID(type_id),
            gate=gate,
        )
        for type_id, gate, rule, description in conn.execute(
            "SELECT ticket_type_id, gate, rule, description FROM gate_rules ORDER BY id"
        )
    )
    return EventContext(
        event_id=uuid.UUID(summary.id),
        timezone=zoneinfo.ZoneInfo(summary.timezone),
        keys=keys,
        ticket_types=ticket_types,
        rules=rules,
        door=door_window(
            _maybe_time(summary.starts_at),
            _maybe_time(summary.ends_at),
            summary.door_opens_minutes,
            summary.door_policy,
        ),
    )


class ReplayedScan(msgspec.Struct):
    """What a repeated nonce needs to give the first answer again."""

    id: str
    code: str | None
    status: str
    reason: str | None
    message: str | None
    ticket_id: str | None
    hlc: int | None
    site: str | None
    direction: str
    at: str | None


def scan_for_replay(conn: sqlite3.Connection, scan_id: str) -> ReplayedScan | None:
    """One scan, by id, as `ReplayedScan`."""
    row = conn.execute(
        "SELECT id, code, status, reason, message, ticket_id, hlc, site, direction, at"
        " FROM scans WHERE id = ?",
        (scan_id,),
    ).fetchone()
    return None if row is None else ReplayedScan(*row)


def ticket_type_ids(conn: sqlite3.Connection, ticket_ids: list[str]) -> dict[str, str]:
    """The ticket type of each of these tickets that the replica holds."""
    found: dict[str, str] = {}
    for start in range(0, len(ticket_ids), 500):  # stay under SQLite's variable limit
        chunk = ticket_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(
            conn.execute(
                f"SELECT id, ticket_type_id FROM tickets WHERE id IN ({marks})",  # noqa: S608
                chunk,
            ).fetchall()
        )
    return found


_INDEX_COLUMNS = "id, nonce, ticket_id, direction, gate, status, at, hlc, site"


def scans_for_index(
    conn: sqlite3.Connection, scan_ids: list[str] | None = None
) -> list[tuple[Any, ...]]:
    """The `ScanIndex.add` arguments of these scans (None: every scan), in clock order."""
    if scan_ids is None:
        return conn.execute(
            f"SELECT {_INDEX_COLUMNS} FROM scans ORDER BY hlc, site"  # noqa: S608
        ).fetchall()
    rows: list[tuple[Any, ...]] = []
    for start in range(0, len(scan_ids), 500):  # stay under SQLite's variable limit
        chunk = scan_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        # Only placeholders are formatted in; the ids are bound.
        sql = f"SELECT {_INDEX_COLUMNS} FROM scans WHERE id IN ({marks})"  # noqa: S608
        rows += conn.execute(sql, chunk).fetchall()
    rows.sort(key=lambda r: (r[7] or 0, r[8] or ""))
    return rows


def record_scan(
    conn: sqlite3.Connection,
    *,
    scan_id: str,
    nonce: str | None,
    ticket_id: str | None,
    code: str,
    gate: str,
    direction: Direction,
    status: str,
    reason: str | None,
    at: str,
    message: str,
    hlc: int,
    site: str,
    device: str | None = None,
    staff_id: str | None = None,
    override_of: str | None = None,
    note: str | None = None,
) -> None:
    """Append one scan; in autocommit mode this single statement is its own durable commit."""
    conn.execute(
        _INSERT_SCAN_SQL,
        (
            scan_id,
            nonce,
            ticket_id,
            code,
            gate,
            direction,
            status,
            reason,
            at,
            message,
            device,
            staff_id,
            override_of,
            note,
            hlc,
            site,
        ),
    )


def recorded_scan(conn: sqlite3.Connection, scan_id: str) -> RecordedScan | None:
    """One scan with whether it was annulled or overridden, for supervisors' actions."""
    row = conn.execute(
        "SELECT id, ticket_id, code, gate, direction, status, reason, at,"
        " EXISTS (SELECT 1 FROM annulments WHERE scan_id = ?1),"
        " EXISTS (SELECT 1 FROM scans WHERE override_of = ?1)"
        " FROM scans WHERE id = ?1",
        (scan_id,),
    ).fetchone()
    if row is None:
        return None
    return RecordedScan(
        id=row[0],
        ticket_id=row[1],
        code=row[2],
        gate=row[3],
        direction=row[4],
        status=row[5],
        reason=row[6],
        at=parse_time(row[7]),
        annulled=bool(row[8]),
        overridden=bool(row[9]),
    )


def record_annulment(
    conn: sqlite3.Connection, scan_id: str, staff_id: str, reason: str, at: str
) -> None:
    """Mark an admitted scan as not counting, with the audit entry, in one transaction."""
    with transaction(conn):
        conn.execute(
            "INSERT INTO annulments (scan_id, staff_id, reason, at) VALUES (?, ?, ?, ?)",
            (scan_id, staff_id, reason, at),
        )
        audit(conn, at=at, staff_id=staff_id, action="annul", subject=scan_id, detail=reason)


def audit(
    conn: sqlite3.Connection,
    *,
    at: str,
    staff_id: str | None,
    action: str,
    subject: str,
    detail: str = "",
) -> None:
    """Append to the audit log (inside the caller's transaction, if any)."""
    conn.execute(
        "INSERT INTO audit_log (id, at, staff_id, action, subject, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (time_ordered_id(parse_time(at)), at, staff_id, action, subject, detail),
    )


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One durable transaction on an autocommit connection."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class ScanTotals(msgspec.Struct):
    total: int
    admitted: int
    exits: int
    rejected: int
    by_reason: dict[str, int]


def scan_totals(conn: sqlite3.Connection) -> ScanTotals:
    """Counts over every scan in the replica (this gate's and, once replicated, others')."""
    by_reason: dict[str, int] = {}
    admitted = exits = total = 0
    for direction, status, reason, n in conn.execute(
        "SELECT direction, status, reason, count(*) FROM scans"
        " WHERE id NOT IN (SELECT scan_id FROM annulments) GROUP BY 1, 2, 3"
    ):
        total += n
        if status == "ok":
            if direction == "in":
                admitted += n
            else:
                exits += n
        else:
            # A merged row may arrive one column at a time: a rejection without its reason
            # yet counts as "unknown", as on the dashboard.
            named = reason or "unknown"
            by_reason[named] = by_reason.get(named, 0) + n
    return ScanTotals(total, admitted, exits, sum(by_reason.values()), by_reason)


# Each ticket's latest accepted scan, in the one order every node agrees on (hybrid clock
# stamp, then site id, as one text that sorts that way: times can tie within a millisecond,
# stamps cannot). SQLite's bare-column rule: with max(), `direction` comes from the row
# holding the max.
LATEST_SCANS: Final = (
    "SELECT ticket_id, direction,"
    " max(printf('%020d', coalesce(hlc, 0)) || coalesce(site, '')) FROM scans"
    " WHERE status = 'ok' AND ticket_id IS NOT NULL"
    " AND id NOT IN (SELECT scan_id FROM annulments) GROUP BY ticket_id"
)


def inside_count(conn: sqlite3.Connection) -> int:
    """Tickets whose latest accepted scan was an entry."""
    sql = f"SELECT count(*) FROM ({LATEST_SCANS}) WHERE direction = 'in'"  # noqa: S608
    return int(conn.execute(sql).fetchone()[0])
