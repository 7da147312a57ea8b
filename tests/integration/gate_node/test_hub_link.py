"""An enrolled gate process replicating with a stand-in for the hub's sync routes
(standin_hub.py: sync.transport's routes over a real SQLite replica, device-signed, which
can fail on demand; tests/integration/hub/test_one_system.py runs the real hub): pushes after
scans, pulls, backoff while the hub is down, and everything uploaded once it is back."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.integration.conftest import DemoFixture, GateFactory
from tests.integration.gate_node.conftest import Site, hub_link, hub_scans, wait_for
from voelgoed.processes import ServerProcess, free_port, voelgoed_command


def test_scans_reach_the_hub_in_batches_signed_by_the_device(
    site: Site, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate("north", data_dir=site.data)
    scan_ids = [str(gate.scan(demo.take().qr)["scan_id"]) for _ in range(20)]
    wait_for(lambda: set(scan_ids) <= hub_scans(site.hub), 5)
    pushes = [r for r in site.hub.sync_requests if r[1].endswith("/push")]
    # Twenty scans in a burst are a handful of pushes, not twenty.
    assert 1 <= len(pushes) <= 6
    device_id = next(iter(site.hub.devices))
    _, _, headers = pushes[-1]
    assert headers["x-device-id"] == device_id
    assert headers["x-software-version"] == "0.1.0"
    # The backlog is sent once a push has succeeded (before that the gate cannot know it).
    assert headers.get("x-replication-backlog", "0").isdigit()
    # The gate learns of its last push's success a moment after the hub applied it.
    wait_for(lambda: hub_link(gate)["backlog"] == 0)
    link = hub_link(gate)
    assert link["reachable"] is True
    assert link["url"] == f"{site.url}/sync/events/{demo.event.package.event.id}"
    assert isinstance(link["last_push_ms"], int)
    assert isinstance(link["clock_offset_ms"], int)
    assert abs(link["clock_offset_ms"]) < 2000
    panel = gate.client.get("/api/v1/dashboard").json()["peers"]
    [hub_entry] = [p for p in panel if p["name"].startswith("hub ")]
    assert hub_entry["name"] == f"hub {link['url']}"
    assert hub_entry["sync"] == "replicating"


def test_a_revocation_at_the_hub_reaches_the_running_gate(
    site: Site, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate("north", data_dir=site.data)
    ticket = demo.take()
    wait_for(lambda: hub_link(gate)["reachable"] is True)
    with site.hub.lock:
        site.hub.replica.connection.execute(
            "INSERT INTO revocations (ticket_id, reason, revoked_at) VALUES (?, ?, ?)",
            (str(ticket.ticket_id), "refunded", "2026-01-01T00:00:00Z"),
        )
    wait_for(lambda: hub_link(gate)["last_pull_ms"] is not None)
    time.sleep(2.5)  # two pulls
    answer = gate.scan(ticket.qr)
    assert answer["status"] == "rejected"
    assert answer["reason"] == "revoked"


def test_the_gate_keeps_scanning_while_the_hub_is_down_and_backs_off(
    site: Site, start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    gate = start_gate("north", data_dir=site.data)
    wait_for(lambda: hub_link(gate)["reachable"] is True)
    site.hub.refuse_sync = True
    down_at = time.monotonic()
    scan_ids = [str(gate.scan(demo.take().qr)["scan_id"]) for _ in range(3)]
    wait_for(lambda: hub_link(gate)["reachable"] is False)
    time.sleep(11 - (time.monotonic() - down_at))
    link = hub_link(gate)
    assert "503" in str(link["last_error"])
    assert isinstance(link["backlog"], int)
    assert link["backlog"] >= 3
    late = [r for r in site.hub.sync_requests if r[0] > down_at + 6 and not r[2]]
    # Backed off to one attempt (a pull and a push) every 5 s, not one a second.
    assert len(late) <= 4, late
    assert not set(scan_ids) & hub_scans(site.hub)
    log = (tmp_path / "north.log").read_text()
    assert log.count("503") <= 2, log

    site.hub.refuse_sync = False
    wait_for(lambda: set(scan_ids) <= hub_scans(site.hub), 8)
    wait_for(lambda: hub_link(gate)["backlog"] == 0)
    assert hub_link(gate)["reachable"] is True
    assert hub_link(gate)["last_error"] is None


def test_a_hub_that_went_away_and_a_revoked_device(
    site: Site, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate("north", data_dir=site.data)
    wait_for(lambda: hub_link(gate)["reachable"] is True)
    site.stop_hub()
    scan_id = str(gate.scan(demo.take().qr)["scan_id"])
    wait_for(lambda: hub_link(gate)["reachable"] is False)
    assert "failed" in str(hub_link(gate)["last_error"])
    site.start_hub()
    wait_for(lambda: scan_id in hub_scans(site.hub), 8)

    # Revoked at the hub: its requests are refused, and the gate says what to do.
    site.hub.devices.clear()
    gate.scan(demo.take().qr)
    wait_for(lambda: hub_link(gate)["reachable"] is False)
    error = str(hub_link(gate)["last_error"])
    assert "refused this gate's signature" in error
    assert "voelgoed gate enrol --force" in error


def test_an_enrolled_gate_without_an_event_answers_why(site: Site, tmp_path: Path) -> None:
    port = free_port()
    process = ServerProcess(
        voelgoed_command("gate", "serve", "--data", str(site.data), "--port", str(port)),
        port,
        log_path=tmp_path / "empty.log",
    ).start()
    try:
        with httpx.Client(base_url=process.url, timeout=10) as client:
            answer = client.post("/api/v1/scan", json={"code": "VG1:anything"})
            assert answer.status_code == 503
            assert answer.json()["error"]["code"] == "no_event"
            wait_for(lambda: client.get("/api/v1/status").json()["hub"]["reachable"] is True)
            status = client.get("/api/v1/status").json()
            # The gate is the one the hub named at enrolment.
            assert status["gate"] == "north"
            assert status["event"] is None
    finally:
        process.stop()
