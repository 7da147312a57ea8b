"""The scan API as door staff's devices use it: a real gate process over loopback HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import httpx

from tests.integration.conftest import DemoFixture, Gate, GateFactory
from voelgoed.demo_event import foreign_code


def test_first_scan_admits_and_second_names_where_and_when(
    shared_gate: Gate, demo: DemoFixture
) -> None:
    ticket = demo.take()
    first = shared_gate.scan(ticket.qr)
    assert first["status"] == "ok"
    assert first["reason"] is None
    assert first["message"] == "Admitted."
    assert first["ticket"] == {
        "id": str(ticket.ticket_id),
        "type_id": first["ticket"]["type_id"],  # type: ignore[index]
        "type_name": "General admission",
        "holder": ticket.holder,
        "seat": None,
    }
    assert isinstance(first["decided_ms"], float)

    again = shared_gate.scan(ticket.qr)
    assert again["status"] == "rejected"
    assert again["reason"] == "already_scanned"
    assert "gate-1" in str(again["message"])
    assert again["first_admitted"]["gate"] == "gate-1"  # type: ignore[index]
    admitted_at = dt.datetime.fromisoformat(str(again["first_admitted"]["at"]))  # type: ignore[index]
    assert abs(dt.datetime.now(dt.UTC) - admitted_at) < dt.timedelta(minutes=1)
    assert again["scan_id"] != first["scan_id"]


def test_exit_then_reentry(shared_gate: Gate, demo: DemoFixture) -> None:
    code = demo.take().qr
    assert shared_gate.scan(code)["status"] == "ok"
    out = shared_gate.scan(code, direction="out")
    assert (out["status"], out["message"]) == ("ok", "Exit recorded.")
    back = shared_gate.scan(code)
    assert (back["status"], back["message"]) == ("ok", "Admitted (re-entry).")


def test_exit_without_entry_is_recorded_but_says_so(shared_gate: Gate, demo: DemoFixture) -> None:
    out = shared_gate.scan(demo.take().qr, direction="out")
    assert out["status"] == "ok"
    assert "was not inside" in str(out["message"])


def test_weekend_pass_enters_repeatedly_up_to_its_daily_rule(
    shared_gate: Gate, demo: DemoFixture
) -> None:
    code = demo.take("Weekend pass").qr
    answers = [shared_gate.scan(code) for _ in range(4)]
    assert [a["status"] for a in answers] == ["ok", "ok", "ok", "rejected"]
    assert answers[3]["reason"] == "rules"
    assert answers[3]["message"] == "Weekend passes allow at most 3 entries a day."


def test_gate_restricted_type_only_at_its_gate(shared_gate: Gate, demo: DemoFixture) -> None:
    code = demo.take("VIP").qr
    refused = shared_gate.scan(code)
    assert (refused["status"], refused["reason"]) == ("rejected", "product")
    assert "vip" in str(refused["message"])
    assert shared_gate.scan(code, gate="vip")["status"] == "ok"


def test_seated_ticket_shows_seat_but_not_holder(shared_gate: Gate, demo: DemoFixture) -> None:
    ticket = demo.take("Seated")
    answer = shared_gate.scan(ticket.qr)
    assert answer["status"] == "ok"
    assert answer["ticket"]["seat"] == ticket.seat  # type: ignore[index]
    assert answer["ticket"]["holder"] is None  # type: ignore[index]


def test_every_rejection_reason_reaches_the_client(shared_gate: Gate, demo: DemoFixture) -> None:
    event = demo.event.package.event
    type_id = demo.event.package.ticket_types[0].id
    revoked = next(t for t in demo.event.tickets if t.state == "revoked")
    blocked = next(t for t in demo.event.tickets if t.state == "blocked")
    cases = {
        "invalid": "https://example.invalid/not-a-ticket",
        "forged": foreign_code(event.id, type_id),
        "wrong_event": foreign_code(uuid.uuid4(), type_id),
        "revoked": revoked.qr,
        "blocked": blocked.qr,
    }
    for reason, code in cases.items():
        answer = shared_gate.scan(code)
        assert (answer["status"], answer["reason"]) == ("rejected", reason), answer
        assert answer["message"]
    # Forged and damaged codes name no ticket.
    assert shared_gate.scan(cases["forged"])["ticket"] is None


def test_repeated_nonce_returns_the_first_answer_and_records_one_scan(
    start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    code = demo.take().qr
    first = gate.scan(code, nonce="n-1")
    second = gate.scan(code, nonce="n-1")
    assert second["scan_id"] == first["scan_id"]
    assert second["status"] == first["status"] == "ok"
    assert gate.status()["scans"]["total"] == 1  # type: ignore[index]
    # The nonce survives a restart: a retry after a crash still gets the first answer.
    gate.process.kill()
    gate.restart()
    assert gate.scan(code, nonce="n-1")["scan_id"] == first["scan_id"]
    assert gate.status()["scans"]["total"] == 1  # type: ignore[index]


def test_nonce_reused_for_another_code_is_a_conflict(shared_gate: Gate, demo: DemoFixture) -> None:
    nonce = uuid.uuid4().hex
    shared_gate.scan(demo.take().qr, nonce=nonce)
    response = shared_gate.client.post(
        "/api/v1/scan", json={"code": demo.take().qr, "nonce": nonce}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "nonce_conflict"


def test_32_simultaneous_scans_of_one_ticket_admit_exactly_once(
    shared_gate: Gate, demo: DemoFixture
) -> None:
    code = demo.take().qr

    async def burst() -> list[dict[str, object]]:
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=shared_gate.url, limits=limits) as client:
            # Open all 32 connections first so that the requests really arrive together.
            await asyncio.gather(*(client.get("/api/v1/status") for _ in range(32)))
            responses = await asyncio.gather(
                *(client.post("/api/v1/scan", json={"code": code}) for _ in range(32))
            )
        return [r.json() for r in responses]

    answers = asyncio.run(burst())
    statuses = [a["status"] for a in answers]
    assert statuses.count("ok") == 1
    assert {a["reason"] for a in answers if a["status"] == "rejected"} == {"already_scanned"}


def test_status_counts_inside_and_rejections_by_reason(
    start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    a, b, c = demo.take(), demo.take(), demo.take()
    for code in (a.qr, b.qr, c.qr, a.qr, "garbage"):
        gate.scan(code)
    gate.scan(b.qr, direction="out")
    status = gate.status()
    assert status["inside"] == 2
    assert status["scans"] == {
        "total": 6,
        "admitted": 3,
        "exits": 1,
        "rejected": 2,
        "by_reason": {"already_scanned": 1, "invalid": 1},
    }
    assert status["event"]["name"] == "Voelgoed Demo Night"  # type: ignore[index]
    assert status["gate"] == "gate-1"


def test_answered_scans_survive_a_killed_process(
    start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    code = demo.take().qr
    assert gate.scan(code)["status"] == "ok"
    gate.process.kill()  # SIGKILL straight after the answer: nothing may be lost
    gate.restart()
    again = gate.scan(code)
    assert again["reason"] == "already_scanned"
    assert gate.status()["inside"] == 1


def test_alerts_list_no_double_admission_on_a_lone_gate(
    start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    code = demo.take().qr
    for _ in range(3):
        gate.scan(code)
    assert gate.client.get("/api/v1/alerts").json() == {"double_admissions": [], "clock_skew": []}
    assert gate.status()["double_admissions"] == 0


def test_a_retried_scan_gets_exactly_the_first_answer(shared_gate: Gate, demo: DemoFixture) -> None:
    ticket = demo.take("Seated")
    for nonce in ("retry-1", "retry-2"):  # an admission, then an already_scanned
        first = shared_gate.scan(ticket.qr, nonce=nonce)
        shared_gate.scan(ticket.qr, direction="out")  # later scans must not change the replay
        again = shared_gate.scan(ticket.qr, nonce=nonce)
        del first["decided_ms"], again["decided_ms"]
        assert again == first
        shared_gate.scan(ticket.qr)
