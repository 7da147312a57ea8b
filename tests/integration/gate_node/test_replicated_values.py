"""What a gate accepts from peers, checked on real replicas: every column a gate replicates
is declared with its values, genuine rows pass, and a refused batch leaves nothing behind."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from contract.event_package import read_package
from contract.replica_schema import DDL
from gate_node import replica, venue
from gate_node.replicated_values import COLUMNS, accept_changes
from gate_node.scanning import ScanService
from gate_node.staff import StaffMember
from sync.errors import RefusedChangeError
from sync.replica import Replica
from tests.integration.conftest import DemoFixture


def test_every_replicated_column_has_a_declared_check() -> None:
    conn = sqlite3.connect(":memory:")
    conn.executescript(DDL)
    for table in venue.REPLICATED_TABLES:
        columns = {
            name for _, name, _, _, _, pk in conn.execute(f"PRAGMA table_info({table})") if not pk
        }
        assert set(COLUMNS[table]) == columns, table
    assert set(COLUMNS) == set(venue.REPLICATED_TABLES)


def test_what_a_gate_writes_is_accepted(tmp_path: Path, demo: DemoFixture) -> None:
    conn = replica.open_replica(tmp_path)
    synced = venue.attach(conn, venue=True)
    assert synced is not None
    for table in venue.REPLICATED_TABLES:
        synced.make_replicated(table)
    replica.load_package(conn, read_package(demo.package_path))
    service = ScanService(conn, "north")
    admitted = service.scan(demo.take().qr, device="hh-1")
    service.scan("NOT-A-TICKET")
    service.annul(admitted.scan_id, StaffMember("s1", "Johan", "supervisor"), "wrong ticket")
    changes = synced.changes_missing({})
    assert {c.table for c in changes} >= {"scans", "annulments"}
    accept_changes(changes)  # no refusal
    conn.close()


def fresh_replica(accept: bool) -> tuple[sqlite3.Connection, Replica]:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(DDL)
    synced = Replica(conn, site_id=os.urandom(16), accept=accept_changes if accept else None)
    for table in venue.REPLICATED_TABLES:
        synced.make_replicated(table)
    return conn, synced


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("at", "yesterday", "scans.at cannot hold 'yesterday'"),
        ("at", "2026-11-25T20:15:03+02:00", "scans.at"),  # a time, but not as gates write it
        ("direction", "sideways", "scans.direction"),
        ("status", "", "scans.status"),
        ("hlc", "twelve", "scans.hlc"),
        ("hlc", -1, "scans.hlc"),
        ("gate", b"\x00", "scans.gate"),
    ],
)
def test_a_batch_with_one_odd_value_is_refused_whole(
    column: str, value: object, words: str
) -> None:
    peer_conn, peer = fresh_replica(accept=False)
    for scan_id in ("s-good", "s-odd"):
        peer_conn.execute(
            "INSERT INTO scans (id, ticket_id, gate, direction, status, at, hlc, site)"
            " VALUES (?, 't-1', 'north', 'in', 'ok', '2026-11-25T20:15:03.120Z', 5, 'aa')",
            (scan_id,),
        )
    peer_conn.execute(f"UPDATE scans SET {column} = ? WHERE id = 's-odd'", (value,))
    conn, gate = fresh_replica(accept=True)
    with pytest.raises(RefusedChangeError, match=re.escape(words)):
        gate.apply_changes(peer.changes_missing({}))
    assert conn.execute("SELECT count(*) FROM scans").fetchone()[0] == 0  # not even s-good


EVENT_ID = "5a1f6a52-8c1e-4b55-9a4e-2f0d9a5e7c11"
TYPE_ID = "7b2e6a52-8c1e-4b55-9a4e-2f0d9a5e7c12"


@pytest.mark.parametrize(
    ("sql", "params", "words"),
    [
        ("INSERT INTO event (id, timezone) VALUES (?, 'Mars/Olympus')", (EVENT_ID,), "timezone"),
        ("INSERT INTO event (id, door_policy) VALUES (?, 'maybe')", (EVENT_ID,), "door_policy"),
        (
            "INSERT INTO event (id, starts_at) VALUES (?, '0001-01-01T00:00:00Z')",
            (EVENT_ID,),
            "starts_at",
        ),
        ("INSERT INTO event (id) VALUES ('not-a-uuid')", (), "not a UUID"),
        ("INSERT INTO event_keys (key_id, public_key) VALUES (1, ?)", (b"k" * 31,), "public_key"),
        ("INSERT INTO event_keys (key_id) VALUES (70000)", (), "key number"),
        ("INSERT INTO ticket_types (id, gates) VALUES (?, '\"north\"')", (TYPE_ID,), "gates"),
        ("INSERT INTO ticket_types (id, entry_mode) VALUES (?, 'twice')", (TYPE_ID,), "entry_mode"),
        ("INSERT INTO gate_rules (id, rule) VALUES (?, '{\"nope\": []}')", (TYPE_ID,), "rule"),
        (
            "INSERT INTO tickets (id, ticket_type_id) VALUES (?, 'general')",
            (TYPE_ID,),
            "ticket_type_id",
        ),
        ("INSERT INTO tickets (id) VALUES ('t-1')", (), "not a UUID"),
        ("INSERT INTO devices (id, state) VALUES (?, 'maybe')", (TYPE_ID,), "devices.state"),
        ("INSERT INTO devices (id, public_key) VALUES (?, 'abc')", (TYPE_ID,), "public_key"),
    ],
)
def test_event_rows_a_gate_does_not_write_are_refused(
    sql: str, params: tuple[object, ...], words: str
) -> None:
    peer_conn, peer = fresh_replica(accept=False)
    peer_conn.execute(sql, params)
    _, gate = fresh_replica(accept=True)
    with pytest.raises(RefusedChangeError, match=re.escape(words)):
        gate.apply_changes(peer.changes_missing({}))


def test_a_row_of_another_event_is_refused(tmp_path: Path, demo: DemoFixture) -> None:
    conn = replica.open_replica(tmp_path)
    synced = venue.attach(conn, venue=True)
    assert synced is not None
    replica.load_package(conn, read_package(demo.package_path))
    peer_conn, peer = fresh_replica(accept=False)
    peer_conn.execute("INSERT INTO event (id, name) VALUES (?, 'Another night')", (EVENT_ID,))
    with pytest.raises(RefusedChangeError, match="not the event this gate holds"):
        synced.apply_changes(peer.changes_missing({}))
    conn.close()
