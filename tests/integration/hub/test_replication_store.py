"""The PostgreSQL store merges change rows exactly as a SQLite replica does: the same rows,
recorded at real gate replicas, in several orders and with duplicates, give the same
tables; what it sends back reproduces them; publishing is a diff and commits or rolls back
with its transaction."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from contract.package_rows import Row
from hub import database
from hub.models import GateScan
from hub.replication import ingest, store
from hub.replication.accept import hub_accept
from hub.replication.errors import NotInTransactionError
from hub.replication.merge import merge_batch
from hub.replication.publish import publish, publish_rows, raw_connection
from hub.replication.tables import TABLE_INFO
from sync.changes import Change
from sync.errors import RefusedChangeError
from sync.pk_codec import unpack_pk
from sync.values import SqlValue
from tests.integration.hub.replication_world import (
    NOW,
    gate_replica,
    make_event,
    replica_tables,
    scan_rows,
)

T = TypeVar("T")


def run(url: str, body: Callable[[], Awaitable[T]]) -> T:
    async def connected() -> T:
        async with database.connected(url):
            return await body()

    return asyncio.run(connected())


async def store_tables(event_id: uuid.UUID) -> dict[str, set[tuple[SqlValue, ...]]]:
    """The store's live rows in the shape of ``replica_tables``."""
    client = Tortoise.get_connection("default")
    async with client.acquire_connection() as pg:
        found = await pg.fetch("SELECT tbl, pk FROM sync_row WHERE event_id = $1", event_id)
        keys = [(r["tbl"], bytes(r["pk"])) for r in found]
        states = await store.load_states(pg, event_id, keys)
    out: dict[str, set[tuple[SqlValue, ...]]] = {t: set() for t in TABLE_INFO}
    for (table, pk), st in states.items():
        if not st.exists:
            continue
        info = TABLE_INFO[table]
        key = dict(zip(info.pks, unpack_pk(pk), strict=True))
        # Every row here was written whole: every column has a clock and a value.
        assert set(st.values) == set(info.non_pks), (table, st.values)
        row = {**key, **st.values}
        columns = [*info.pks, *info.non_pks]
        out[table].add(tuple(row[c] for c in sorted(columns, key=_position(table))))
    return out


def _position(table: str) -> Callable[[str], int]:
    order = {c: i for i, c in enumerate(TABLE_COLUMNS[table])}
    return lambda c: order[c]


def _columns() -> dict[str, list[str]]:
    import sqlite3  # noqa: PLC0415 - only to read the DDL's column order

    from contract.replica_schema import DDL  # noqa: PLC0415

    conn = sqlite3.connect(":memory:")
    conn.executescript(DDL)
    return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in TABLE_INFO}


TABLE_COLUMNS = _columns()


async def merge(event_id: uuid.UUID, batch: Sequence[Change]) -> None:
    async with in_transaction() as conn:
        pg = raw_connection(conn)
        await merge_batch(pg, event_id, batch)


def recorded_batches(tmp_path: Path) -> list[list[Change]]:
    """Changes recorded at three gate replicas: new rows, updates, conflicting writes of
    the same cells, deletes and revivals, and rows relayed from one gate to another."""
    a = gate_replica(tmp_path / "a.db")
    b = gate_replica(tmp_path / "b.db")
    c = gate_replica(tmp_path / "c.db")
    tickets = [uuid.uuid4() for _ in range(4)]
    a_scans = scan_rows(a, 30, "North", tickets)
    ca = a.connection
    ca.execute("UPDATE scans SET status = 'rejected', reason = 'already_inside' WHERE hlc < 5")
    ca.execute("DELETE FROM scans WHERE hlc IN (7, 8)")
    ca.execute(
        "INSERT INTO scans (id, gate, status, at, hlc) VALUES (?, 'North', 'admitted', NULL, 99)",
        (a_scans[7],),
    )  # a revival: the row's third life
    ca.execute(
        "INSERT INTO annulments (scan_id, staff_id, reason, at) VALUES (?, 's1', 'mistake',"
        " '2026-12-03T19:05:00.000Z')",
        (a_scans[0],),
    )
    ca.execute(
        "INSERT INTO event_keys (key_id, public_key, retired_at) VALUES (101, ?, NULL)",
        (b"k" * 32,),
    )
    # b hears of a, then writes over a's cells (higher versions) and adds its own.
    b.apply_changes(a.changes_since(0))
    cb = b.connection
    cb.execute("UPDATE scans SET message = 'Seen at B', hlc = hlc + 1000 WHERE hlc < 3")
    cb.execute("UPDATE annulments SET reason = 'double' WHERE scan_id = ?", (a_scans[0],))
    scan_rows(b, 10, "South", tickets)
    cb.execute(
        "INSERT INTO event_keys (key_id, public_key, retired_at) VALUES (102, ?, 'x')", (3.5,)
    )
    # c, unaware of both, writes the same cells of the same rows (ties broken by value).
    cc = c.connection
    cc.execute(
        "INSERT INTO event_keys (key_id, public_key, retired_at) VALUES (101, ?, 'retired')",
        (b"z" * 32,),
    )
    cc.execute(
        "INSERT INTO annulments (scan_id, staff_id, reason, at) VALUES (?, 's2', 'other', NULL)",
        (a_scans[0],),
    )
    scan_rows(c, 5, "East", [])
    return [a.changes_since(0), b.changes_since(0), c.changes_since(0)]


def orders(batches: list[list[Change]]) -> list[list[list[Change]]]:
    """The same rows in several deliveries: in order, reversed, with duplicates, and one
    shuffled row by row into small batches."""
    a, b, c = batches
    rng = random.Random(11)
    every = [ch for batch in batches for ch in batch]
    shuffled = every[:]
    rng.shuffle(shuffled)
    chunks = [shuffled[i : i + 7] for i in range(0, len(shuffled), 7)]
    return [[a, b, c], [c, b, a], [b, a, c, a, b, c], chunks]


def test_store_merges_like_a_replica(hub_database_url: str, tmp_path: Path) -> None:
    batches = recorded_batches(tmp_path)
    seen: list[dict[str, set[tuple[SqlValue, ...]]]] = []
    for n, delivery in enumerate(orders(batches)):
        reference = gate_replica(tmp_path / f"ref{n}.db")
        for batch in delivery:
            reference.apply_changes(batch)
        expected = replica_tables(reference)

        async def scenario(
            delivery: list[list[Change]] = delivery,
        ) -> tuple[dict[str, set[tuple[SqlValue, ...]]], list[Change]]:
            world = await make_event()
            for batch in delivery:
                await merge(world.event_id, batch)
            client = Tortoise.get_connection("default")
            async with client.acquire_connection() as pg:
                missing = await store.changes_missing(pg, world.event_id, {})
            got = await store_tables(world.event_id)
            return got, missing

        got, missing = run(hub_database_url, scenario)
        # The event's own published keys (key id 1) are the hub's, not the gates'.
        gate_owned = {
            t: {r for r in rows if t != "event_keys" or r[0] != 1}
            for t, rows in got.items()
            if t in ("scans", "annulments", "event_keys")
        }
        assert gate_owned == {t: expected[t] for t in gate_owned}, f"delivery {n}"
        # What the store sends reproduces the tables at a fresh replica (the hub's own
        # published rows come along: the event made through the services).
        fresh = gate_replica(tmp_path / f"fresh{n}.db")
        fresh.apply_changes(missing)
        assert replica_tables(fresh) == got
        seen.append(gate_owned)
    assert all(s == seen[0] for s in seen)


def test_changes_missing_sends_only_what_is_missing(hub_database_url: str, tmp_path: Path) -> None:
    gate = gate_replica(tmp_path / "g.db")
    scan_rows(gate, 50, "North", [])

    async def scenario() -> tuple[int, int, int]:
        world = await make_event()
        await merge(world.event_id, gate.changes_since(0))
        client = Tortoise.get_connection("default")
        async with client.acquire_connection() as pg:
            versions = await store.origin_versions(pg, world.event_id)
            everything = await store.changes_missing(pg, world.event_id, {})
            nothing = await store.changes_missing(pg, world.event_id, versions)
        return len(everything), len(nothing), versions[gate.site_id]

    everything, nothing, gate_version = run(hub_database_url, scenario)
    assert nothing == 0
    assert gate_version == gate.db_version()
    assert everything > 50 * 15  # the scans' cells and the event's published rows


def test_publish_is_a_diff_and_follows_its_transaction(hub_database_url: str) -> None:
    async def scenario() -> None:
        world = await make_event()
        eid = world.event_id
        row: Row = {"id": "t-1", "ticket_type_id": "tt", "holder": "Ada", "seat": None}
        async with in_transaction() as conn:
            assert await publish(conn, eid, {"tickets": [row]}) == 1
        async with in_transaction() as conn:
            assert await publish(conn, eid, {"tickets": [row]}) == 0  # nothing changed

        async def failing_change() -> None:
            async with in_transaction() as conn:
                await publish(conn, eid, {"tickets": [{**row, "holder": "Grace"}]})
                raise RuntimeError("the hub change failed")

        with pytest.raises(RuntimeError):
            await failing_change()
        client = Tortoise.get_connection("default")
        async with client.acquire_connection() as pg:
            before = await store.origin_versions(pg, eid)
            states = await store.load_states(pg, eid, [("tickets", _pk("t-1"))])
        assert states[("tickets", _pk("t-1"))].values["holder"] == "Ada"
        async with in_transaction() as conn:
            await publish(conn, eid, {"tickets": [{**row, "holder": "Grace"}]})
        async with in_transaction() as conn:
            await publish(conn, eid, {}, deleted={"tickets": [("t-1",)]})
        async with client.acquire_connection() as pg:
            after = await store.changes_missing(pg, eid, before)
            with pytest.raises(NotInTransactionError):
                await publish_rows(pg, eid, {"tickets": [row]})
        # Only the edit (col_version 2) and the delete's marker were published since.
        assert [(c.cid, c.val, c.col_version, c.cl) for c in after] == [("-1", None, 2, 2)]

    run(hub_database_url, scenario)


def _pk(*values: SqlValue) -> bytes:
    from sync.pk_codec import pack_pk  # noqa: PLC0415

    return pack_pk(values)


def test_gate_writes_to_hub_tables_are_refused(hub_database_url: str, tmp_path: Path) -> None:
    gate = gate_replica(tmp_path / "g.db")
    gate.connection.execute("INSERT INTO tickets (id, holder) VALUES ('forged', 'Mallory')")
    scan_rows(gate, 3, "North", [])
    changes = gate.changes_since(0)

    async def scenario() -> None:
        world = await make_event()
        async with in_transaction() as conn:
            pg = raw_connection(conn)
            with pytest.raises(RefusedChangeError, match="written by the hub only"):
                await merge_batch(pg, world.event_id, changes, accept=hub_accept)
        assert not await GateScan.filter(event_id=world.event_id).exists()

    run(hub_database_url, scenario)


def test_ingest_takes_a_scan_the_projection_already_holds(
    hub_database_url: str, tmp_path: Path
) -> None:
    gate = gate_replica(tmp_path / "g.db")
    ids = scan_rows(gate, 4, "North", [])
    changes = gate.changes_since(0)

    async def scenario() -> list[tuple[str, str]]:
        world = await make_event()
        # A row ingested before the store knew it (a store restored from an older backup).
        await GateScan.create(
            id=ids[0], org_id=world.principal.org_id, event_id=world.event_id, gate="Old"
        )
        async with in_transaction() as conn:
            pg = raw_connection(conn)
            outcome = await merge_batch(pg, world.event_id, changes, accept=hub_accept)
            await ingest.project(pg, world.event_id, world.principal.org_id, outcome.changed, NOW)
        rows = await GateScan.filter(event_id=world.event_id).values_list("id", "gate")
        return sorted((str(i), str(g)) for i, g in rows)

    assert run(hub_database_url, scenario) == sorted((i, "North") for i in ids)
