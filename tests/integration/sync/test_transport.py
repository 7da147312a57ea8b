"""The HTTP transport end to end: Starlette routes over real replicas (SQLite files), the
httpx client pulling and pushing, and refusals of unauthenticated requests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from sync.auth import MAC_HEADER, TIME_HEADER, sign_request, verify_request
from sync.client import SyncClient
from sync.errors import AuthenticationError
from sync.replica import Replica
from sync.transport import encode_versions, sync_routes
from voelgoed.processes import serve_in_thread

SECRET = b"venue secret"
SCHEMA = "CREATE TABLE scans (id TEXT PRIMARY KEY NOT NULL, gate TEXT, verdict TEXT)"


def replica_at(path: Path) -> Replica:
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.execute(SCHEMA)
    conn.commit()
    replica = Replica(conn)
    replica.make_replicated("scans")
    return replica


def rows(replica: Replica) -> list[tuple[str, str, str]]:
    return replica.connection.execute("SELECT * FROM scans ORDER BY id").fetchall()


@pytest.fixture
def hub(tmp_path: Path) -> Replica:
    return replica_at(tmp_path / "hub.db")


@pytest.fixture
def http(hub: Replica) -> Iterator[httpx.Client]:
    """The hub's routes served by uvicorn on a loopback port."""
    app = Starlette(routes=sync_routes(hub, secret=SECRET))
    with serve_in_thread(app) as url, httpx.Client(base_url=url) as client:
        yield client


def test_pull_and_push_through_the_routes(tmp_path: Path, hub: Replica, http: httpx.Client) -> None:
    gate = replica_at(tmp_path / "gate.db")
    gate.connection.execute("INSERT INTO scans VALUES ('s1', 'north', 'admit')")
    gate.connection.commit()
    hub.connection.execute("INSERT INTO scans VALUES ('s2', 'south', 'refuse')")
    hub.connection.commit()
    client = SyncClient(gate, http, secret=SECRET)
    assert client.push().sent == 2
    assert client.pull().received == 2
    assert rows(gate) == rows(hub) == [("s1", "north", "admit"), ("s2", "south", "refuse")]
    assert client.push().sent == 0
    assert client.pull().received == 0


def test_a_gate_gets_what_another_gate_pushed_to_the_hub(
    tmp_path: Path, hub: Replica, http: httpx.Client
) -> None:
    north = replica_at(tmp_path / "north.db")
    south = replica_at(tmp_path / "south.db")
    north.connection.execute("INSERT INTO scans VALUES ('s1', 'north', 'admit')")
    north.connection.commit()
    SyncClient(north, http, secret=SECRET).push()
    SyncClient(south, http, secret=SECRET).pull()
    assert rows(south) == [("s1", "north", "admit")]
    assert south.origin_versions()[north.site_id] == 1


def test_a_wrong_secret_is_refused(tmp_path: Path, hub: Replica, http: httpx.Client) -> None:
    gate = replica_at(tmp_path / "gate.db")
    with pytest.raises(AuthenticationError):
        SyncClient(gate, http, secret=b"wrong").pull()
    with pytest.raises(AuthenticationError):
        SyncClient(gate, http, secret=b"wrong").push()


def test_unsigned_tampered_and_garbage_requests_are_refused(http: httpx.Client) -> None:
    body = encode_versions({})
    assert http.post("/sync/pull", content=body).status_code == 401
    headers = sign_request(SECRET, "POST", "/sync/pull", body)
    assert http.post("/sync/pull", content=body + b"x", headers=headers).status_code == 401
    garbage = b"\xc1\xff"
    headers = sign_request(SECRET, "POST", "/sync/pull", garbage)
    assert http.post("/sync/pull", content=garbage, headers=headers).status_code == 400
    headers = sign_request(SECRET, "POST", "/sync/push", garbage)
    assert http.post("/sync/push", content=garbage, headers=headers).status_code == 400


def test_old_signatures_expire() -> None:
    headers = sign_request(SECRET, "POST", "/sync/pull", b"")
    verify_request(SECRET, "POST", "/sync/pull", headers, b"")
    with pytest.raises(AuthenticationError, match="expired"):
        verify_request(
            SECRET, "POST", "/sync/pull", headers, b"", now=int(headers[TIME_HEADER]) + 3600
        )
    with pytest.raises(AuthenticationError):
        verify_request(SECRET, "POST", "/sync/push", headers, b"")
    assert MAC_HEADER in headers
