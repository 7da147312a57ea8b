"""Gates replicate the whole event (tickets, keys, types, revocations), a package loaded into
a running gate's data folder takes effect at once, and replicas from before upgrade: real
gate processes on loopback over real SQLite files."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

from contract.event_package import (
    EventPackage,
    PublicKey,
    Revocation,
    Ticket,
    TicketType,
    read_package,
    write_package,
)
from contract.ticket_token import SigningKey, TicketClaims, sign_token
from gate_node import replica, venue
from gate_node.scanning import ScanService
from sync.replica import Replica
from tests.integration.conftest import NO_PACKAGE, DemoFixture, Gate, GateFactory, add_staff
from tests.integration.gate_node.test_venue import pair, wait_for
from voelgoed.processes import free_port, voelgoed_command

DEVICE_ID = "0d5e1a2b-0000-4000-8000-000000000001"
OLD_REPLICATED_TABLES = ("scans", "annulments", "audit_log", "revocations", "blocks")


def load_package_cli(data_dir: Path, package: Path) -> str:
    """`voelgoed gate load-package`, as a tech runs it next to the running gate."""
    result = subprocess.run(
        voelgoed_command("gate", "load-package", "--data", str(data_dir), str(package)),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def package_with(demo: DemoFixture, tmp_path: Path, name: str, **extra: object) -> Path:
    """The demo package with more of some of its lists, written to a file."""
    package = read_package(demo.package_path)
    for field, more in extra.items():
        assert isinstance(more, list)
        getattr(package, field).extend(more)
    path = tmp_path / f"{name}.vgpkg"
    write_package(package, path)
    return path


def backstage_ticket(package: EventPackage) -> tuple[PublicKey, TicketType, Ticket, str]:
    """A new key, a new ticket type and one ticket of it signed with the new key: a gate
    that has none of them answers the code `forged`."""
    key = SigningKey.generate(9)
    ticket_type = TicketType(id=uuid.uuid4(), name="Backstage")
    ticket = Ticket(uuid.uuid4(), ticket_type.id, "Nomsa Dlamini", "Stage door")
    claims = TicketClaims(
        event_id=package.event.id, ticket_id=ticket.id, ticket_type_id=ticket_type.id, key_id=9
    )
    return PublicKey(9, key.public_key), ticket_type, ticket, sign_token(claims, key)


def reason_of(gate: Gate, code: str) -> str | None:
    answer = gate.scan(code)
    return None if answer["status"] == "ok" else str(answer["reason"])


def test_a_revocation_loaded_into_a_running_gate_is_rejected_at_once(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    gate = start_gate("north")  # standalone: no venue, no sync
    ticket = demo.take()
    revoked = Revocation(ticket.ticket_id, "refunded", "2026-11-25T20:00:00.000Z")
    path = package_with(demo, tmp_path, "revoked", revocations=[revoked])
    assert "revoked" in load_package_cli(gate.data_dir, path)
    loaded = time.monotonic()
    # Each check is a scan: wait on the status of a code no other test uses instead.
    wait_for(lambda: reason_of(gate, ticket.qr) == "revoked", timeout=5)
    assert time.monotonic() - loaded < 1.5  # a poll of 200 ms, plus the scans' round trips


def test_a_ticket_and_key_loaded_into_one_gate_scan_at_the_other(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    north, south = pair(start_gate, tmp_path)
    key, ticket_type, ticket, code = backstage_ticket(read_package(demo.package_path))
    assert reason_of(south, code) == "forged"  # south has neither key nor ticket yet
    path = package_with(
        demo, tmp_path, "backstage", keys=[key], ticket_types=[ticket_type], tickets=[ticket]
    )
    load_package_cli(north.data_dir, path)
    # The new rows travel by the push north sends once it absorbed what the package
    # changed (or by south's next pull); until then south answers `forged` (and records it).
    answers: list[dict[str, object]] = []

    def scanned_at_south() -> bool:
        answers.append(south.scan(code))
        return answers[-1]["reason"] != "forged"

    wait_for(scanned_at_south, timeout=8)
    answer = answers[-1]
    assert answer["status"] == "ok", answer
    assert answer["ticket"]["holder"] == "Nomsa Dlamini"  # type: ignore[index]
    assert answer["ticket"]["type_name"] == "Backstage"  # type: ignore[index]
    wait_for(lambda: reason_of(north, code) == "already_scanned")


def test_a_revocation_at_one_running_gate_is_rejected_at_the_other(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    north, south = pair(start_gate, tmp_path)
    ticket = demo.take()
    revoked = Revocation(ticket.ticket_id, "refunded", "2026-11-25T20:00:00.000Z")
    load_package_cli(north.data_dir, package_with(demo, tmp_path, "rev", revocations=[revoked]))
    wait_for(lambda: reason_of(south, ticket.qr) == "revoked", timeout=5)


def make_old_replica(data_dir: Path, package: Path) -> str:
    """A replica as gates made them before every event table replicated: the package
    loaded, only the old tables replicated, one admission recorded. Its site id."""
    conn = replica.open_replica(data_dir)
    old = Replica(conn, site_id=bytes.fromhex(replica.site_id(conn)))
    for table in OLD_REPLICATED_TABLES:
        old.make_replicated(table)
    replica.load_package(conn, read_package(package))
    site = old.site_id.hex()
    old.close()
    conn.close()
    return site


def test_a_replica_from_before_upgrades_and_brings_a_new_gate_the_whole_event(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    make_old_replica(tmp_path / "north", demo.package_path)
    secret = tmp_path / "venue.secret"
    secret.write_bytes(b"venue-secret-0123456789")
    ports = free_port(), free_port()
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    north = start_gate(
        "north",
        data_dir=tmp_path / "north",
        port=ports[0],
        extra_args=("--venue-secret-file", str(secret), "--peer", urls[1]),
    )
    # A gate with an empty data folder and no package: everything comes from north.
    south = start_gate(
        "south",
        package=NO_PACKAGE,
        port=ports[1],
        extra_args=("--venue-secret-file", str(secret), "--peer", urls[0]),
    )
    wait_for(lambda: south.status()["event"] is not None, timeout=10)
    revoked = next(t for t in demo.event.tickets if t.state == "revoked")
    ticket = demo.take()
    wait_for(lambda: reason_of(south, revoked.qr) == "revoked", timeout=5)
    answer = south.scan(ticket.qr)
    assert answer["status"] == "ok", answer
    assert answer["ticket"]["holder"] == ticket.holder  # type: ignore[index]
    wait_for(lambda: reason_of(north, ticket.qr) == "already_scanned")


def test_absorb_folds_every_replicated_table_into_the_scan_path(
    tmp_path: Path, demo: DemoFixture
) -> None:
    # Two replicas in one process, one merging what the other wrote, with no HTTP between.
    def gate(name: str) -> tuple[ScanService, Replica]:
        conn = replica.open_replica(tmp_path / name)
        synced = venue.attach(conn, venue=True)
        assert synced is not None
        return ScanService(conn, name), synced

    (north, north_sync), (south, south_sync) = gate("north"), gate("south")
    replica.load_package(north.conn, read_package(demo.package_path))
    north.reload_event()
    ticket = demo.take()
    assert replica.held_event_id(south.conn) is None

    def merge() -> None:
        changes = north_sync.changes_missing(south_sync.origin_versions())
        south_sync.apply_changes(changes)
        south.absorb(changes)

    merge()
    assert south.event is not None
    assert north.event is not None
    assert south.event.event_id == north.event.event_id
    assert south.scan(ticket.qr).status == "ok"
    device = os.urandom(32)
    north.conn.execute(
        "INSERT INTO devices (id, name, gate, public_key, state) VALUES (?, 'pi', 'north', ?,"
        " 'active')",
        (DEVICE_ID, device),
    )
    north.conn.execute(
        "INSERT INTO revocations (ticket_id, reason) VALUES (?, 'refunded')",
        (str(ticket.ticket_id),),
    )
    north.conn.execute(
        "UPDATE tickets SET holder = 'Renamed' WHERE id = ?", (str(ticket.ticket_id),)
    )
    merge()
    assert south.roster.key_of(DEVICE_ID) == device
    assert south.book.revoked[str(ticket.ticket_id)] == "refunded"
    assert south.book.tickets[str(ticket.ticket_id)][1] == "Renamed"
    north.conn.execute("UPDATE devices SET state = 'revoked' WHERE id = ?", (DEVICE_ID,))
    north.conn.execute("DELETE FROM revocations WHERE ticket_id = ?", (str(ticket.ticket_id),))
    north.conn.execute("UPDATE event SET door_policy = 'reject'")
    merge()
    assert south.roster.key_of(DEVICE_ID) is None
    assert str(ticket.ticket_id) not in south.book.revoked
    assert south.event.door is not None
    assert south.event.door.policy == "reject"


def test_staff_can_be_added_to_a_replicating_gates_folder(
    start_gate: GateFactory, tmp_path: Path
) -> None:
    north, _ = pair(start_gate, tmp_path)
    add_staff(north.data_dir, "Thandi", "supervisor", "739201")  # its audit entry replicates
    response = north.client.post("/api/v1/staff/sign-in", json={"pin": "739201"})
    assert response.status_code == 200, response.text
