"""The hub and the gates as one system, as a tech and an organiser meet it: gates enrolled
with `voelgoed gate enrol`, served by a hub of two worker processes behind one port, tickets
and revocations reaching running gates, scans reaching the hub once, revoked devices refused
by the hub and by the other gates, and a hub that goes away and comes back."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from gate_node.device_identity import load_identity
from sync.transport import encode_versions
from tests.integration.hub.conftest import (
    Hub,
    Org,
    _server_url,
    fresh_database,
    new_org,
    serve_hub,
    stop_hub,
)
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

GATES = ("north", "south", "east")


def until(check: Callable[[], bool], what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.05)


@dataclass
class Gate:
    name: str
    data: Path
    port: int
    device_id: str
    process: ServerProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def scan(self, code: str) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.post(
            f"{self.url}/api/v1/scan", json={"code": code}, timeout=10
        ).json()
        return answer

    def status(self) -> dict[str, Any]:
        status: dict[str, Any] = httpx.get(f"{self.url}/api/v1/status", timeout=10).json()
        return status


def _serves(gate: Gate) -> bool:
    return gate.status().get("event") is not None


def _hub_reachable(gate: Gate) -> bool:
    return gate.status()["hub"]["reachable"] is True


def _answers(gate: Gate, code: str, reasons: set[str | None]) -> bool:
    return gate.scan(code).get("reason") in reasons


def enrol(hub_url: str, token: str, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voelgoed_command(
            "gate", "enrol", "--hub", hub_url, "--token", token, "--data", str(data), *extra
        ),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def start_gate(gate: Gate, peers: list[Gate]) -> None:
    argv = voelgoed_command(
        "gate",
        "serve",
        "--data",
        str(gate.data),
        "--port",
        str(gate.port),
        "--log-level",
        "warning",
    )
    for peer in peers:
        argv += ["--peer", peer.url]
    gate.process = ServerProcess(argv, gate.port, log_path=gate.data / "gate.log").start(timeout=60)


@dataclass
class System:
    hub: Hub
    org: Org
    event: SeatedEvent
    gates: list[Gate]
    database_url: str
    hub_port: int

    def issue(self, holder: str) -> dict[str, Any]:
        body = {"ticket_type_id": self.event.general_type_id, "holder": holder, "quantity": 1}
        issued: list[dict[str, Any]] = ok(
            self.org.api.post(f"/api/v1/events/{self.event.event_id}/tickets", json=body), 201
        )
        return issued[0]

    def revoke(self, ticket_id: str) -> None:
        ok(
            self.org.api.put(
                f"/api/v1/events/{self.event.event_id}/tickets/{ticket_id}/status",
                json={"status": "revoked", "reason": "refunded"},
            )
        )

    def scans_at_hub(self) -> list[asyncpg.Record]:
        async def read() -> list[asyncpg.Record]:
            conn = await asyncpg.connect(self.database_url)
            try:
                rows: list[asyncpg.Record] = await conn.fetch(
                    "SELECT id, ticket_id, status FROM gate_scan WHERE event_id = $1",
                    uuid.UUID(self.event.event_id),
                )
                return rows
            finally:
                await conn.close()

        return asyncio.run(read())


def _serve(database_url: str, data: Path, port: int) -> Hub:
    data.mkdir(parents=True, exist_ok=True)
    return serve_hub(database_url, data, "--workers", "2", port=port)


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    root = tmp_path_factory.mktemp("one-system")
    with fresh_database(_server_url(root), "vg_one") as database_url:
        port = free_port()
        hub = _serve(database_url, root / "hub", port)
        org = new_org(hub, "One system")
        event = build_seated_event(org.api)
        gates = []
        for name in GATES:
            device = ok(
                org.api.post(
                    "/api/v1/devices",
                    json={
                        "name": f"Pi {name}",
                        "venue_id": event.venue_id,
                        "event_ids": [event.event_id],
                        "gate": name,
                    },
                ),
                201,
            )
            data = root / name
            done = enrol(hub.url, device["enrolment"]["token"], data)
            assert done.returncode == 0, done.stderr
            gates.append(Gate(name, data, free_port(), device["device"]["id"]))
        for gate in gates:
            start_gate(gate, [g for g in gates if g is not gate])
        system = System(hub, org, event, gates, database_url, port)
        try:
            for gate in gates:
                until(functools.partial(_serves, gate), f"{gate.name} fills from the hub")
            yield system
        finally:
            for gate in gates:
                if gate.process is not None:
                    gate.process.stop()
            # The org's client belongs to the first hub process (the outage test starts
            # another on the same port): closed here, whichever hub is running.
            for client in hub.clients:
                client.close()
            stop_hub(system.hub)


def test_enrolled_gates_serve_the_hubs_event_from_a_hub_of_two_workers(system: System) -> None:
    for gate in system.gates:
        status = gate.status()
        assert status["event"]["id"] == system.event.event_id
        assert status["gate"] == gate.name
        until(functools.partial(_hub_reachable, gate), "the hub link is up")
    devices = ok(system.org.api.get(f"/api/v1/devices?event_id={system.event.event_id}"))
    assert {d["state"] for d in devices} == {"active"}
    until(
        lambda: all(
            d["last_seen_at"] is not None and d["software_version"]
            for d in ok(system.org.api.get(f"/api/v1/devices?event_id={system.event.event_id}"))
        ),
        "the device list shows when each gate was last heard from",
    )


def test_a_ticket_issued_at_the_hub_scans_and_its_revocation_is_refused_everywhere(
    system: System,
) -> None:
    ticket = system.issue("Issued live")
    north = system.gates[0]
    until(lambda: north.scan(ticket["token"])["status"] == "ok", "the new ticket scans")
    system.revoke(ticket["id"])
    for gate in system.gates:
        until(
            functools.partial(_answers, gate, ticket["token"], {"revoked"}),
            f"{gate.name} refuses the revoked ticket",
            timeout=10,
        )
    # The admission and the refusals reached the hub, each scan once.
    until(
        lambda: (
            sum(1 for r in system.scans_at_hub() if r["ticket_id"] == uuid.UUID(ticket["id"])) >= 4
        ),
        "the scans reach the hub",
    )
    rows = system.scans_at_hub()
    assert len({r["id"] for r in rows}) == len(rows)


def test_a_relabelled_seat_and_a_renamed_venue_reach_running_gates(system: System) -> None:
    event = system.event
    seat_id = event.seat_ids[-1]
    body = {"ticket_type_id": event.ticket_type_id, "holder": "Seated", "seat_ids": [seat_id]}
    ticket = ok(system.org.api.post(f"/api/v1/events/{event.event_id}/tickets", json=body), 201)[0]
    ok(
        system.org.api.patch(
            f"/api/v1/layouts/{event.layout_id}/seats",
            json={"seat_ids": [seat_id], "labels": {seat_id: "Z99"}},
        )
    )
    ok(system.org.api.patch(f"/api/v1/venues/{event.venue_id}", json={"name": "New Hall"}))
    north = system.gates[0]
    until(lambda: north.status()["event"]["venue"] == "New Hall", "the venue's new name arrives")

    def seat_shown() -> str:
        with sqlite3.connect(f"file:{north.data / 'replica.sqlite3'}?mode=ro", uri=True) as db:
            row = db.execute("SELECT seat FROM tickets WHERE id = ?", (ticket["id"],)).fetchone()
        return "" if row is None else str(row[0])

    until(lambda: seat_shown().endswith("Z99"), "the seat's new label arrives")
    answer = north.scan(ticket["token"])
    assert answer["status"] == "ok", answer
    assert answer["ticket"]["seat"].endswith("Z99"), answer


def test_scans_made_while_the_hub_is_down_upload_once_when_it_is_back(system: System) -> None:
    tickets = [system.issue(f"Outage guest {i}") for i in range(12)]
    system.hub.process.stop()  # its clients (the org's API client) work again once it is back
    admitted = []
    for i, ticket in enumerate(tickets):
        answer = system.gates[i % 3].scan(ticket["token"])
        assert answer["status"] == "ok", answer
        admitted.append(ticket["id"])
    assert all(g.status()["hub"]["reachable"] is False for g in system.gates)
    system.hub = _serve(system.database_url, system.hub.data_dir, system.hub_port)

    def uploaded() -> bool:
        at_hub = {str(r["ticket_id"]) for r in system.scans_at_hub() if r["status"] == "ok"}
        return set(admitted) <= at_hub

    until(uploaded, "every scan made during the outage reaches the hub", timeout=30)
    rows = system.scans_at_hub()
    assert len({r["id"] for r in rows}) == len(rows)
    ok_rows = [r for r in rows if r["status"] == "ok" and str(r["ticket_id"]) in admitted]
    assert len(ok_rows) == len(admitted)  # once each: no doubles


def test_a_gate_killed_mid_upload_uploads_the_rest_once_when_it_is_back(system: System) -> None:
    tickets = [system.issue(f"Kill guest {i}") for i in range(25)]
    east = system.gates[2]
    # A ticket signed with the event's key is admitted whether or not its row has arrived.
    admitted = [t["id"] for t in tickets if east.scan(t["token"])["status"] == "ok"]
    assert len(admitted) == len(tickets)
    assert east.process is not None
    east.process.kill()  # as a power cut would, while its pushes are under way
    start_gate(east, [g for g in system.gates if g is not east])
    until(functools.partial(_serves, east), "east serves again")

    def uploaded() -> bool:
        at_hub = {str(r["ticket_id"]) for r in system.scans_at_hub() if r["status"] == "ok"}
        return set(admitted) <= at_hub

    until(uploaded, "every acknowledged scan reaches the hub", timeout=30)
    rows = system.scans_at_hub()
    assert len({r["id"] for r in rows}) == len(rows)
    ok_rows = [r for r in rows if r["status"] == "ok" and str(r["ticket_id"]) in admitted]
    assert len(ok_rows) == len(admitted)


def test_a_revoked_device_is_refused_by_the_hub_and_by_the_other_gates(system: System) -> None:
    north, south, east = system.gates
    identity = load_identity(east.data)
    assert identity is not None
    sign = identity.signer()
    hub_path = f"/sync/events/{system.event.event_id}/versions"

    def answer(base: str, path: str) -> int:
        body = encode_versions({})
        headers = {**sign("POST", path, body), "content-type": "application/msgpack"}
        return httpx.post(base + path, content=body, headers=headers, timeout=10).status_code

    assert answer(system.hub.url, hub_path) == 200
    assert answer(north.url, "/sync/versions") == 200
    ok(system.org.api.post(f"/api/v1/devices/{east.device_id}/revoke"))
    assert answer(system.hub.url, hub_path) == 401
    until(lambda: answer(north.url, "/sync/versions") == 401, "north refuses east", timeout=10)
    until(lambda: answer(south.url, "/sync/versions") == 401, "south refuses east", timeout=10)


def test_a_replayed_or_tampered_request_is_refused_by_the_hub(system: System) -> None:
    identity = load_identity(system.gates[0].data)
    assert identity is not None
    path = f"/sync/events/{system.event.event_id}/pull"
    body = encode_versions({})
    headers = {**identity.signer()("POST", path, body), "content-type": "application/msgpack"}
    first = httpx.post(system.hub.url + path, content=body, headers=headers, timeout=10)
    assert first.status_code == 200
    # The same request again, whichever worker takes it: the nonce was seen.
    for _ in range(3):
        again = httpx.post(system.hub.url + path, content=body, headers=headers, timeout=10)
        assert again.status_code == 401
        assert "replayed" in msgspec.msgpack.decode(again.content)["detail"]
    fresh = {**identity.signer()("POST", path, body), "content-type": "application/msgpack"}
    tampered = httpx.post(system.hub.url + path, content=body + b"\x00", headers=fresh, timeout=10)
    assert tampered.status_code == 401


def test_enrolment_refusals_are_one_sentence_and_an_exit_status(
    system: System, tmp_path: Path
) -> None:
    device = ok(
        system.org.api.post(
            "/api/v1/devices",
            json={
                "name": "Spare Pi",
                "venue_id": system.event.venue_id,
                "event_ids": [system.event.event_id],
                "gate": "north",
            },
        ),
        201,
    )
    token = device["enrolment"]["token"]
    version, hub_id, secret = token.split(".")
    foreign = enrol(system.hub.url, f"{version}.{'0' * len(hub_id)}.{secret}", tmp_path / "f")
    assert foreign.returncode == 14, foreign.stderr
    unknown = enrol(system.hub.url, f"{version}.{hub_id}.{'A' * len(secret)}", tmp_path / "u")
    assert unknown.returncode == 10, unknown.stderr
    assert enrol(system.hub.url, token, tmp_path / "good").returncode == 0
    reused = enrol(system.hub.url, token, tmp_path / "again")
    assert reused.returncode == 11, reused.stderr
    assert len(reused.stderr.strip().splitlines()) == 1
    unreachable = enrol(f"http://127.0.0.1:{free_port()}", token, tmp_path / "x")
    assert unreachable.returncode == 4, unreachable.stderr
    for refused in ("f", "u", "again", "x"):
        assert not (tmp_path / refused / "device.key").exists()
