"""gate_client: scans go to the gate's API; a retry reuses the scan's nonce."""

from __future__ import annotations

import json
from collections.abc import Mapping

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import GateAnswerInvalid, GateUnreachable
from hardware.gate_client import Direction, GateAnswer, HttpScanPoster, parse_answer

OK_ANSWER = {
    "status": "ok",
    "reason": None,
    "message": "Welcome",
    "ticket": {"id": "t", "type_id": "y", "type_name": "GA", "holder": "Thandi", "seat": None},
    "first_admitted": None,
    "scan_id": "s1",
    "decided_ms": 0.2,
}


class FlakyGate:
    """An in-memory gate that drops the first `failures` requests, then answers."""

    def __init__(self, failures: int, answer: Mapping[str, object] | None = None) -> None:
        self.failures = failures
        self.answer = answer or OK_ANSWER
        self.bodies: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/api/v1/scan"
        self.bodies.append(json.loads(request.content))
        if len(self.bodies) <= self.failures:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=self.answer)


def poster_for(
    fake: FlakyGate, *, direction: Direction = "in", gate: str | None = None, attempts: int = 3
) -> HttpScanPoster:
    return HttpScanPoster(
        "http://gate.test",
        direction=direction,
        gate=gate,
        attempts=attempts,
        transport=httpx.MockTransport(fake),
        sleep=lambda seconds: None,
    )


def test_posts_code_direction_gate_and_a_nonce() -> None:
    gate = FlakyGate(0)
    answer = poster_for(gate, direction="out", gate="north").post("VG1ABC")
    assert answer == GateAnswer("ok", None, "Welcome", "Thandi")
    (body,) = gate.bodies
    assert body["code"] == "VG1ABC"
    assert body["direction"] == "out"
    assert body["gate"] == "north"
    assert 1 <= len(body["nonce"]) <= 128


def test_retries_after_connection_errors_with_the_same_nonce() -> None:
    gate = FlakyGate(2)
    assert poster_for(gate, attempts=3).post("VG1ABC").status == "ok"
    assert len(gate.bodies) == 3
    assert len({b["nonce"] for b in gate.bodies}) == 1


def test_each_scan_gets_a_fresh_nonce() -> None:
    gate = FlakyGate(0)
    poster = poster_for(gate)
    poster.post("VG1ABC")
    poster.post("VG1ABC")
    assert gate.bodies[0]["nonce"] != gate.bodies[1]["nonce"]
    assert "gate" not in gate.bodies[0]


def test_gives_up_after_the_last_attempt() -> None:
    gate = FlakyGate(5)
    with pytest.raises(GateUnreachable) as caught:
        poster_for(gate, attempts=2).post("VG1ABC")
    assert caught.value.code == "gate_unreachable"
    assert len(gate.bodies) == 2


def test_rejection_keeps_its_reason() -> None:
    rejected = {**OK_ANSWER, "status": "rejected", "reason": "already_scanned"}
    answer = poster_for(FlakyGate(0, rejected)).post("VG1ABC")
    assert (answer.status, answer.reason) == ("rejected", "already_scanned")


def test_the_gates_error_shape_becomes_an_error_answer() -> None:
    body = {"error": {"code": "no_event", "message": "no event loaded"}}
    assert parse_answer(503, body) == GateAnswer("error", "no_event", "no event loaded")


@pytest.mark.parametrize(
    ("status_code", "body"),
    [(200, {"status": "maybe"}), (200, []), (502, "<html>"), (200, {"error": {"code": "x"}})],
)
def test_anything_else_is_an_invalid_answer(status_code: int, body: object) -> None:
    with pytest.raises(GateAnswerInvalid):
        parse_answer(status_code, body)


def test_a_body_that_is_not_json_is_an_invalid_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="Bad gateway")

    poster = HttpScanPoster("http://gate.test", transport=httpx.MockTransport(handler))
    with pytest.raises(GateAnswerInvalid):
        poster.post("VG1ABC")


def test_waits_longer_before_each_retry() -> None:
    waits: list[float] = []
    poster = HttpScanPoster(
        "http://gate.test",
        attempts=3,
        retry_delay=0.2,
        transport=httpx.MockTransport(FlakyGate(2)),
        sleep=waits.append,
    )
    assert poster.post("VG1ABC").status == "ok"
    assert waits == pytest.approx([0.2, 0.4])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
answer_like = st.fixed_dictionaries(
    {},
    optional={
        "status": st.sampled_from(["ok", "rejected", "error"]) | st.text(),
        "reason": json_values,
        "message": json_values,
        "ticket": json_values,
        "error": json_values,
    },
)


@given(status_code=st.sampled_from([200, 400, 409, 422, 500, 503]), body=answer_like | json_values)
def test_any_body_gives_an_answer_or_a_clean_error(status_code: int, body: object) -> None:
    try:
        answer = parse_answer(status_code, body)
    except GateAnswerInvalid:
        return
    assert answer.status in ("ok", "rejected", "error")
    assert (answer.status == "error") == (status_code >= 400)
