"""The scenarios recorded from the real cr-sqlite 0.16.3 (tests/integration/sync/vectors),
replayed with the hub's PostgreSQL store as one more site that receives every changeset
that crosses between the recorded sites: it ends with the tables the converged sites hold."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from tortoise import Tortoise
from tortoise.transactions import in_transaction

from hub import database
from hub.replication import store
from hub.replication.merge import merge_batch
from hub.replication.publish import raw_connection
from sync.pk_codec import unpack_pk
from sync.schema import TableInfo, inspect_table
from tests.integration.hub.replication_world import make_event
from tests.integration.sync.test_crsqlite_vectors import SCENARIOS, Sites, encode_value

CONVERGED = [p for p in SCENARIOS if json.loads(p.read_text())["converged"]]


def _infos(scenario: dict[str, Any]) -> dict[str, TableInfo]:
    conn = sqlite3.connect(":memory:")
    for ddl in scenario["schema"]:
        conn.execute(ddl)
    infos = {t: inspect_table(conn, t) for t in scenario["tables"]}
    conn.close()
    return infos


def test_some_scenarios_converge() -> None:
    assert len(CONVERGED) >= 10


@pytest.mark.parametrize("path", CONVERGED, ids=[p.stem for p in CONVERGED])
def test_the_store_replays_a_recorded_scenario(
    path: Path, tmp_path: Path, hub_database_url: str
) -> None:
    scenario = json.loads(path.read_text())
    infos = _infos(scenario)
    sites = Sites(tmp_path, scenario)
    crossings = []
    for step in scenario["steps"]:
        if step["op"] == "sql":
            replica = sites[step["site"]]
            for sql in step["sql"]:
                replica.connection.execute(sql)
            replica.connection.commit()
        else:
            source, target = sites[step["from"]], sites[step["to"]]
            crossing = source.changes_since(step["since"], exclude_site=target.site_id)
            target.apply_changes(crossing)
            crossings.append(crossing)
    sites.close()

    async def replay() -> dict[str, Any]:
        world = await make_event()
        for crossing in crossings:
            async with in_transaction() as conn:
                await merge_batch(raw_connection(conn), world.event_id, crossing, tables=infos)
        return await _tables(world.event_id, infos, scenario)

    async def connected() -> dict[str, Any]:
        async with database.connected(hub_database_url):
            return await replay()

    got = asyncio.run(connected())
    expected = next(iter(scenario["final"].values()))["tables"]
    assert got == expected


async def _tables(
    event_id: uuid.UUID, infos: dict[str, TableInfo], scenario: dict[str, Any]
) -> dict[str, Any]:
    client = Tortoise.get_connection("default")
    async with client.acquire_connection() as pg:
        found = await pg.fetch("SELECT tbl, pk FROM sync_row WHERE event_id = $1", event_id)
        keys = [(r["tbl"], bytes(r["pk"])) for r in found if r["tbl"] in infos]
        states = await store.load_states(pg, event_id, keys)
    out: dict[str, Any] = {}
    final = next(iter(scenario["final"].values()))["tables"]
    for table, info in infos.items():
        columns = final[table]["columns"]
        rows = []
        for (t, pk), st in states.items():
            if t != table or not st.exists:
                continue
            row = {**dict(zip(info.pks, unpack_pk(pk), strict=True)), **st.values}
            rows.append([row.get(c) for c in columns])
        rows.sort(key=lambda r: [(v is None, type(v).__name__, v) for v in r])
        out[table] = {"columns": columns, "rows": [[encode_value(v) for v in r] for r in rows]}
    return out
