"""Supervisors find a ticket without its code (by holder, seat or ticket id) and admit it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gate_node import replica
from tests.integration.conftest import DemoFixture, Gate, GateFactory, add_staff

SEARCH = "/api/v1/supervision/search"


@contextlib.contextmanager
def signed_in(gate: Gate, pin: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gate.url, timeout=10) as client:
        assert client.post("/api/v1/staff/sign-in", json={"pin": pin}).status_code == 200
        yield client


@pytest.fixture
def gate(start_gate: GateFactory, tmp_path: Path) -> Gate:
    data = tmp_path / "gate-1"
    replica.open_replica(data).close()
    add_staff(data, "Thandi", "steward", "1111")
    add_staff(data, "Johan", "supervisor", "2222")
    return start_gate("gate-1", data_dir=data)


def admit_path(ticket_id: str) -> str:
    return f"/api/v1/supervision/tickets/{ticket_id}/admit"


def test_search_and_admit_need_a_supervisor(gate: Gate, demo: DemoFixture) -> None:
    ticket = demo.take()
    # Not even the kiosk on loopback: names are for supervisors.
    assert gate.client.get(SEARCH, params={"q": "Thandi"}).status_code == 401
    anonymous = gate.client.post(admit_path(str(ticket.ticket_id)), json={"reason": "ID seen"})
    assert anonymous.status_code == 401
    with signed_in(gate, "1111") as steward:
        refused = steward.get(SEARCH, params={"q": "Thandi"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
        admit = steward.post(admit_path(str(ticket.ticket_id)), json={"reason": "ID seen"})
        assert admit.status_code == 403
    assert gate.status()["scans"]["total"] == 0  # type: ignore[index]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({}, "at least 2 characters"),
        ({"q": ""}, "at least 2 characters"),
        ({"q": "  a  "}, "at least 2 characters"),
        ({"q": "Th\x00andi"}, "control characters"),
        ({"q": "x" * 101}, "at most 100 characters"),
        ({"q": "x" * 20_000}, "at most 100 characters"),
        ({"q": "Thandi", "limit": "0"}, "limit"),
        ({"q": "Thandi", "limit": "51"}, "limit"),
        ({"q": "Thandi", "limit": "ten"}, "limit"),
        ({"q": "Thandi", "limit": "-1"}, "limit"),
    ],
    ids=[
        "missing",
        "empty",
        "one letter",
        "NUL",
        "101",
        "huge",
        "limit 0",
        "limit 51",
        "limit ten",
        "limit -1",
    ],
)
def test_bad_searches_are_refused_in_words(gate: Gate, params: dict[str, str], words: str) -> None:
    with signed_in(gate, "2222") as supervisor:
        response = supervisor.get(SEARCH, params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_query"
    assert words in error["message"]


def test_search_finds_by_name_seat_and_ticket_id_with_each_tickets_state(
    gate: Gate, demo: DemoFixture
) -> None:
    inside = demo.take()
    revoked = demo.take(state="revoked")
    seated = demo.take("Seated")
    gate.scan(inside.qr)
    with signed_in(gate, "2222") as supervisor:
        by_name = supervisor.get(SEARCH, params={"q": inside.holder.upper(), "limit": "50"}).json()
        found = {t["id"]: t for t in by_name["tickets"]}
        assert str(inside.ticket_id) in found or by_name["truncated"]
        for t in by_name["tickets"]:
            assert inside.holder.lower() in t["holder"].lower()

        by_id = supervisor.get(SEARCH, params={"q": str(inside.ticket_id)[:8]}).json()
        [me] = [t for t in by_id["tickets"] if t["id"] == str(inside.ticket_id)]
        assert (me["holder"], me["type_name"], me["inside"], me["entries"]) == (
            inside.holder,
            "General admission",
            True,
            1,
        )
        assert me["first_admitted"]["gate"] == "gate-1"
        assert me["last_direction"] == "in"
        assert me["check"]["reason"] == "already_scanned"
        assert "Already admitted: gate-1 at" in me["check"]["message"]

        gone = supervisor.get(SEARCH, params={"q": str(revoked.ticket_id)}).json()["tickets"]
        assert [(t["revoked"], t["inside"], t["check"]["reason"]) for t in gone] == [
            ("refunded", False, "revoked")
        ]
        by_seat = supervisor.get(SEARCH, params={"q": seated.seat, "limit": "50"}).json()
        assert str(seated.ticket_id) in {t["id"] for t in by_seat["tickets"]}
        # The search's own wildcards are only letters: "%" finds nothing, not everything.
        assert supervisor.get(SEARCH, params={"q": "%%"}).json()["tickets"] == []


def test_search_answers_are_bounded(gate: Gate) -> None:
    with signed_in(gate, "2222") as supervisor:
        answer = supervisor.get(SEARCH, params={"q": "an", "limit": "3"}).json()
        assert len(answer["tickets"]) == 3
        assert answer["truncated"] is True
        assert len(supervisor.get(SEARCH, params={"q": "an"}).json()["tickets"]) == 20


def test_a_found_ticket_is_admitted_with_a_reason_and_a_rejection_overridden(
    gate: Gate, demo: DemoFixture
) -> None:
    ticket = demo.take()
    path = admit_path(str(ticket.ticket_id))
    with signed_in(gate, "2222") as supervisor:
        assert supervisor.post(path, json={"reason": ""}).status_code == 422
        assert supervisor.post(path, json={"reason": "   "}).status_code == 422
        assert supervisor.post(path, json={}).status_code == 422
        unknown = supervisor.post(
            admit_path("00000000-0000-4000-8000-000000000000"), json={"reason": "x"}
        )
        assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_ticket")
        nul = supervisor.post(admit_path("abc%00def"), json={"reason": "x"})
        assert (nul.status_code, nul.json()["error"]["code"]) == (404, "unknown_ticket")

        admitted = supervisor.post(path, json={"reason": "phone flat, ID checked"}).json()
        assert admitted["status"] == "ok", admitted
        assert admitted["message"] == "Admitted. By Johan, without a code: phone flat, ID checked"
        assert admitted["ticket"]["holder"] == ticket.holder
        assert gate.status()["inside"] == 1
        # Now it is inside: a scan of its code, or another admission without it, is refused.
        assert gate.scan(ticket.qr)["reason"] == "already_scanned"
        again = supervisor.post(path, json={"reason": "second try"}).json()
        assert (again["status"], again["reason"]) == ("rejected", "already_scanned")
        assert again["ticket"]["holder"] == ticket.holder
        # ... which the supervisor may override like any rejection, keeping the holder.
        override = supervisor.post(
            f"/api/v1/scans/{again['scan_id']}/override", json={"reason": "left by the fence"}
        ).json()
        assert override["status"] == "ok", override
        assert override["ticket"] == again["ticket"]
    conn = replica.open_replica(gate.data_dir)
    actions = [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("admit_without_code") == 2
    assert actions.count("override") == 1
    row = conn.execute(
        "SELECT code, note, staff_id IS NOT NULL FROM scans WHERE id = ?", (admitted["scan_id"],)
    ).fetchone()
    assert row == ("", "phone flat, ID checked", 1)
    conn.close()
