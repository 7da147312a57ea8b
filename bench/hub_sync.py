"""Benchmarks of the hub as a replication peer; prints one JSON object.

- ``initial_sync_50k_s``: a fresh gate-like replica (SQLite file, the contract schema)
  pulls a 50,000-ticket event from a real hub process over loopback (request, PostgreSQL
  reads, changeset stream, verification, merge). Median of ``REPEATS``; against
  ``initial_sync_50k_sqlite_peer_s``, the same rows pulled from a SQLite replica served by
  ``sync.transport`` in the same run (``initial_sync_ratio`` = hub / SQLite peer).
- ``ingest_scans_per_s``: three gate-like replicas that recorded 100,000 scans during an
  outage push them at once to two hub worker processes on one database (the changesets
  made beforehand: what is timed is the hub's verification, merge and ingest into
  GateScan). ``ingest_lost`` / ``ingest_doubled``: scans pushed and absent from GateScan,
  and GateScan rows beyond one per pushed scan. Against ``ingest_copy_scans_per_s``: a
  bare COPY of the same GateScan rows into an unlogged table, the least PostgreSQL takes.

- ``revocation_p50_ms`` / ``revocation_p99_ms``, ``issue_to_scan_p99_ms``,
  ``scan_p99_ratio_replicating``: the hub (two workers) and three gates enrolled at it, as a
  user runs them (bench/support/one_system.py says how each is timed).

Run: ``.venv/bin/python -m bench.hub_sync`` (PostgreSQL on 127.0.0.1:5432 when it answers,
else $DATABASE_URL, else an embedded one), or ``make bench``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import secrets
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TypeVar

import httpx
from starlette.applications import Starlette
from tortoise import Tortoise

from bench.support.one_system import bench_one_system
from hub import database
from hub.models import GateScan
from hub.replication import ingest
from sync.client import SyncClient
from sync.merge import RowState
from sync.pk_codec import pack_pk
from sync.replica import Replica
from sync.transport import CHANGESET_TYPE, sync_routes
from sync.wire import encode_changeset_bytes
from tests.integration.hub.replication_world import gate_replica, issue, make_event, scan_rows
from tests.integration.hub.sync_hub import Devices, serve_sync_hub
from voelgoed.processes import serve_in_thread

T = TypeVar("T")
TICKETS = 50_000
SCANS = 100_000
GATES = 3
REPEATS = 3
LOCAL = "postgres://postgres@127.0.0.1:5432/postgres"


def _server(tmp: Path) -> str:
    if asyncio.run(database.server_answers(LOCAL)):
        return LOCAL
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return database.tortoise_url(configured)
    return database.embedded_url(tmp)


@contextmanager
def bench_database(tmp: Path) -> Iterator[str]:
    server = _server(tmp)
    name = f"vg_bench_hub_sync_{secrets.token_hex(4)}"
    asyncio.run(database.create_database(server, name))
    url = database.with_database(server, name)
    try:
        asyncio.run(database.migrate(url))
        yield url
    finally:
        asyncio.run(database.drop_database(server, name))


def _run(url: str, body: Callable[[], Awaitable[T]]) -> T:
    async def connected() -> T:
        async with database.connected(url):
            return await body()

    return asyncio.run(connected())


async def _analyze() -> None:
    # Autovacuum is off here: the planner needs statistics after a bulk load.
    await Tortoise.get_connection("default").execute_script("ANALYZE")


async def _checkpoint() -> None:
    await Tortoise.get_connection("default").execute_script("CHECKPOINT")


def _client(
    replica: Replica, url: str, event_id: uuid.UUID, devices: Devices, device: str
) -> SyncClient:
    return SyncClient(
        replica,
        httpx.Client(base_url=url, timeout=300),
        secret=devices.secret,
        prefix=f"/sync/events/{event_id}",
        signer=devices.signer(device),
    )


def bench_initial_sync(url: str, hub: str, devices: Devices, root: Path) -> dict[str, float]:
    async def event() -> uuid.UUID:
        world = await make_event("Stadium")
        await issue(world, TICKETS)
        await _analyze()
        return world.event_id

    event_id = _run(url, event)
    device = next(iter(devices.keys))
    times = []
    for n in range(REPEATS):
        gate = gate_replica(root / f"fresh{n}.db")
        sync = _client(gate, hub, event_id, devices, device)
        start = time.perf_counter()
        sync.pull()
        times.append(time.perf_counter() - start)
        held = gate.connection.execute("SELECT count(*) FROM tickets").fetchone()[0]
        assert held == TICKETS, held
    # The baseline: the same rows from a SQLite replica served by sync.transport.
    peer = gate_replica(root / "fresh0.db", check_same_thread=False)
    app = Starlette(routes=sync_routes(peer, secret=devices.secret))
    baseline = []
    with serve_in_thread(app) as peer_url, httpx.Client(base_url=peer_url, timeout=300) as http:
        for n in range(REPEATS):
            gate = gate_replica(root / f"from-peer{n}.db")
            start = time.perf_counter()
            SyncClient(gate, http, secret=devices.secret).pull()
            baseline.append(time.perf_counter() - start)
    hub_s = statistics.median(times)
    peer_s = statistics.median(baseline)
    return {
        "initial_sync_50k_s": round(hub_s, 3),
        "initial_sync_50k_sqlite_peer_s": round(peer_s, 3),
        "initial_sync_ratio": round(hub_s / peer_s, 3),
    }


def _ingest_once(
    url: str, hubs: list[str], devices: Devices, root: Path, n: int
) -> tuple[float, int, int]:
    async def event() -> tuple[uuid.UUID, list[uuid.UUID]]:
        world = await make_event(f"Outage {n}")
        return world.event_id, await issue(world, 1000)

    event_id, ticket_ids = _run(url, event)
    names = list(devices.keys)
    pushed: set[str] = set()
    bodies: list[tuple[str, bytes, str]] = []
    for g in range(GATES):
        gate = gate_replica(root / f"outage{n}-{g}.db")
        share = SCANS // GATES + (1 if g < SCANS % GATES else 0)
        pushed.update(scan_rows(gate, share, f"Gate {g}", ticket_ids))
        body = encode_changeset_bytes(
            gate.changes_since(0), secret=devices.secret, sender=gate.site_id
        )
        bodies.append((names[g], body, hubs[g % len(hubs)]))
        gate.connection.close()
    failures: list[str] = []

    def push(device: str, body: bytes, hub: str) -> None:
        path = f"/sync/events/{event_id}/push"
        headers = devices.signer(device)("POST", path, body)
        headers["content-type"] = CHANGESET_TYPE
        answer = httpx.post(hub + path, content=body, headers=headers, timeout=600)
        if answer.status_code != 200:
            failures.append(f"{answer.status_code} {answer.content[:200]!r}")

    threads = [threading.Thread(target=push, args=b) for b in bodies]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    assert not failures, failures

    async def at_hub() -> list[str]:
        return [
            str(i) for i in await GateScan.filter(event_id=event_id).values_list("id", flat=True)
        ]

    ingested = _run(url, at_hub)
    lost = len(pushed - set(ingested))
    doubled = len(ingested) - len(set(ingested)) + len(set(ingested) - pushed)
    return SCANS / elapsed, lost, doubled


def _copy_baseline(url: str) -> float:
    """A bare COPY of 100,000 GateScan rows into an unlogged table of the same shape."""

    async def copy() -> float:
        client = Tortoise.get_connection("default")
        org = uuid.uuid4()
        now = dt.datetime.now(dt.UTC)
        state = RowState(existed=False, exists=True)
        state.values = {
            "gate": "North",
            "status": "admitted",
            "at": "2026-12-03T19:00:00.000Z",
            "hlc": 1,
        }
        records = [
            ingest.scan_record(pack_pk((str(uuid.uuid4()),)), state, org, org, now)
            for _ in range(SCANS)
        ]
        async with client.acquire_connection() as pg:
            await pg.execute("CREATE UNLOGGED TABLE bench_copy (LIKE gate_scan)")
            start = time.perf_counter()
            await pg.copy_records_to_table(
                "bench_copy", records=records, columns=ingest.SCAN_COLUMNS
            )
            elapsed = time.perf_counter() - start
            await pg.execute("DROP TABLE bench_copy")
        return SCANS / elapsed

    return _run(url, copy)


def bench_ingest(url: str, hubs: list[str], devices: Devices, root: Path) -> dict[str, float]:
    rates, lost, doubled = [], 0, 0
    for n in range(REPEATS):
        rate, lost_n, doubled_n = _ingest_once(url, hubs, devices, root, n)
        rates.append(rate)
        lost += lost_n
        doubled += doubled_n
        _run(url, _analyze)
    return {
        "ingest_scans_per_s": round(statistics.median(rates)),
        "ingest_lost": lost,
        "ingest_doubled": doubled,
        "ingest_copy_scans_per_s": round(_copy_baseline(url)),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="hub-sync-bench-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        url = stack.enter_context(bench_database(root))
        result: dict[str, object] = {}
        with ExitStack() as hubs_running:
            devices = Devices.make(root / "devices.json", GATES)
            hubs = [
                hubs_running.enter_context(serve_sync_hub(url, root / f"hub{i}", devices.path))
                for i in range(2)
            ]
            result.update(bench_initial_sync(url, hubs[0], devices, root))
            result.update(bench_ingest(url, hubs, devices, root))
        # The hub as users run it, with enrolled gates (the file-directory hubs stopped),
        # once PostgreSQL has written out the bulk loads: its checkpoint's fsyncs would
        # otherwise land on the gates' scans (each fsyncs its WAL) and time the disk.
        _run(url, _analyze)
        _run(url, _checkpoint)
        system = root / "system"
        system.mkdir()
        result.update(bench_one_system(url, system))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
