"""Venue benchmark: three gates replicating on loopback; replication latency and healing.

1. 2,000 scans spread over three gates; for each, the time from the answer at its gate to
   the moment both other gates hold it (each gate's live feed says when a replicated scan
   has been merged): `replication_p50_ms`, `replication_p99_ms` (target p99 <= 250 ms).
2. A partition of `--partition-s` seconds (default 60) between gate-1 and the other two,
   cut by TCP proxies on every link, with 1,000 scans on each side (50 tickets admitted on
   both sides); then the time from healing the links until every gate holds every scan and
   the same verdicts: `heal_s` (target <= 2 s).

Run: .venv/bin/python -m bench.venue [--partition-s 60]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import random
import tempfile
import threading
import time
from pathlib import Path

from bench.support.loadgen import Connection
from bench.support.proxy import Proxies
from voelgoed.demo_event import build_demo_event, write_demo_event
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

GATES = ("gate-1", "gate-2", "gate-3")
SCANS = 2_000
SIDE_SCANS = 1_000
DOUBLES = 50
PACE_S = 0.004


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Arrivals:
    """When each scan id became known at each gate, from the gates' live feeds."""

    def __init__(self) -> None:
        self.at: dict[str, dict[str, float]] = {}
        self.lock = threading.Lock()

    def listen(self, gate: str, port: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("GET", "/api/v1/events")
        response = conn.getresponse()
        kind = ""
        for raw in response:
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                now = time.perf_counter()
                data = json.loads(line[6:])
                ids = [data["answer"]["scan_id"]] if kind == "scan" else data.get("scan_ids", [])
                with self.lock:
                    for scan_id in ids:
                        self.at.setdefault(scan_id, {}).setdefault(gate, now)

    def everywhere(self, scan_id: str) -> float | None:
        with self.lock:
            seen = self.at.get(scan_id, {})
            return max(seen.values()) if len(seen) == len(GATES) else None


def scan(conn: Connection, code: str) -> tuple[str, float]:
    _, body = conn.post("/api/v1/scan", json.dumps({"code": code}).encode())
    return json.loads(body)["scan_id"], time.perf_counter()


def total_scans(port: int) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/api/v1/status")
    return int(json.loads(c.getresponse().read())["scans"]["total"])


def alerts(port: int) -> object:
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("GET", "/api/v1/alerts")
    return json.loads(c.getresponse().read())["double_admissions"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partition-s", type=float, default=60.0)
    args = parser.parse_args()
    rng = random.Random(4)
    with tempfile.TemporaryDirectory(prefix="voelgoed-venue-") as tmp:
        work = Path(tmp)
        demo = build_demo_event(8_000, now=dt.datetime.now(dt.UTC), seed=5)
        write_demo_event(demo, work / "event.vgpkg")
        # Single-entry tickets: admitted on both sides of a cut, each is a double admission.
        single = ("General admission", "Seated")
        codes = [t.qr for t in demo.tickets if t.state == "valid" and t.ticket_type in single]
        rng.shuffle(codes)
        secret = work / "venue.secret"
        secret.write_bytes(b"bench-venue-secret-0123456789")
        ports = [free_port() for _ in GATES]
        # One proxy per directed link, so that a partition can cut some links only.
        link_ports = {
            f"{i}-{j}": (free_port(), ports[j])
            for i in range(len(GATES))
            for j in range(len(GATES))
            if i != j
        }
        proxies = Proxies(link_ports)
        gates = []
        for i, name in enumerate(GATES):
            peers = [
                a
                for j in range(len(GATES))
                if j != i
                for a in ("--peer", f"http://127.0.0.1:{link_ports[f'{i}-{j}'][0]}")
            ]
            gates.append(
                ServerProcess(
                    voelgoed_command(
                        "gate",
                        "serve",
                        "--data",
                        str(work / name),
                        "--event-package",
                        str(work / "event.vgpkg"),
                        "--port",
                        str(ports[i]),
                        "--gate-name",
                        name,
                        "--venue-secret-file",
                        str(secret),
                        "--log-level",
                        "warning",
                        *peers,
                    ),
                    ports[i],
                    log_path=work / f"{name}.log",
                ).start()
            )
        arrivals = Arrivals()
        for name, port in zip(GATES, ports, strict=True):
            threading.Thread(target=arrivals.listen, args=(name, port), daemon=True).start()
        time.sleep(1.0)
        conns = [Connection("127.0.0.1", p) for p in ports]

        # 1. Replication latency.
        answered: list[tuple[str, float]] = []
        for k, code in enumerate(codes[:SCANS]):
            answered.append(scan(conns[k % len(GATES)], code))
            time.sleep(PACE_S)
        deadline = time.perf_counter() + 30
        latencies: list[float] = []
        for scan_id, at in answered:
            while (seen := arrivals.everywhere(scan_id)) is None:
                assert time.perf_counter() < deadline, f"scan {scan_id} never reached every gate"
                time.sleep(0.01)
            latencies.append((seen - at) * 1000)

        # 2. Partition gate-1 from gate-2 and gate-3, scan on both sides, heal.
        cut = ["0-1", "0-2", "1-0", "2-0"]
        proxies.command("block", cut)
        started = time.perf_counter()
        side_codes = codes[SCANS : SCANS + 2 * SIDE_SCANS - DOUBLES]
        both = side_codes[:DOUBLES]
        side_a = both + side_codes[DOUBLES:SIDE_SCANS]
        side_b = both + side_codes[SIDE_SCANS:]
        for k in range(SIDE_SCANS):
            scan(conns[0], side_a[k])
            scan(conns[1 + k % 2], side_b[k])
        time.sleep(max(0.0, args.partition_s - (time.perf_counter() - started)))
        expected = SCANS + 2 * SIDE_SCANS
        proxies.command("unblock", cut)
        healed_at = time.perf_counter()
        while not (
            all(total_scans(p) == expected for p in ports)
            and alerts(ports[0]) == alerts(ports[1]) == alerts(ports[2])
        ):
            assert time.perf_counter() - healed_at < 60, "the gates did not converge"
            time.sleep(0.05)  # status is a full count: asking faster would slow the gates
        heal_s = time.perf_counter() - healed_at
        doubles = alerts(ports[0])
        for gate in gates:
            gate.stop()
        proxies.stop()

    assert isinstance(doubles, list)
    print(
        json.dumps(
            {
                "name": "venue",
                "gates": len(GATES),
                "scans": SCANS,
                "replication_p50_ms": round(percentile(latencies, 0.5), 2),
                "replication_p99_ms": round(percentile(latencies, 0.99), 2),
                "partition_s": args.partition_s,
                "partition_scans_per_side": SIDE_SCANS,
                "heal_s": round(heal_s, 3),
                "double_admissions_found": len(doubles),
                "double_admissions_made": DOUBLES,
            }
        )
    )


if __name__ == "__main__":
    main()
