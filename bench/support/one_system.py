"""The hub and three enrolled gates as one system, for bench/hub_sync.py's figures that need
real gates: a revocation at the hub until each gate answers `revoked`, a ticket issued at the
hub until a gate holds it and scans it `ok`, and the gate's scan p99 with two peers and the
hub attached against a standalone gate serving the same event (same run, interleaved).

Everything is what a user runs: `voelgoed hub serve --workers 2`, the organiser API,
`voelgoed gate enrol` and `voelgoed gate serve`.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.support.loadgen import Connection
from tests.integration.hub.conftest import Org, new_org, serve_hub, stop_hub
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

GATES = ("north", "south", "east")
REVOCATIONS = 30
ISSUES = 30
SCANS = 1500
RATIO_REPEATS = 3
ROUND_S = 0.01
"""Scans reach each gate about every 10 ms (some 90 a second): far above a door lane's
one a second or so, and slow enough that what the gate replicates after a scan is done
before the next one arrives, as at a real door."""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _until(check: Callable[[], bool], timeout: float, poll_s: float = 0.002) -> float:
    """Seconds until `check()` holds (polling), or raise after `timeout`."""
    start = time.perf_counter()
    while not check():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the system did not converge")
        time.sleep(poll_s)
    return time.perf_counter() - start


def _gate(data: Path, port: int, peers: list[int], *extra: str) -> ServerProcess:
    argv = voelgoed_command("gate", "serve", "--data", str(data), "--port", str(port), *extra)
    for peer in peers:
        argv += ["--peer", f"http://127.0.0.1:{peer}"]
    return ServerProcess(argv, port, log_path=data.parent / f"{data.name}.log")


@contextmanager
def one_system(url: str, root: Path) -> Iterator[tuple[Org, SeatedEvent, list[int]]]:
    """A hub of two workers on `url` and three gates enrolled at it, replicating."""
    with ExitStack() as stack:
        hub_data = root / "hub"
        hub_data.mkdir()
        hub = serve_hub(url, hub_data, "--workers", "2")
        stack.callback(stop_hub, hub)
        org = new_org(hub, "Bench")
        event = build_seated_event(org.api)
        # A type without a quota: the figures issue thousands of tickets.
        bench_type = ok(
            org.api.post(
                f"/api/v1/events/{event.event_id}/ticket-types",
                json={"name": "Bench", "kind": "general", "price_cents": 0, "quota": 100_000},
            ),
            201,
        )
        event.general_type_id = bench_type["id"]
        ports = [free_port() for _ in GATES]
        for name, port in zip(GATES, ports, strict=True):
            device = ok(
                org.api.post(
                    "/api/v1/devices",
                    json={
                        "name": name,
                        "venue_id": event.venue_id,
                        "event_ids": [event.event_id],
                        "gate": name,
                    },
                ),
                201,
            )
            subprocess.run(
                voelgoed_command(
                    "gate",
                    "enrol",
                    "--hub",
                    hub.url,
                    "--token",
                    device["enrolment"]["token"],
                    "--data",
                    str(root / name),
                ),
                check=True,
                capture_output=True,
            )
            peers = [p for p in ports if p != port]
            stack.enter_context(_gate(root / name, port, peers))
        for port in ports:
            _until(functools.partial(_serves, port), 30)
        yield org, event, ports


def _serves(port: int) -> bool:
    return _status(port).get("event") is not None


def _status(port: int) -> dict[str, Any]:
    status: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/api/v1/status").json()
    return status


def _issue(org: Org, event: SeatedEvent, quantity: int, holder: str = "") -> list[dict[str, Any]]:
    issued: list[dict[str, Any]] = []
    while len(issued) < quantity:
        body = {
            "ticket_type_id": event.general_type_id,
            "holder": holder,
            "quantity": min(1000, quantity - len(issued)),
        }
        issued += ok(org.api.post(f"/api/v1/events/{event.event_id}/tickets", json=body), 201)
    return issued


def _scan(port: int, code: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/scan", json={"code": code}
    ).json()
    return answer


def _holds(replica: Path, table: str, ticket_id: str) -> Callable[[], bool]:
    """Whether the gate's replica holds the ticket's row in `table` (read-only, WAL)."""
    conn = sqlite3.connect(f"file:{replica}?mode=ro", uri=True, check_same_thread=False)
    sql = f"SELECT 1 FROM {table} WHERE {'ticket_id' if table != 'tickets' else 'id'} = ?"

    def check() -> bool:
        return conn.execute(sql, (ticket_id,)).fetchone() is not None

    return check


def _watch_revoked(
    replica: Path, port: int, ticket: dict[str, Any], since: float, results: list[float]
) -> None:
    _until(_holds(replica, "revocations", ticket["id"]), 30)
    answer = _scan(port, ticket["token"])
    assert answer["reason"] == "revoked", answer
    results.append(time.perf_counter() - since)


def bench_revocation(
    org: Org, event: SeatedEvent, ports: list[int], root: Path
) -> dict[str, float]:
    """Revoke a ticket at the hub; time until each gate holds the revocation and answers
    `revoked` (the replicas are watched read-only, so that waiting adds no scans)."""
    tickets = _issue(org, event, REVOCATIONS)
    latencies: list[float] = []
    for ticket in tickets:
        results: list[float] = []
        start = time.perf_counter()
        ok(
            org.api.put(
                f"/api/v1/events/{event.event_id}/tickets/{ticket['id']}/status",
                json={"status": "revoked", "reason": "refunded"},
            )
        )
        threads = [
            threading.Thread(
                target=_watch_revoked,
                args=(root / name / "replica.sqlite3", port, ticket, start, results),
            )
            for name, port in zip(GATES, ports, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == len(ports), "a gate never refused the revoked ticket"
        latencies += results
    return {
        "revocation_p50_ms": round(statistics.median(latencies) * 1000, 1),
        "revocation_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
    }


def bench_issue_to_scan(org: Org, event: SeatedEvent, ports: list[int], root: Path) -> float:
    """Issue a ticket at the hub; time until a gate holds it and scans it `ok` with its
    holder's name. (A validly signed code of a known ticket type is admitted even before its
    row arrives, offline-first, so "holds it" is what is timed, read from the gate's replica.)"""
    latencies = []
    for n in range(ISSUES):
        holder = f"Walk-up {n}"
        start = time.perf_counter()
        ticket = _issue(org, event, 1, holder)[0]
        _until(_holds(root / GATES[0] / "replica.sqlite3", "tickets", ticket["id"]), 30)
        answer = _scan(ports[0], ticket["token"])
        assert answer["status"] == "ok", answer
        assert (answer["ticket"] or {}).get("holder") == holder, answer
        latencies.append(time.perf_counter() - start)
    return round(percentile(latencies, 0.99) * 1000, 1)


Figures = dict[str, float | list[float]]


def bench_scan_ratio(org: Org, event: SeatedEvent, ports: list[int], root: Path) -> Figures:
    """The replicating gate's scan p99 over the standalone gate's: the same event, the same
    moments of machine noise (one request to each in turn, a round every ``ROUND_S``), in
    ``RATIO_REPEATS`` runs; the median ratio, and the runs' p99s."""
    codes = [t["token"] for t in _issue(org, event, 2 * SCANS * RATIO_REPEATS)]
    package = root / "event.vgpkg"
    package.write_bytes(org.api.get(f"/api/v1/events/{event.event_id}/package").content)
    standalone_port = free_port()
    ratios, p99s = [], []
    with _gate(root / "standalone", standalone_port, [], "--event-package", str(package)):
        conns = [Connection("127.0.0.1", port) for port in (ports[0], standalone_port)]
        for run in range(RATIO_REPEATS):
            first = 2 * SCANS * run
            batches = [codes[first : first + SCANS], codes[first + SCANS : first + 2 * SCANS]]
            times: list[list[float]] = [[], []]
            for i in range(SCANS):
                time.sleep(ROUND_S)
                for k in [0, 1] if i % 2 == 0 else [1, 0]:
                    body = json.dumps({"code": batches[k][i], "nonce": uuid.uuid4().hex})
                    start = time.perf_counter()
                    status, _ = conns[k].post("/api/v1/scan", body.encode())
                    times[k].append(time.perf_counter() - start)
                    assert status == 200, status
            replicating, standalone = (percentile(t, 0.99) for t in times)
            ratios.append(replicating / standalone)
            p99s.append((replicating, standalone))
    middle = sorted(range(RATIO_REPEATS), key=lambda r: ratios[r])[RATIO_REPEATS // 2]
    return {
        "scan_p99_ratio_replicating": round(ratios[middle], 3),
        "scan_p99_ms_replicating": round(p99s[middle][0] * 1000, 3),
        "scan_p99_ms_standalone": round(p99s[middle][1] * 1000, 3),
        "scan_p99_ratios": [round(r, 3) for r in ratios],
    }


def bench_one_system(url: str, root: Path) -> Figures:
    with one_system(url, root) as (org, event, ports):
        figures: Figures = {**bench_revocation(org, event, ports, root)}
        figures["issue_to_scan_p99_ms"] = bench_issue_to_scan(org, event, ports, root)
        figures.update(bench_scan_ratio(org, event, ports, root))
    return figures
