"""Gate-like replicas syncing with real hub processes over loopback: the event's tickets,
revocations and blocks reach them; their scans reach GateScan exactly once, however often
and in whatever order they are pushed, through either of two workers on one database, and
after an upload cut off mid-way."""

from __future__ import annotations

import asyncio
import random
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
import msgspec
import pytest
from tortoise import Tortoise

from hub import database
from hub.models import GateScan
from hub.schemas import TicketStatusChange
from hub.services import tickets
from sync.changes import Change
from sync.client import SyncClient
from sync.errors import SyncError
from sync.replica import Replica
from sync.transport import CHANGESET_TYPE
from sync.wire import encode_changeset_bytes
from tests.integration.hub.replication_world import (
    NOW,
    HubEvent,
    gate_replica,
    issue,
    make_event,
    scan_rows,
)
from tests.integration.hub.sync_hub import Devices, serve_sync_hub

T = TypeVar("T")


def run(url: str, body: Callable[[], Awaitable[T]]) -> T:
    async def connected() -> T:
        async with database.connected(url):
            return await body()

    return asyncio.run(connected())


@pytest.fixture(scope="module")
def devices(tmp_path_factory: pytest.TempPathFactory) -> Devices:
    return Devices.make(tmp_path_factory.mktemp("devices") / "devices.json", 3)


@pytest.fixture(scope="module")
def hubs(
    hub_database_url: str, devices: Devices, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """Two hub worker processes on one database."""
    data = tmp_path_factory.mktemp("sync-hubs")
    with (
        serve_sync_hub(hub_database_url, data / "a", devices.path) as a,
        serve_sync_hub(hub_database_url, data / "b", devices.path) as b,
    ):
        yield a, b


@pytest.fixture
def world(hub_database_url: str) -> tuple[HubEvent, list[uuid.UUID]]:
    async def made() -> tuple[HubEvent, list[uuid.UUID]]:
        w = await make_event()
        ids = await issue(w, 20)
        revoke = TicketStatusChange(status="revoked", reason="refunded")
        await tickets.change_status(w.principal, w.event_id, ids[0], revoke, NOW)
        block = TicketStatusChange(status="blocked", reason="lost")
        await tickets.change_status(w.principal, w.event_id, ids[1], block, NOW)
        return w, ids

    return run(hub_database_url, made)


_OPEN: list[httpx.Client] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def client(
    replica: Replica, hub: str, event_id: uuid.UUID, devices: Devices, device: str
) -> SyncClient:
    """A gate's sync client of one hub worker (its HTTP client closed after the test)."""
    http = httpx.Client(base_url=hub, timeout=60)
    _OPEN.append(http)
    return SyncClient(
        replica,
        http,
        secret=devices.secret,
        prefix=f"/sync/events/{event_id}",
        signer=devices.signer(device),
    )


def push_raw(
    hub: str, event_id: uuid.UUID, devices: Devices, device: str, rows: list[Change], site: bytes
) -> httpx.Response:
    """Push exactly these rows (a peer that resends what the hub already holds)."""
    body = encode_changeset_bytes(rows, secret=devices.secret, sender=site)
    path = f"/sync/events/{event_id}/push"
    headers = devices.signer(device)("POST", path, body)
    headers["content-type"] = CHANGESET_TYPE
    return httpx.post(hub + path, content=body, headers=headers, timeout=60)


def scans_at_hub(url: str, event_id: uuid.UUID) -> list[str]:
    async def ids() -> list[str]:
        return [str(s.id) for s in await GateScan.filter(event_id=event_id)]

    return run(url, ids)


def count(replica: Replica, table: str) -> int:
    return int(replica.connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_a_gate_pulls_the_event_and_hears_of_revocations(
    hub_database_url: str,
    hubs: tuple[str, str],
    devices: Devices,
    world: tuple[HubEvent, list[uuid.UUID]],
    tmp_path: Path,
) -> None:
    w, ids = world

    async def forget() -> None:
        # As for an event made before the hub replicated: nothing of it is published yet.
        await Tortoise.get_connection("default").execute_query(
            "DELETE FROM sync_clock WHERE event_id = $1", [w.event_id]
        )

    run(hub_database_url, forget)
    device = next(iter(devices.keys))
    gate = gate_replica(tmp_path / "gate.db")
    client(gate, hubs[0], w.event_id, devices, device).pull()
    assert count(gate, "tickets") == 20
    assert gate.connection.execute("SELECT ticket_id, reason FROM revocations").fetchall() == [
        (str(ids[0]), "refunded")
    ]
    assert gate.connection.execute("SELECT ticket_id, reason FROM blocks").fetchall() == [
        (str(ids[1]), "lost")
    ]
    assert count(gate, "event_keys") == 1
    assert gate.connection.execute("SELECT id FROM event").fetchone() == (str(w.event_id),)

    async def reinstate_and_revoke() -> None:
        valid = TicketStatusChange(status="valid")
        await tickets.change_status(w.principal, w.event_id, ids[0], valid, NOW)
        revoke = TicketStatusChange(status="revoked", reason="chargeback")
        await tickets.change_status(w.principal, w.event_id, ids[5], revoke, NOW)
        await issue(w, 3, holder="Late buyer")

    run(hub_database_url, reinstate_and_revoke)
    client(gate, hubs[1], w.event_id, devices, device).pull()  # the other worker
    assert gate.connection.execute("SELECT ticket_id, reason FROM revocations").fetchall() == [
        (str(ids[5]), "chargeback")
    ]
    assert count(gate, "tickets") == 23


def test_scans_are_ingested_once_whatever_the_deliveries(
    hub_database_url: str,
    hubs: tuple[str, str],
    devices: Devices,
    world: tuple[HubEvent, list[uuid.UUID]],
    tmp_path: Path,
) -> None:
    w, ids = world
    names = list(devices.keys)
    gates = [gate_replica(tmp_path / f"g{i}.db") for i in range(2)]
    recorded: list[str] = []
    for round_ in range(3):
        for i, gate in enumerate(gates):
            recorded += scan_rows(gate, 40, f"Gate {i}", ids)
            # Alternate workers: any worker serves any gate.
            sync = client(gate, hubs[(round_ + i) % 2], w.event_id, devices, names[i])
            sync.pull()
            sync.push()
    assert sorted(scans_at_hub(hub_database_url, w.event_id)) == sorted(recorded)
    # Everything again, in another order and split differently, to both workers.
    rng = random.Random(5)
    for i, gate in enumerate(gates):
        rows = gate.changes_since(0)
        rng.shuffle(rows)
        for part, hub in ((rows[: len(rows) // 3], hubs[0]), (rows[len(rows) // 3 :], hubs[1])):
            answer = push_raw(hub, w.event_id, devices, names[i], part, gate.site_id)
            assert answer.status_code == 200, answer.content
    at_hub = scans_at_hub(hub_database_url, w.event_id)
    assert len(at_hub) == len(set(at_hub)) == len(recorded)
    # A gate that relays the hub's rows (and other gates' scans) merges as a no-op.
    relay = gates[0]
    client(relay, hubs[1], w.event_id, devices, names[0]).pull()
    answer = push_raw(hubs[0], w.event_id, devices, names[0], relay.changes_since(0), relay.site_id)
    assert answer.status_code == 200
    assert len(scans_at_hub(hub_database_url, w.event_id)) == len(recorded)


def test_an_upload_cut_off_midway_loses_and_doubles_nothing(
    hub_database_url: str,
    hubs: tuple[str, str],
    devices: Devices,
    world: tuple[HubEvent, list[uuid.UUID]],
    tmp_path: Path,
) -> None:
    w, ids = world
    device = next(iter(devices.keys))
    gate = gate_replica(tmp_path / "gate.db")
    recorded = scan_rows(gate, 3000, "North", ids)
    body = encode_changeset_bytes(gate.changes_since(0), secret=devices.secret, sender=gate.site_id)
    path = f"/sync/events/{w.event_id}/push"
    headers = devices.signer(device)("POST", path, body)
    host = urlsplit(hubs[0])
    with socket.create_connection((host.hostname, host.port)) as cut:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        cut.sendall(
            f"POST {path} HTTP/1.1\r\nhost: {host.netloc}\r\ncontent-type: {CHANGESET_TYPE}\r\n"
            f"content-length: {len(body)}\r\n{head}\r\n".encode()
            + body[: len(body) // 2]
        )
    # The gate died mid-upload: nothing of it was ingested.
    assert scans_at_hub(hub_database_url, w.event_id) == []
    client(gate, hubs[1], w.event_id, devices, device).push()
    client(gate, hubs[0], w.event_id, devices, device).push()  # a retry after an unseen answer
    assert sorted(scans_at_hub(hub_database_url, w.event_id)) == sorted(recorded)


def test_refusals_answer_with_sync_codes(
    hub_database_url: str,
    hubs: tuple[str, str],
    devices: Devices,
    world: tuple[HubEvent, list[uuid.UUID]],
    tmp_path: Path,
) -> None:
    w, _ids = world
    device = next(iter(devices.keys))
    gate = gate_replica(tmp_path / "gate.db")
    gate.connection.execute("INSERT INTO tickets (id, holder) VALUES ('forged', 'Mallory')")
    answer = push_raw(hubs[0], w.event_id, devices, device, gate.changes_since(0), gate.site_id)
    assert answer.status_code == 400
    assert msgspec.msgpack.decode(answer.content)["error"] == "refused_change"
    # A scan the hub's models cannot hold is refused whole, with what is wrong.
    odd = gate_replica(tmp_path / "odd.db")
    scan_rows(odd, 5, "North", [])
    odd.connection.execute("INSERT INTO scans (id, gate, at) VALUES ('not-a-uuid', 'North', NULL)")
    answer = push_raw(hubs[1], w.event_id, devices, device, odd.changes_since(0), odd.site_id)
    assert answer.status_code == 400
    refused = msgspec.msgpack.decode(answer.content)
    assert refused["error"] == "refused_change"
    assert "not-a-uuid" in refused["detail"]
    odd.connection.execute("UPDATE scans SET id = ? WHERE id = 'not-a-uuid'", (str(uuid.uuid4()),))
    odd.connection.execute("UPDATE scans SET at = 'yesterday' WHERE hlc = 1")
    answer = push_raw(hubs[1], w.event_id, devices, device, odd.changes_since(0), odd.site_id)
    assert "ISO 8601" in msgspec.msgpack.decode(answer.content)["detail"]
    assert scans_at_hub(hub_database_url, w.event_id) == []
    unknown = client(gate, hubs[0], uuid.uuid4(), devices, device)
    with pytest.raises(SyncError, match="404 unknown_event"):
        unknown.pull()
    stranger = Devices.make(tmp_path / "other.json", 1)
    outsider = client(gate, hubs[1], w.event_id, stranger, next(iter(stranger.keys)))
    with pytest.raises(SyncError, match="refused our credentials"):
        outsider.pull()
