"""The hub's event package is what a gate loads: its tickets scan at a real gate."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from contract.event_package import decode_package
from hub.roles import Role
from tests.integration.conftest import GateFactory
from tests.integration.hub.conftest import Hub, OrgFactory
from tests.integration.hub.seated_event import build_seated_event, ok
from tests.integration.hub.web_user import sign_in
from voelgoed.processes import voelgoed_command


def test_gate_scans_tickets_exported_by_the_hub(
    hub: Hub, make_org: OrgFactory, start_gate: GateFactory, tmp_path: Path
) -> None:
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    seated = ok(
        org.api.post(
            f"{base}/tickets",
            json={
                "ticket_type_id": ev.ticket_type_id,
                "seat_ids": ev.seat_ids[:2],
                "holder": "Thandi Nkosi",
            },
        ),
        201,
    )
    standing = ok(
        org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id, "quantity": 2}),
        201,
    )
    ok(org.api.put(f"{base}/tickets/{standing[1]['id']}/status", json={"status": "revoked"}))
    # Door staff export the package; a tech can also write it from the database.
    door = org.client(Role.DOOR_STAFF)
    response = door.get(f"{base}/package")
    assert response.status_code == 200
    from_api = decode_package(response.content)
    out = tmp_path / "event.vgpkg"
    subprocess.run(
        voelgoed_command(
            "hub",
            "export-event",
            ev.event_id,
            "--out",
            str(out),
            "--database-url",
            hub.database_url,
            "--data",
            str(hub.data_dir),
        ),
        check=True,
        capture_output=True,
    )
    package_path = tmp_path / "api.vgpkg"
    package_path.write_bytes(response.content)
    assert {t.id for t in decode_package(out.read_bytes()).tickets} == {
        t.id for t in from_api.tickets
    }
    assert len(from_api.tickets) == 4
    assert all(k.public_key for k in from_api.keys)

    gate = start_gate("north", package=package_path)
    first = gate.scan(seated[0]["token"])
    assert first["status"] == "ok", first
    assert first["ticket"]["seat"] == "Floor A1"  # type: ignore[index]
    assert first["ticket"]["holder"] == "Thandi Nkosi"  # type: ignore[index]
    assert first["ticket"]["type_name"] == "Stalls"  # type: ignore[index]
    assert gate.scan(seated[0]["token"])["reason"] == "already_scanned"
    assert gate.scan(standing[0]["token"])["status"] == "ok"
    assert gate.scan(standing[1]["token"])["reason"] == "revoked"


def test_rotated_keys_keep_old_tickets_valid_at_the_gate(
    make_org: OrgFactory, start_gate: GateFactory, tmp_path: Path
) -> None:
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    before = ok(org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id}), 201)
    rotated = ok(org.api.post(f"{base}/keys/rotate", json={}), 201)
    assert rotated["key"]["key_id"] == 2
    after = ok(org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id}), 201)
    keys = ok(org.api.get(f"{base}/keys"))
    assert [k["key_id"] for k in keys] == [1, 2]
    assert keys[0]["retired_at"] is not None
    assert keys[1]["retired_at"] is None
    package_path = tmp_path / "event.vgpkg"
    package_path.write_bytes(org.api.get(f"{base}/package").content)
    gate = start_gate("south", package=package_path)
    assert gate.scan(before[0]["token"])["status"] == "ok"
    assert gate.scan(after[0]["token"])["status"] == "ok"
    audit = ok(org.api.get("/api/v1/audit"))
    assert any(e["action"] == "event.key_rotated" for e in audit)


def test_a_compromised_key_is_refused_and_its_tickets_are_resigned(
    make_org: OrgFactory, start_gate: GateFactory, tmp_path: Path
) -> None:
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    old = ok(org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id}), 201)
    rotated = ok(org.api.post(f"{base}/keys/rotate", json={"compromised": True}), 201)
    assert rotated["resigned_tickets"] == 1
    keys = ok(org.api.get(f"{base}/keys"))
    assert keys[0]["revoked_at"] is not None
    reissued = ok(org.api.get(f"{base}/tickets"))
    assert reissued[0]["id"] == old[0]["id"]
    assert reissued[0]["token"] != old[0]["token"]
    package_path = tmp_path / "event.vgpkg"
    package_path.write_bytes(org.api.get(f"{base}/package").content)
    gate = start_gate("east", package=package_path)
    assert gate.scan(old[0]["token"])["status"] == "rejected"
    assert gate.scan(reissued[0]["token"])["status"] == "ok"


def test_the_organisers_door_policy_reaches_the_gate(
    hub: Hub, make_org: OrgFactory, start_gate: GateFactory, tmp_path: Path
) -> None:
    """An event years away: the default warns at the door; the organiser's reject refuses."""
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    event = ok(org.api.get(base))
    assert (event["door_opens_minutes"], event["door_policy"]) == (120, "warn")
    issued = ok(
        org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id, "quantity": 2}),
        201,
    )
    warned = tmp_path / "warn.vgpkg"
    warned.write_bytes(ok_bytes(org.api.get(f"{base}/package")))
    assert decode_package(warned.read_bytes()).event.door_policy == "warn"
    gate = start_gate("north", package=warned)
    answer = gate.scan(issued[0]["token"])
    assert answer["status"] == "ok"
    assert answer["warning"] == "outside_door_window"
    assert answer["message"] == (
        "Admitted. Ticket for another date: doors open 2031-03-01 18:00 SAST."
    )

    # The organiser turns tickets away outside a window opening an hour before, in the form.
    web = sign_in(hub, org.admin_email)
    page = web.client.get(f"/o/{org.slug}/events/{ev.event_id}")
    assert 'name="door_policy"' in page.text
    refused = web.post(
        f"/o/{org.slug}/events/{ev.event_id}",
        {"name": "Opening night", "door_opens_minutes": "a week", "door_policy": "reject"},
    )
    assert refused.status_code == 422
    assert "Doors open: use a whole number of minutes from 0 to 10080" in refused.text
    saved = web.post(
        f"/o/{org.slug}/events/{ev.event_id}",
        {"name": "Opening night", "door_opens_minutes": "60", "door_policy": "reject"},
    )
    assert saved.status_code == 303, saved.text
    assert "turn tickets away" in web.client.get(f"/o/{org.slug}/events/{ev.event_id}").text
    bad = org.api.patch(base, json={"door_policy": "maybe"})
    assert bad.status_code == 422
    assert "door_policy" in bad.text

    rejecting = tmp_path / "reject.vgpkg"
    rejecting.write_bytes(ok_bytes(org.api.get(f"{base}/package")))
    package = decode_package(rejecting.read_bytes())
    assert (package.event.door_opens_minutes, package.event.door_policy) == (60, "reject")
    south = start_gate("south", package=rejecting)
    refused_scan = south.scan(issued[1]["token"])
    assert (refused_scan["status"], refused_scan["reason"]) == ("rejected", "invalid_time")
    assert refused_scan["message"] == "Ticket for another date: doors open 2031-03-01 19:00 SAST."
    status = south.status()
    assert status["door"] == {
        "opens_at": "2031-03-01T17:00:00.000Z",
        "closes_at": "2031-03-01T23:00:00.000Z",
        "policy": "reject",
    }


def ok_bytes(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    return response.content
