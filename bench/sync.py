"""Benchmarks of the sync engine; prints one JSON object.

(a) ``apply_100k_s``: merge 100,000 change rows (20,000 rows x 5 columns) into an empty
    replica, against ``raw_insert_100k_s``: a plain executemany insert of the same rows.
(b) ``write_overhead_ratio``: 10,000 single-row durable write transactions (WAL,
    synchronous=FULL) on a replicated table, over the same on a plain table.
(c) ``initial_sync_50k_s``: an empty replica pulls a 50,000-row replica (250,000 change
    rows) from a peer served by uvicorn over loopback HTTP: request, changeset stream,
    verification, merge.

Run: ``.venv/bin/python -m bench.sync`` (from the repository root), or ``make bench``.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette

from sync.changes import Change
from sync.client import SyncClient
from sync.replica import Replica
from sync.transport import sync_routes
from voelgoed.processes import serve_in_thread

SCHEMA = (
    "CREATE TABLE scans (id INTEGER PRIMARY KEY NOT NULL, ticket TEXT, gate TEXT,"
    " verdict TEXT, at INTEGER, weight REAL)"
)
ROWS = 20_000
SYNC_ROWS = 50_000
WRITES = 10_000


def _rows(n: int) -> list[tuple[int, str, str, str, int, float]]:
    return [
        (
            i,
            f"ticket-{i:08d}",
            f"gate-{i % 7}",
            "admit" if i % 3 else "refuse",
            1_700_000_000 + i,
            i / 7,
        )
        for i in range(1, n + 1)
    ]


def _open(path: Path, *, durable: bool = False) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
    return conn


def bench_apply(root: Path) -> dict[str, float]:
    source_conn = _open(root / "source.db")
    source_conn.execute(SCHEMA)
    source_conn.commit()
    source = Replica(source_conn)
    source.make_replicated("scans")
    source_conn.executemany("INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)", _rows(ROWS))
    source_conn.commit()
    changes: list[Change] = source.changes_since(0)
    assert len(changes) == ROWS * 5, len(changes)

    target_conn = _open(root / "target.db")
    target_conn.execute(SCHEMA)
    target_conn.commit()
    target = Replica(target_conn)
    target.make_replicated("scans")
    start = time.perf_counter()
    target.apply_changes(changes)
    apply_s = time.perf_counter() - start
    assert target_conn.execute("SELECT count(*) FROM scans").fetchone()[0] == ROWS

    raw_conn = _open(root / "raw.db")
    raw_conn.execute(SCHEMA)
    raw_conn.commit()
    rows = _rows(ROWS)
    start = time.perf_counter()
    raw_conn.executemany("INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)", rows)
    raw_conn.commit()
    raw_s = time.perf_counter() - start
    for conn in (source_conn, target_conn, raw_conn):
        conn.close()
    return {
        "apply_100k_s": round(apply_s, 4),
        "raw_insert_100k_s": round(raw_s, 4),
        "apply_ratio": round(apply_s / raw_s, 2),
    }


def bench_writes(root: Path) -> dict[str, float]:
    """Plain and replicated transactions interleaved one by one (alternating which goes
    first), so that both see the same disk and CPU weather on a shared machine."""
    plain = _open(root / "plain.db", durable=True)
    plain.execute(SCHEMA)
    plain.commit()
    replicated = _open(root / "replicated.db", durable=True)
    replicated.execute(SCHEMA)
    replicated.commit()
    Replica(replicated).make_replicated("scans")
    insert = "INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)"
    plain_times: list[float] = []
    replicated_times: list[float] = []
    clock = time.perf_counter
    for n, row in enumerate(_rows(WRITES)):
        pair = [(plain, plain_times), (replicated, replicated_times)]
        if n % 2:
            pair.reverse()
        for conn, times in pair:
            start = clock()
            conn.execute(insert, row)
            conn.commit()
            times.append(clock() - start)
    plain.close()
    replicated.close()
    plain_s, replicated_s = sum(plain_times), sum(replicated_times)
    return {
        "plain_writes_10k_s": round(plain_s, 4),
        "replicated_writes_10k_s": round(replicated_s, 4),
        "plain_write_p50_ms": round(statistics.median(plain_times) * 1000, 4),
        "replicated_write_p50_ms": round(statistics.median(replicated_times) * 1000, 4),
        "write_overhead_ratio": round(replicated_s / plain_s, 3),
    }


def bench_initial_sync(root: Path) -> dict[str, float]:
    secret = b"bench venue secret"
    source_conn = sqlite3.connect(root / "peer.db", check_same_thread=False)
    source_conn.execute("PRAGMA journal_mode = WAL")
    source_conn.execute(SCHEMA)
    source_conn.commit()
    source = Replica(source_conn)
    source.make_replicated("scans")
    source_conn.executemany("INSERT INTO scans VALUES (?, ?, ?, ?, ?, ?)", _rows(SYNC_ROWS))
    source_conn.commit()
    app = Starlette(routes=sync_routes(source, secret=secret))
    target_conn = _open(root / "empty.db")
    target_conn.execute(SCHEMA)
    target_conn.commit()
    target = Replica(target_conn)
    target.make_replicated("scans")
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as http:
        start = time.perf_counter()
        result = SyncClient(target, http, secret=secret).pull()
        elapsed = time.perf_counter() - start
    assert result.received == SYNC_ROWS * 5, result
    assert target_conn.execute("SELECT count(*) FROM scans").fetchone()[0] == SYNC_ROWS
    source_conn.close()
    target_conn.close()
    return {"initial_sync_50k_s": round(elapsed, 3)}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as tmp:
        root = Path(tmp)
        result = {**bench_apply(root), **bench_writes(root), **bench_initial_sync(root)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
