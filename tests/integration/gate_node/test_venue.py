"""Gates of one venue replicating scans with sync/: real gate processes on loopback."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.integration.conftest import DemoFixture, Gate, GateFactory
from voelgoed.processes import free_port


def wait_for(condition: object, timeout: float = 10.0) -> float:
    started = time.monotonic()
    while not condition():  # type: ignore[operator]
        assert time.monotonic() - started < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - started


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
