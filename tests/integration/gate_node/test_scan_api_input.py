"""Bad input at the scan API: always a clear JSON error, never a 500, nothing recorded."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.conftest import Gate

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def _error(gate: Gate, body: bytes, status: int) -> str:
    response = gate.client.post(
        "/api/v1/scan", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"]
    code: str = error["code"]
    return code


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b"[]", 422, "invalid_body"),
        (b'{"code": 5}', 422, "invalid_body"),
        (b'{"code": ""}', 422, "invalid_body"),
        (b"{}", 422, "invalid_body"),
        (b'{"code": "x", "direction": "sideways"}', 422, "invalid_body"),
        (b'{"code": "x", "colour": "red"}', 422, "invalid_body"),
        (b'{"code": "x", "gate": ""}', 422, "invalid_body"),
        (b'{"code": "x", "nonce": null, "gate": null, "extra": 1}', 422, "invalid_body"),
        (json.dumps({"code": "x" * 9000}).encode(), 413, "body_too_large"),
    ],
)
def test_malformed_bodies_get_a_json_error(
    shared_gate: Gate, body: bytes, status: int, code: str
) -> None:
    before = shared_gate.status()["scans"]["total"]  # type: ignore[index]
    assert _error(shared_gate, body, status) == code
    assert shared_gate.status()["scans"]["total"] == before  # type: ignore[index]


def test_validation_errors_name_the_field(shared_gate: Gate) -> None:
    response = shared_gate.client.post("/api/v1/scan", json={"code": 5})
    assert "$.code" in response.json()["error"]["message"]


def _raw_request(gate: Gate, request: bytes) -> bytes:
    with socket.create_connection((gate.process.host, gate.process.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_chunked_body_over_the_limit_is_refused(shared_gate: Gate) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"code": "'
        for _ in range(20):
            yield b"x" * 1024
        yield b'"}'

    response = shared_gate.client.post(
        "/api/v1/scan", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


def test_declared_length_over_the_limit_is_refused_before_the_body(shared_gate: Gate) -> None:
    answer = _raw_request(
        shared_gate,
        b"POST /api/v1/scan HTTP/1.1\r\nHost: gate\r\nContent-Type: application/json\r\n"
        b"Content-Length: 10000000\r\nConnection: close\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"body_too_large" in answer


def test_unknown_route_and_method_are_json_errors(shared_gate: Gate) -> None:
    missing = shared_gate.client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = shared_gate.client.get("/api/v1/scan")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@settings(max_examples=150, deadline=None)
@given(
    body=JSON_VALUES
    | st.fixed_dictionaries(
        {"code": JSON_VALUES},
        optional={"direction": JSON_VALUES, "nonce": JSON_VALUES, "gate": JSON_VALUES},
    )
)
def test_no_json_body_produces_a_server_error(shared_gate: Gate, body: object) -> None:
    response = shared_gate.client.post("/api/v1/scan", content=json.dumps(body).encode())
    # 400 too: json.dumps writes Infinity for inf, which is not JSON.
    assert response.status_code in (200, 400, 409, 413, 422), response.text
    assert response.headers["content-type"] == "application/json"


@settings(max_examples=100, deadline=None)
@given(body=st.binary(max_size=10_000))
def test_no_byte_string_produces_a_server_error(shared_gate: Gate, body: bytes) -> None:
    response = shared_gate.client.post("/api/v1/scan", content=body)
    assert response.status_code in (200, 400, 409, 413, 422), response.text
