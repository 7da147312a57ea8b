"""The replication store in PostgreSQL (migration 0009): the I/O around ``sync.merge``.

- ``sync_clock``: per event, the hub's site id (16 random bytes, made on first use) and its
  Lamport clock (db_version). A merge or publication locks this row, so the writes of one
  event serialise across every hub worker, and each commits with the clock it used.
- ``sync_row``: every row's ``RowState`` (clocks and values), msgpack.
- ``sync_row_origin``: per row and per site that wrote a cell of it, that site's highest
  origin version in the row; indexed by (event, site, version) so that what a peer lacks
  is a range scan per origin.
- ``sync_origin``: per event and origin site, the highest version received (won or not).

Functions take an asyncpg connection that is inside a transaction (``lock_clock`` and the
writes) or that reads one snapshot (``changes_missing``). Nothing here decides a merge.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import asyncpg

from hub.replication.errors import NotInTransactionError, UnknownEventError
from hub.replication.state import cells, decode_state, encode_state, origins
from hub.replication.tables import TABLE_ORDER
from sync.changes import SITE_ID_LEN, Change
from sync.merge import RowState

RowKey = tuple[str, bytes]
"""A row of an event's replica: its table and cr-sqlite packed key."""


@dataclass(slots=True)
class EventClock:
    """The hub's clock for one event, as locked by ``lock_clock``."""

    event_id: uuid.UUID
    site_id: bytes
    db_version: int


async def _ensure_clock(conn: asyncpg.Connection, event_id: uuid.UUID) -> None:
    try:
        await conn.execute(
            "INSERT INTO sync_clock (event_id, site_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            event_id,
            os.urandom(SITE_ID_LEN),
        )
    except asyncpg.ForeignKeyViolationError:
        raise UnknownEventError(f"no event {event_id} at this hub") from None


async def lock_clock(conn: asyncpg.Connection, event_id: uuid.UUID) -> EventClock:
    """The event's clock, locked until the transaction ends (made on first use)."""
    if not conn.is_in_transaction():
        raise NotInTransactionError("merges and publications run inside a transaction")
    query = "SELECT site_id, db_version FROM sync_clock WHERE event_id = $1 FOR UPDATE"
    row = await conn.fetchrow(query, event_id)
    if row is None:
        await _ensure_clock(conn, event_id)
        row = await conn.fetchrow(query, event_id)
    assert row is not None
    return EventClock(event_id, bytes(row["site_id"]), int(row["db_version"]))


async def read_clock(conn: asyncpg.Connection, event_id: uuid.UUID) -> EventClock:
    """The event's clock without locking it (made on first use)."""
    query = "SELECT site_id, db_version FROM sync_clock WHERE event_id = $1"
    row = await conn.fetchrow(query, event_id)
    if row is None:
        await _ensure_clock(conn, event_id)
        row = await conn.fetchrow(query, event_id)
    assert row is not None
    return EventClock(event_id, bytes(row["site_id"]), int(row["db_version"]))


async def save_clock(conn: asyncpg.Connection, clock: EventClock) -> None:
    """Store the clock's db_version (never moving it back)."""
    await conn.execute(
        "UPDATE sync_clock SET db_version = GREATEST(db_version, $2) WHERE event_id = $1",
        clock.event_id,
        clock.db_version,
    )


async def load_states(
    conn: asyncpg.Connection, event_id: uuid.UUID, keys: Iterable[RowKey]
) -> dict[RowKey, RowState]:
    """The stored state of each of ``keys`` that the store holds."""
    tables: list[str] = []
    pks: list[bytes] = []
    for table, pk in keys:
        tables.append(table)
        pks.append(pk)
    if not pks:
        return {}
    found = await conn.fetch(
        "SELECT r.tbl, r.pk, r.state FROM sync_row r"
        " JOIN unnest($2::text[], $3::bytea[]) AS k(tbl, pk) ON r.tbl = k.tbl AND r.pk = k.pk"
        " WHERE r.event_id = $1",
        event_id,
        tables,
        pks,
    )
    return {(r["tbl"], bytes(r["pk"])): decode_state(bytes(r["state"])) for r in found}


async def load_table(
    conn: asyncpg.Connection, event_id: uuid.UUID, table: str
) -> dict[bytes, RowState]:
    """Every stored row of one table of the event."""
    found = await conn.fetch(
        "SELECT pk, state FROM sync_row WHERE event_id = $1 AND tbl = $2", event_id, table
    )
    return {bytes(r["pk"]): decode_state(bytes(r["state"])) for r in found}


async def persist(
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    rows: Mapping[RowKey, RowState],
    *,
    new: bool = False,
) -> int:
    """Write the dirty rows' states and origins; returns how many rows were written.

    ``new``: none of the rows is stored yet (the caller checked under the clock's lock), so
    they are copied in without conflict handling, the fast path of an ingest.
    """
    dirty = [(key, st) for key, st in rows.items() if st.dirty]
    if not dirty:
        return 0
    states = [(event_id, t, pk, encode_state(st)) for (t, pk), st in dirty]
    origin_rows = [
        (event_id, t, pk, site, version)
        for (t, pk), st in dirty
        for site, version in origins(st).items()
    ]
    if new:
        await conn.copy_records_to_table(
            "sync_row", records=states, columns=("event_id", "tbl", "pk", "state")
        )
    else:
        await conn.execute(
            "INSERT INTO sync_row (event_id, tbl, pk, state)"
            " SELECT $1, * FROM unnest($2::text[], $3::bytea[], $4::bytea[])"
            " ON CONFLICT (event_id, tbl, pk) DO UPDATE SET state = excluded.state",
            event_id,
            [s[1] for s in states],
            [s[2] for s in states],
            [s[3] for s in states],
        )
        # A row's origins are replaced whole: a site whose cells were all overwritten no
        # longer has anything of that row to send.
        await conn.execute(
            "DELETE FROM sync_row_origin o USING unnest($2::text[], $3::bytea[]) AS k(tbl, pk)"
            " WHERE o.event_id = $1 AND o.tbl = k.tbl AND o.pk = k.pk",
            event_id,
            [s[1] for s in states],
            [s[2] for s in states],
        )
    await conn.copy_records_to_table(
        "sync_row_origin",
        records=origin_rows,
        columns=("event_id", "tbl", "pk", "site_id", "origin_version"),
    )
    return len(dirty)


async def record_origins(
    conn: asyncpg.Connection, event_id: uuid.UUID, batch: Iterable[Change]
) -> None:
    """Remember, per origin site, the highest origin version received (won or not)."""
    highest: dict[bytes, int] = {}
    for change in batch:
        version = change.origin_version or change.db_version
        if version > highest.get(change.site_id, -1):
            highest[change.site_id] = version
    if not highest:
        return
    await conn.execute(
        "INSERT INTO sync_origin (event_id, site_id, version)"
        " SELECT $1, * FROM unnest($2::bytea[], $3::bigint[])"
        " ON CONFLICT (event_id, site_id)"
        " DO UPDATE SET version = GREATEST(sync_origin.version, excluded.version)",
        event_id,
        list(highest),
        list(highest.values()),
    )


async def origin_versions(conn: asyncpg.Connection, event_id: uuid.UUID) -> dict[bytes, int]:
    """``Replica.origin_versions`` of the event: per origin, the highest version held (the
    hub's own site: its db_version)."""
    clock = await read_clock(conn, event_id)
    found = await conn.fetch(
        "SELECT site_id, version FROM sync_origin WHERE event_id = $1", event_id
    )
    versions = {bytes(r["site_id"]): int(r["version"]) for r in found}
    versions[clock.site_id] = max(versions.get(clock.site_id, 0), clock.db_version)
    return versions


async def changes_missing(
    conn: asyncpg.Connection, event_id: uuid.UUID, versions: Mapping[bytes, int]
) -> list[Change]:
    """``Replica.changes_missing``: every change row whose version at its origin is above
    what the asker holds from that origin, in (db_version, seq) order.

    Call it on a connection reading one snapshot (REPEATABLE READ): the index scan and the
    states must agree, or a version the asker records could skip a row.
    """
    clock = await read_clock(conn, event_id)
    known = await conn.fetch("SELECT site_id FROM sync_origin WHERE event_id = $1", event_id)
    sites = {bytes(r["site_id"]) for r in known} | {clock.site_id}
    wants = {site: int(versions.get(site, 0)) for site in sites}
    found = await conn.fetch(
        "SELECT r.tbl, r.pk, r.state FROM sync_row r WHERE r.event_id = $1 AND (r.tbl, r.pk) IN"
        " (SELECT o.tbl, o.pk FROM sync_row_origin o"
        "  JOIN unnest($2::bytea[], $3::bigint[]) AS w(site, want) ON o.site_id = w.site"
        "  WHERE o.event_id = $1 AND o.origin_version > w.want)",
        event_id,
        list(wants),
        list(wants.values()),
    )
    ordered: list[tuple[int, int, int, bytes, int, Change]] = []
    for r in found:
        table: str = r["tbl"]
        pk = bytes(r["pk"])
        rank = TABLE_ORDER.get(table, len(TABLE_ORDER))
        for dbv, seq, position, change in cells(table, pk, decode_state(bytes(r["state"])), wants):
            ordered.append((dbv, seq, rank, pk, position, change))
    ordered.sort(key=lambda item: item[:5])
    return [item[5] for item in ordered]
