"""Blocking a lost or stolen ticket (with a reason the gate shows), unblocking it, and the
date checks of new event dates, through the JSON API and at a real gate."""

from __future__ import annotations

from pathlib import Path

from contract.event_package import decode_package
from tests.integration.conftest import GateFactory
from tests.integration.hub.conftest import OrgFactory
from tests.integration.hub.seated_event import build_seated_event, ok


def test_a_blocked_ticket_is_refused_at_the_gate_with_its_reason(
    make_org: OrgFactory, start_gate: GateFactory, tmp_path: Path
) -> None:
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    lost, found, kept = ok(
        org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id, "quantity": 3}),
        201,
    )
    status = f"{base}/tickets/{{}}/status"

    # A block needs a reason: the gate shows it.
    refused = org.api.put(status.format(lost["id"]), json={"status": "blocked", "reason": "  "})
    assert refused.status_code == 422
    assert "say why the ticket is blocked" in refused.json()["error"]["message"]
    too_long = org.api.put(
        status.format(lost["id"]), json={"status": "blocked", "reason": "x" * 101}
    )
    assert too_long.status_code == 422
    blocked = ok(
        org.api.put(status.format(lost["id"]), json={"status": "blocked", "reason": "stolen"})
    )
    assert (blocked["status"], blocked["status_reason"]) == ("blocked", "stolen")
    ok(org.api.put(status.format(found["id"]), json={"status": "blocked", "reason": "lost"}))
    unblocked = ok(org.api.put(status.format(found["id"]), json={"status": "valid"}))
    assert (unblocked["status"], unblocked["status_reason"]) == ("valid", "")
    assert (
        org.api.put(
            status.format(found["id"]), json={"status": "valid", "reason": "found"}
        ).status_code
        == 422
    )

    audit = ok(org.api.get("/api/v1/audit"))
    assert [e["action"] for e in audit[:3]] == ["ticket.valid", "ticket.blocked", "ticket.blocked"]
    assert audit[2]["detail"] == {"event": "Opening night", "was": "valid", "reason": "stolen"}
    assert audit[0]["detail"] == {"event": "Opening night", "was": "blocked"}

    package = org.api.get(f"{base}/package").content
    blocks = decode_package(package).blocks
    assert [(str(b.ticket_id), b.reason) for b in blocks] == [(lost["id"], "stolen")]
    path = tmp_path / "event.vgpkg"
    path.write_bytes(package)
    gate = start_gate("north", package=path)
    scanned = gate.scan(lost["token"])
    assert scanned["reason"] == "blocked"
    assert "stolen" in str(scanned["message"])
    assert gate.scan(found["token"])["status"] == "ok"
    assert gate.scan(kept["token"])["status"] == "ok"


def test_a_date_in_the_past_needs_allow_past(make_org: OrgFactory) -> None:
    org = make_org()
    ev = build_seated_event(org.api, publish=False)
    sessions = f"/api/v1/events/{ev.event_id}/sessions"
    last_year = {"starts_at": "2020-03-01T16:00:00Z", "ends_at": "2020-03-01T20:00:00Z"}
    refused = org.api.post(sessions, json=last_year)
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "date_in_past"
    assert "Sun 01 Mar 2020, 18:00 SAST" in error["message"]
    assert "allow_past" in error["message"]
    assert len(ok(org.api.get(sessions))) == 1
    made = ok(org.api.post(sessions, json={**last_year, "allow_past": True}), 201)
    assert made["starts_at"].startswith("2020-03-01T16:00:00")
    assert "allow_past" not in made  # the answer is the date, as before
    # A date that started a minute ago is in the past too; one in a minute is not.
    assert (
        org.api.post(
            sessions, json={"starts_at": "2031-01-01T00:00:00Z", "ends_at": "2031-01-02T00:00:00Z"}
        ).status_code
        == 201
    )


def test_the_openapi_document_describes_the_new_fields(make_org: OrgFactory) -> None:
    org = make_org()
    document = ok(org.api.get("/api/v1/openapi.json"))
    schemas = document["components"]["schemas"]
    assert schemas["SessionIn"]["properties"]["allow_past"] == {"type": "boolean", "default": False}
    assert "allow_past" in schemas["SessionIn"]["description"]
    assert schemas["TicketStatusChange"]["properties"]["reason"]["maxLength"] == 100
    assert "status_reason" in schemas["TicketOut"]["required"]
    assert "venue's" in schemas["EventIn"]["description"]
