"""Gates of one venue replicating scans with sync/: real gate processes on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.integration.conftest import DemoFixture, Gate, GateFactory
from voelgoed.processes import free_port


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


def inside_count_is(gate: Gate, n: int) -> Callable[[], bool]:
    return lambda: gate.status()["inside"] == n


def double_admissions_are(gate: Gate, n: int) -> Callable[[], bool]:
    return lambda: gate.status()["double_admissions"] == n


def pair(
    start_gate: GateFactory, tmp_path: Path, secret: bytes = b"venue-secret-0123456789"
) -> tuple[Gate, Gate]:
    secret_file = tmp_path / "venue.secret"
    secret_file.write_bytes(secret)
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    gates = []
    for i, name in enumerate(("north", "south")):
        gates.append(
            start_gate(
                name,
                port=ports[i],
                extra_args=("--venue-secret-file", str(secret_file), "--peer", urls[1 - i]),
            )
        )
    return gates[0], gates[1]


def test_a_ticket_admitted_at_one_gate_is_refused_at_the_other(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    north, south = pair(start_gate, tmp_path)
    ticket = demo.take()
    assert north.scan(ticket.qr)["status"] == "ok"
    seconds = wait_for(lambda: south.status()["scans"]["total"] == 1)  # type: ignore[index]
    assert seconds < 2
    answer = south.scan(ticket.qr)
    assert answer["reason"] == "already_scanned"
    assert "north" in str(answer["message"])
    assert answer["first_admitted"]["gate"] == "north"  # type: ignore[index]
    wait_for(lambda: north.status()["scans"]["total"] == 2)  # type: ignore[index]
    assert north.status()["inside"] == south.status()["inside"] == 1


def test_a_gate_without_the_venue_secret_can_neither_pull_nor_push(
    start_gate: GateFactory, tmp_path: Path
) -> None:
    north, _ = pair(start_gate, tmp_path)
    with httpx.Client(base_url=north.url) as stranger:
        for route in ("versions", "pull", "push"):
            response = stranger.post(f"/sync/{route}", content=b"")
            assert response.status_code == 401, route


def venue_args(tmp_path: Path, *extra: str) -> tuple[str, ...]:
    secret_file = tmp_path / "venue.secret"
    if not secret_file.exists():
        secret_file.write_bytes(b"venue-secret-0123456789")
    return ("--venue-secret-file", str(secret_file), "--venue", "voelhuis", *extra)


MDNS = ("--mdns-interface", "127.0.0.1")
NAMES = ("north", "south", "east")


def test_three_gates_find_each_other_by_mdns_and_refuse_a_ticket_admitted_elsewhere(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    gates = [
        start_gate(name, extra_args=venue_args(tmp_path, *MDNS))
        for name in ("north", "south", "east")
    ]
    ticket = demo.take()
    assert gates[0].scan(ticket.qr)["status"] == "ok"
    for other in gates[1:]:
        # Discovery takes a moment after start: the admission reaches late finders by pull.
        wait_for(inside_count_is(other, 1), timeout=15)
        answer = other.scan(ticket.qr)
        assert answer["reason"] == "already_scanned"
        assert answer["first_admitted"]["gate"] == "north"  # type: ignore[index]


def test_a_gate_that_was_down_catches_up_when_it_returns(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    north, south = pair(start_gate, tmp_path)
    south.process.kill()
    tickets = [demo.take() for _ in range(5)]
    for t in tickets:
        assert north.scan(t.qr)["status"] == "ok"  # the other gate's absence stops nothing
    south.restart()
    wait_for(lambda: south.status()["inside"] == 5)
    assert south.scan(tickets[0].qr)["reason"] == "already_scanned"


def test_after_a_partition_every_gate_derives_the_same_double_admission(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    ports = [free_port() for _ in range(3)]
    url = {i: f"http://127.0.0.1:{p}" for i, p in enumerate(ports)}
    # Cut off: north alone, south and east together. Both sides admit the same ticket.
    sides = {0: [], 1: ["--peer", url[2]], 2: ["--peer", url[1]]}
    gates = [
        start_gate(name, port=ports[i], extra_args=venue_args(tmp_path, *sides[i]))
        for i, name in enumerate(("north", "south", "east"))
    ]
    north, south, east = gates
    ticket = demo.take()
    assert north.scan(ticket.qr)["status"] == "ok"
    assert south.scan(ticket.qr)["status"] == "ok"
    wait_for(inside_count_is(east, 1))
    assert east.scan(ticket.qr)["reason"] == "already_scanned"  # its side knows it
    assert north.client.get("/api/v1/alerts").json()["double_admissions"] == []

    # The partition heals: every gate comes back able to reach the other two.
    for i, gate in enumerate(gates):
        gate.process.stop()
        others = [url[j] for j in range(3) if j != i and url[j] not in sides[i]]
        gate.process.argv += [a for u in others for a in ("--peer", u)]
        gate.restart()
    for gate in gates:
        wait_for(double_admissions_are(gate, 1))
    verdicts = [g.client.get("/api/v1/alerts").json()["double_admissions"] for g in gates]
    assert verdicts[0] == verdicts[1] == verdicts[2]
    [verdict] = verdicts[0]
    assert verdict["ticket_id"] == str(ticket.ticket_id)
    assert {verdict["stands"]["gate"], verdict["double"]["gate"]} == {"north", "south"}


def test_a_gate_whose_clock_is_far_off_is_flagged(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    ports = [free_port() for _ in range(3)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    names = ("north", "south", "late")
    gates = []
    for i, name in enumerate(names):
        peers = [arg for j, url in enumerate(urls) if j != i for arg in ("--peer", url)]
        offset = {"VOELGOED_CLOCK_OFFSET_S": "-120"} if name == "late" else None
        gates.append(
            start_gate(name, port=ports[i], extra_args=venue_args(tmp_path, *peers), env=offset)
        )
    north, _, late = gates
    wait_for(lambda: len(north.client.get("/api/v1/alerts").json()["clock_skew"]) == 1)
    [skew] = north.client.get("/api/v1/alerts").json()["clock_skew"]
    assert skew["gate"] == "late"
    assert -125_000 < skew["skew_ms"] < -115_000
    wait_for(lambda: late.status()["clock_suspect"] is True)
    assert north.status()["clock_suspect"] is False
    # Order still holds: a ticket admitted at north is refused at the late gate.
    ticket = demo.take()
    north.scan(ticket.qr)
    wait_for(inside_count_is(late, 1))
    assert late.scan(ticket.qr)["reason"] == "already_scanned"


def test_the_dashboard_lists_every_gate_with_its_sync_state(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    north, south = pair(start_gate, tmp_path)
    south.scan(demo.take().qr)

    def panel() -> dict[str, object]:
        peers = north.client.get("/api/v1/dashboard").json()["peers"]
        return {p["name"]: (p["sync"], p["state"]) for p in peers}

    wait_for(lambda: panel().get("south") == ("replicating", "scanning"))
    assert panel()["north"] == ("this gate", "quiet")  # south scans, north has not
    south.process.kill()
    wait_for(lambda: panel()["south"][0] == "unreachable")  # type: ignore[index]


def test_every_gate_reports_the_same_state_for_each_gate(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    ports = [free_port() for _ in range(3)]
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    gates = []
    for i, name in enumerate(("north", "south", "east")):
        peers = [arg for j, url in enumerate(urls) if j != i for arg in ("--peer", url)]
        gates.append(start_gate(name, port=ports[i], extra_args=venue_args(tmp_path, *peers)))
    north, south, _ = gates
    north.scan(demo.take().qr)
    south.scan(demo.take().qr)  # east scans nothing

    def dashboards() -> list[dict[str, Any]]:
        return [g.client.get("/api/v1/dashboard").json() for g in gates]

    def settled() -> bool:
        views = dashboards()
        return all(
            v["totals"]["admitted"] == 2 and {p["name"] for p in v["peers"]} == set(NAMES)
            for v in views
        )

    wait_for(settled, timeout=15)
    views = dashboards()
    panels = [{p["name"]: (p["state"], p["last_scan_at"]) for p in v["peers"]} for v in views]
    assert panels[0] == panels[1] == panels[2]
    assert {name: state for name, (state, _) in panels[0].items()} == {
        "north": "scanning",
        "south": "scanning",
        "east": "quiet",
    }
    assert panels[0]["east"][1] is None  # never scanned, on every gate's dashboard
    quiet = [sorted(a["gate"] for a in v["alerts"] if a["kind"] == "gate_quiet") for v in views]
    assert quiet == [["east"], ["east"], ["east"]]
    # Only this gate's own view differs: which entry is itself.
    assert [[p["name"] for p in v["peers"] if p["this_gate"]] for v in views] == [
        ["north"],
        ["south"],
        ["east"],
    ]
