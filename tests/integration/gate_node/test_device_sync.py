"""Device-signed replication between enrolled gates (the online mode): real gate processes
on loopback, each with a device identity in its data folder, admitting peers by the
replicated device roster."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import nacl.signing
import pytest

from gate_node import replica, venue
from gate_node.device_identity import load_identity
from gate_node.errors import DeviceIdentityInvalid
from sync.auth import sign_request
from sync.device_auth import sign_device_request
from sync.transport import encode_versions
from sync.wire import encode_changeset_bytes
from tests.integration.conftest import DemoFixture, Gate, GateFactory
from tests.integration.gate_node.test_venue import wait_for
from voelgoed.processes import free_port

VENUE_SECRET = bytes.fromhex("5e" * 32)


@dataclass
class Device:
    id: str
    key: nacl.signing.SigningKey

    def sign(self, path: str, body: bytes) -> dict[str, str]:
        return sign_device_request(self.key, self.id, "POST", path, body)


def new_device() -> Device:
    return Device(str(uuid.uuid4()), nacl.signing.SigningKey.generate())


def enrol(data_dir: Path, device: Device) -> None:
    """What `voelgoed gate enrol` leaves in a data folder."""
    data_dir.mkdir(parents=True, exist_ok=True)
    key_path = data_dir / "device.key"
    key_path.write_bytes(bytes(device.key))
    key_path.chmod(0o600)
    # Enrolled at a hub that named no event (so no hub link): gate to gate only.
    info = {
        "device_id": device.id,
        "device_name": device.id[:8],
        "hub_url": "http://127.0.0.1:9",
        "hub_id": "0" * 16,
        "org": "test",
        "venue": "Test venue",
        "venue_id": str(uuid.UUID(int=1)),
        "gate": "north",
        "events": [],
        "venue_secret": VENUE_SECRET.hex(),
        "enrolled_at": "2026-12-02T10:00:00.000Z",
    }
    (data_dir / "device.json").write_text(json.dumps(info))


def write_roster(data_dir: Path, rows: list[tuple[Device, str]]) -> None:
    """Roster rows as the hub's replication brings them, written through sync/ (so that they
    replicate on) by another connection, as a running gate's own merge would."""
    conn = replica.open_replica(data_dir)
    synced = venue.attach(conn, venue=True)
    assert synced is not None
    with replica.transaction(conn):
        for device, state in rows:
            conn.execute(
                "INSERT INTO devices (id, name, gate, public_key, state) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET state = excluded.state",
                (device.id, device.id[:8], None, bytes(device.key.verify_key), state),
            )
    synced.close()
    conn.close()


@dataclass
class Venue:
    north: Gate
    south: Gate
    devices: dict[str, Device]


@pytest.fixture
def online(start_gate: GateFactory, tmp_path: Path) -> Venue:
    devices = {name: new_device() for name in ("north", "south", "handheld")}
    for name in ("north", "south"):
        enrol(tmp_path / name, devices[name])
    # Only north heard from the hub: south gets the roster from north (north admits it).
    write_roster(tmp_path / "north", [(d, "active") for d in devices.values()])
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    north = start_gate("north", port=ports[0], extra_args=("--peer", urls[1]))
    south = start_gate("south", port=ports[1], extra_args=("--peer", urls[0]))
    return Venue(north, south, devices)


def post(gate: Gate, route: str, body: bytes, headers: dict[str, str]) -> int:
    with httpx.Client(base_url=gate.url, timeout=10) as client:
        return client.post(f"/sync/{route}", content=body, headers=headers).status_code


def versions(gate: Gate, device: Device) -> int:
    """The status of a signed request for the gate's versions."""
    return post(gate, "versions", b"", device.sign("/sync/versions", b""))


def pull_body() -> bytes:
    return encode_versions({})


def push_body() -> bytes:
    return encode_changeset_bytes([], secret=VENUE_SECRET, sender=os.urandom(16))


def test_enrolled_gates_replicate_by_device_signatures(online: Venue, demo: DemoFixture) -> None:
    ticket = demo.take()
    assert online.north.scan(ticket.qr)["status"] == "ok"
    wait_for(lambda: online.south.status()["inside"] == 1)
    assert online.south.scan(ticket.qr)["reason"] == "already_scanned"
    handheld = online.devices["handheld"]
    for gate in (online.north, online.south):  # south learnt the roster from north
        wait_for(lambda g=gate: versions(g, handheld) == 200)  # type: ignore[misc]


def test_a_device_revoked_in_the_roster_is_refused_by_every_gate(online: Venue) -> None:
    handheld = online.devices["handheld"]
    for gate in (online.north, online.south):
        wait_for(lambda g=gate: versions(g, handheld) == 200)  # type: ignore[misc]
    # The hub's revocation reaches north (written by another connection: the running gate
    # absorbs it), and south by replication.
    write_roster(online.north.data_dir, [(handheld, "revoked")])
    for gate in (online.north, online.south):
        wait_for(
            lambda g=gate: versions(g, handheld) == 401,  # type: ignore[misc]
            timeout=5,
        )
        assert post(gate, "pull", pull_body(), handheld.sign("/sync/pull", pull_body())) == 401
        assert post(gate, "push", push_body(), handheld.sign("/sync/push", push_body())) == 401
    # The gates themselves still replicate.
    north = online.devices["north"]
    assert post(online.south, "pull", pull_body(), north.sign("/sync/pull", pull_body())) == 200


def test_tampered_replayed_and_secret_signed_requests_are_refused(online: Venue) -> None:
    handheld = online.devices["handheld"]
    gate = online.north
    body = pull_body()
    headers = handheld.sign("/sync/pull", body)
    assert post(gate, "pull", body, headers) == 200
    assert post(gate, "pull", body, headers) == 401  # replayed within the time window
    fresh = handheld.sign("/sync/pull", body)
    assert post(gate, "pull", encode_versions({os.urandom(16): 1}), fresh) == 401  # other body
    other_path = handheld.sign("/sync/versions", b"")
    assert post(gate, "push", b"", other_path) == 401  # signed for another route
    forged = {**handheld.sign("/sync/versions", b""), "x-device-id": online.devices["south"].id}
    assert post(gate, "versions", b"", forged) == 401  # another device's name
    stranger = new_device()
    assert post(gate, "versions", b"", stranger.sign("/sync/versions", b"")) == 401
    # The venue secret alone opens nothing on an enrolled gate.
    assert (
        post(gate, "versions", b"", sign_request(VENUE_SECRET, "POST", "/sync/versions", b""))
        == 401
    )
    assert post(gate, "versions", b"", {}) == 401


def test_a_damaged_identity_is_refused_with_the_file_named(tmp_path: Path) -> None:
    assert load_identity(tmp_path) is None  # never enrolled: the offline mode
    device = new_device()
    enrol(tmp_path, device)
    identity = load_identity(tmp_path)
    assert identity is not None
    assert identity.device_id == device.id
    assert identity.venue_secret == VENUE_SECRET
    assert identity.public_key == bytes(device.key.verify_key)
    (tmp_path / "device.key").chmod(0o644)
    with pytest.raises(DeviceIdentityInvalid, match="chmod 600"):
        load_identity(tmp_path)
    (tmp_path / "device.key").chmod(0o600)
    (tmp_path / "device.key").write_bytes(b"short")
    with pytest.raises(DeviceIdentityInvalid, match="not a 32-byte key"):
        load_identity(tmp_path)
    (tmp_path / "device.key").unlink()
    with pytest.raises(DeviceIdentityInvalid, match=r"device\.key is missing"):
        load_identity(tmp_path)
