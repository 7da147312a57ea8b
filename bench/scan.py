"""Scan path benchmark: a gate on loopback with a 50,000-ticket event, against two baselines.

5,000 scans over one keep-alive connection from a separate process (mostly first scans,
plus repeats, forgeries and other events' codes), and in the same run the same number of
requests to a bare endpoint and to a durable-append endpoint served the same way. Prints
one JSON object; `p99_ratio` = gate p99 / durable-append p99 (target <= 1.5).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from voelgoed.demo_event import build_demo_event, foreign_code, write_demo_event
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

TICKETS = 50_000
SCANS = 5_000
WARMUP = 300
THROUGHPUT_SCANS = 5_000
CONNS = 16
REPO = Path(__file__).resolve().parents[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def loadgen(plan: dict[str, Any], workdir: Path) -> dict[str, Any]:
    """Run the load generator in its own process on `plan` (see support/loadgen.py)."""
    plan_file = workdir / f"plan-{uuid.uuid4().hex}.json"
    plan_file.write_text(json.dumps(plan))
    out = subprocess.run(
        [sys.executable, "-m", "bench.support.loadgen", str(plan_file)],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def interleaved(targets: list[tuple[int, str, list[str]]], workdir: Path) -> list[dict[str, Any]]:
    plan = {
        "mode": "interleaved",
        "targets": [{"port": p, "path": path, "bodies": b} for p, path, b in targets],
    }
    result: list[dict[str, Any]] = loadgen(plan, workdir)["targets"]
    return result


def scan_bodies(
    rng: random.Random, codes: list[str], event_id: uuid.UUID, type_id: uuid.UUID
) -> list[str]:
    """5,000 scans: 85% first scans, 7% repeats, 4% forgeries, 4% other events' codes."""
    n_first = int(SCANS * 0.85)
    n_repeat = int(SCANS * 0.07)
    n_forged = int(SCANS * 0.04)
    n_wrong = SCANS - n_first - n_repeat - n_forged
    first = codes[:n_first]
    repeats = rng.sample(first, n_repeat)
    other_event = uuid.UUID(int=rng.getrandbits(128), version=4)
    forged = [foreign_code(event_id, type_id, seed=i) for i in range(n_forged)]
    wrong = [foreign_code(other_event, type_id, seed=i) for i in range(n_wrong)]
    mixed = first + forged + wrong
    rng.shuffle(mixed)
    # Repeats go in the second half so that they follow their first scan.
    half = len(mixed) // 2
    tail = mixed[half:] + repeats
    rng.shuffle(tail)
    return [json.dumps({"code": c, "nonce": uuid.uuid4().hex}) for c in mixed[:half] + tail]


def main() -> None:
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory(prefix="voelgoed-bench-") as tmp:
        work = Path(tmp)
        demo = build_demo_event(TICKETS, now=dt.datetime.now(dt.UTC), seed=11)
        package_path = work / "event.vgpkg"
        write_demo_event(demo, package_path)
        admissible = [t.qr for t in demo.tickets if t.state == "valid" and t.ticket_type != "VIP"]
        rng.shuffle(admissible)
        warm = admissible[:WARMUP]
        main_codes = admissible[WARMUP : WARMUP + SCANS]
        tput_codes = admissible[WARMUP + SCANS : WARMUP + SCANS + THROUGHPUT_SCANS]
        event_id = demo.package.event.id
        type_id = demo.package.ticket_types[0].id
        bodies = scan_bodies(rng, main_codes, event_id, type_id)
        warm_bodies = [json.dumps({"code": c}) for c in warm]
        tput_bodies = [json.dumps({"code": c}) for c in tput_codes]
        filler = ['{"code": "' + "x" * 200 + '"}'] * SCANS

        base_port = free_port()
        baseline = ServerProcess(
            [
                sys.executable,
                "-m",
                "bench.support.baselines",
                str(work / "baseline"),
                str(base_port),
            ],
            base_port,
            cwd=REPO,
        )
        gate_port = free_port()
        gate = ServerProcess(
            voelgoed_command(
                "gate",
                "serve",
                "--data",
                str(work / "gate"),
                "--event-package",
                str(package_path),
                "--port",
                str(gate_port),
                "--log-level",
                "warning",
            ),
            gate_port,
            log_path=work / "gate.log",
        )
        with baseline, gate:
            interleaved(
                [
                    (base_port, "/bare", filler[:WARMUP]),
                    (base_port, "/durable", filler[:WARMUP]),
                    (gate_port, "/api/v1/scan", warm_bodies),
                ],
                work,
            )
            bare_r, durable_r, scan_r = interleaved(
                [
                    (base_port, "/bare", filler),
                    (base_port, "/durable", bodies),
                    (gate_port, "/api/v1/scan", bodies),
                ],
                work,
            )
            tput = loadgen(
                {
                    "mode": "throughput",
                    "port": gate_port,
                    "path": "/api/v1/scan",
                    "bodies": tput_bodies,
                    "conns": CONNS,
                },
                work,
            )
    bare = [float(v) for v in bare_r["latencies_ms"]]
    durable = [float(v) for v in durable_r["latencies_ms"]]
    scan = [float(v) for v in scan_r["latencies_ms"]]

    p99 = percentile(scan, 0.99)
    durable_p99 = percentile(durable, 0.99)
    print(
        json.dumps(
            {
                "name": "scan",
                "tickets": TICKETS,
                "scans": len(scan),
                "p50_ms": round(percentile(scan, 0.50), 3),
                "p99_ms": round(p99, 3),
                "bare_p99_ms": round(percentile(bare, 0.99), 3),
                "durable_p50_ms": round(percentile(durable, 0.50), 3),
                "durable_p99_ms": round(durable_p99, 3),
                "p99_ratio": round(p99 / durable_p99, 3),
                "throughput_16_conns_per_s": round(float(tput["per_s"]), 1),
                "http_statuses": scan_r["http_statuses"],
            }
        )
    )


if __name__ == "__main__":
    main()
