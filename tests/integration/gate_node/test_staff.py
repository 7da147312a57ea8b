"""Door staff at a real gate: PIN sign-in, who may scan, supervisors' annul and override."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx

from gate_node import replica
from tests.integration.conftest import DemoFixture, Gate, GateFactory, add_staff
from voelgoed.processes import voelgoed_command


@contextlib.contextmanager
def sign_in(gate: Gate, pin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gate.url, timeout=10) as client:
        response = client.post("/api/v1/staff/sign-in", json={"pin": pin})
        assert response.status_code == 200, response.text
        assert "vg_session" in client.cookies
        yield client


def staffed_gate(start_gate: GateFactory, tmp_path: Path, *args: str) -> Gate:
    data = tmp_path / "staffed"
    replica.open_replica(data).close()
    add_staff(data, "Thandi", "steward", "1111")
    add_staff(data, "Johan", "supervisor", "2222")
    return start_gate("gate-1", data_dir=data, extra_args=args)


def test_sign_in_me_and_sign_out(start_gate: GateFactory, tmp_path: Path) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    with sign_in(gate, "1111") as steward:
        me = steward.get("/api/v1/staff/me").json()
        assert (me["name"], me["role"]) == ("Thandi", "steward")
        steward.post("/api/v1/staff/sign-out")
        assert steward.get("/api/v1/staff/me").json()["error"]["code"] == "not_signed_in"


def test_wrong_pins_are_refused_then_throttled(start_gate: GateFactory, tmp_path: Path) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    codes = [
        gate.client.post("/api/v1/staff/sign-in", json={"pin": "9999"}).json()["error"]["code"]
        for _ in range(6)
    ]
    assert codes == ["bad_pin"] * 5 + ["too_many_attempts"]
    # Even the right PIN waits now: guessing is what the throttle stops.
    right = gate.client.post("/api/v1/staff/sign-in", json={"pin": "1111"})
    assert right.status_code == 429


def test_scans_need_a_session_when_sign_in_is_required(
    start_gate: GateFactory, tmp_path: Path, demo: DemoFixture
) -> None:
    gate = staffed_gate(start_gate, tmp_path, "--require-sign-in")
    code = demo.take().qr
    anonymous = gate.client.post("/api/v1/scan", json={"code": code})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_signed_in"
    assert gate.status()["scans"]["total"] == 0  # type: ignore[index]
    with sign_in(gate, "1111") as steward:
        answer = steward.post("/api/v1/scan", json={"code": code, "device": "phone-7"}).json()
        assert answer["status"] == "ok"
    conn = replica.open_replica(gate.data_dir)
    row = conn.execute("SELECT device, staff_id IS NOT NULL FROM scans").fetchone()
    assert row == ("phone-7", 1)


def test_supervisor_annuls_an_admission_and_the_ticket_counts_as_outside(
    start_gate: GateFactory, tmp_path: Path, demo: DemoFixture
) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    code = demo.take().qr
    admitted = gate.scan(code)
    assert gate.status()["inside"] == 1
    path = f"/api/v1/scans/{admitted['scan_id']}/annul"

    assert gate.client.post(path, json={"reason": "x"}).json()["error"]["code"] == "not_signed_in"
    with sign_in(gate, "1111") as steward:
        assert steward.post(path, json={"reason": "x"}).json()["error"]["code"] == "forbidden"
    with sign_in(gate, "2222") as supervisor:
        done = supervisor.post(path, json={"reason": "scanned the wrong ticket"})
        assert done.status_code == 200, done.text
        assert done.json()["annulled_by"] == "Johan"
        again = supervisor.post(path, json={"reason": "twice"})
        assert again.json()["error"]["code"] == "already_done"
        unknown = supervisor.post("/api/v1/scans/nope/annul", json={"reason": "x"})
        assert unknown.json()["error"]["code"] == "unknown_scan"
    assert gate.status()["inside"] == 0
    assert gate.scan(code)["message"] == "Admitted."  # as if the first admission never was


def test_supervisor_admits_over_a_rejection_with_a_reason(
    start_gate: GateFactory, tmp_path: Path, demo: DemoFixture
) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    code = demo.take("VIP").qr
    refused = gate.scan(code)
    assert refused["reason"] == "product"
    path = f"/api/v1/scans/{refused['scan_id']}/override"
    with sign_in(gate, "2222") as supervisor:
        assert supervisor.post(path, json={"reason": ""}).status_code == 422
        answer = supervisor.post(path, json={"reason": "VIP gate closed, sent here"}).json()
        assert answer["status"] == "ok"
        assert answer["message"] == "Admitted by Johan: VIP gate closed, sent here"
        # The admission names the holder (and seat, type) the rejection named.
        assert answer["ticket"] == refused["ticket"]
        assert answer["ticket"]["holder"]
        assert supervisor.post(path, json={"reason": "x"}).json()["error"]["code"] == "already_done"
        not_rejected = supervisor.post(
            f"/api/v1/scans/{answer['scan_id']}/override", json={"reason": "x"}
        )
        assert not_rejected.json()["error"]["code"] == "not_rejected"
    assert gate.status()["inside"] == 1
    # The override admitted the ticket: at its own gate it is now inside already.
    assert gate.scan(code, gate="vip")["reason"] == "already_scanned"
    conn = replica.open_replica(gate.data_dir)
    actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("override") == 1
    assert actions.count("sign_in") == 1


def test_disabled_staff_lose_their_session(start_gate: GateFactory, tmp_path: Path) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    with sign_in(gate, "2222") as supervisor:
        result = subprocess.run(
            voelgoed_command("gate", "staff", "disable", "--data", str(gate.data_dir), "Johan"),
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert supervisor.get("/api/v1/staff/me").status_code == 401


def test_staff_cli_refuses_bad_pins_and_duplicates(tmp_path: Path) -> None:
    def add(pin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            voelgoed_command(
                "gate", "staff", "add", "--data", str(tmp_path), "--name", "A", "--pin", pin
            ),
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert add("12").returncode == 2
    assert "4 to 12 digits" in add("12ab").stderr
    assert add("123456").returncode == 0
    duplicate = add("123456")
    assert duplicate.returncode == 2
    assert "already in use" in duplicate.stderr
