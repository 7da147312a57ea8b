"""The gate's replica on a real SQLite file: durability settings, package loading, index."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from contract.event_package import read_package
from gate_node import replica
from gate_node.errors import ReplicaMismatch, ReplicaUnavailable
from gate_node.scan_index import ScanIndex
from gate_node.scanning import ScanService
from tests.integration.conftest import DemoFixture
from voelgoed.demo_event import build_demo_event


def test_replica_is_wal_with_full_fsync(tmp_path: Path) -> None:
    conn = replica.open_replica(tmp_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.in_transaction is False  # autocommit: each scan commits itself


def test_reloading_a_newer_package_keeps_scans_and_adds_revocations(
    tmp_path: Path, demo: DemoFixture
) -> None:
    conn = replica.open_replica(tmp_path)
    package = read_package(demo.package_path)
    replica.load_package(conn, package)
    service = ScanService(conn, "gate-1")
    ticket = demo.take()
    assert service.scan(ticket.qr).status == "ok"

    newer = read_package(demo.package_path)
    newer.revocations.append(type(newer.revocations[0])(ticket.ticket_id, "refunded"))
    replica.load_package(conn, newer)
    service.reload_event()
    assert replica.scan_totals(conn).total == 1
    assert service.scan(ticket.qr).reason == "revoked"


def test_a_replica_holds_one_event(tmp_path: Path, demo: DemoFixture) -> None:
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, read_package(demo.package_path))
    other = build_demo_event(5, now=dt.datetime.now(dt.UTC), seed=99).package
    with pytest.raises(ReplicaMismatch, match="holds event"):
        replica.load_package(conn, other)
    assert replica.held_event_id(conn) == read_package(demo.package_path).event.id


def test_scan_index_is_rebuilt_from_the_table(tmp_path: Path, demo: DemoFixture) -> None:
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, read_package(demo.package_path))
    service = ScanService(conn, "gate-1")
    ticket = demo.take()
    service.scan(ticket.qr, nonce="a")
    service.scan(ticket.qr, direction="out", nonce="b")
    service.scan("garbage", nonce="c")
    conn.close()

    reopened = replica.open_replica(tmp_path)
    index = ScanIndex.build(reopened)
    assert set(index.nonces) == {"a", "b", "c"}
    history = index.history[str(ticket.ticket_id)]
    assert [p.direction for p in history] == ["in", "out"]
    assert ScanService(reopened, "gate-1").scan(ticket.qr).message == "Admitted (re-entry)."


def test_scans_from_elsewhere_are_ordered_by_hybrid_clock_in_the_index() -> None:
    index = ScanIndex()
    # Arriving out of order, and with gate b's wall clock behind: the hybrid clock decides.
    index.add("s2", None, "t", "out", "b", "ok", "2026-11-25T20:00:00.000Z", 20, "bb")
    index.add("s1", None, "t", "in", "a", "ok", "2026-11-25T20:00:01.000Z", 10, "aa")
    index.add("s3", None, "t", "in", "a", "rejected", "2026-11-25T20:00:03.000Z", 30, "aa")
    assert [p.gate for p in index.history["t"]] == ["a", "b"]


def test_a_scan_that_cannot_be_recorded_gets_no_answer(tmp_path: Path, demo: DemoFixture) -> None:
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, read_package(demo.package_path))
    conn.execute("PRAGMA busy_timeout=50")
    service = ScanService(conn, "gate-1")
    locker = sqlite3.connect(tmp_path / replica.REPLICA_FILE, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # another writer holds the file, e.g. a stuck backup
    ticket = demo.take()
    with pytest.raises(ReplicaUnavailable, match="could not be recorded"):
        service.scan(ticket.qr)
    locker.execute("ROLLBACK")
    # Nothing was remembered from the failed attempt: the ticket is admitted once, now.
    assert service.scan(ticket.qr).status == "ok"
    assert service.scan(ticket.qr).reason == "already_scanned"


def test_a_replica_from_before_the_door_window_gets_its_columns(tmp_path: Path) -> None:
    old = sqlite3.connect(tmp_path / replica.REPLICA_FILE)
    old.execute(
        "CREATE TABLE event (id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL DEFAULT '',"
        " venue TEXT NOT NULL DEFAULT '', starts_at TEXT, ends_at TEXT,"
        " timezone TEXT NOT NULL DEFAULT 'UTC')"
    )
    old.execute(
        "INSERT INTO event VALUES ('5a1f6a52-8c1e-4b55-9a4e-2f0d9a5e7c11', 'Old show', '',"
        " '2031-03-01T18:00:00.000Z', '2031-03-01T23:00:00.000Z', 'Africa/Johannesburg')"
    )
    old.commit()
    old.close()
    conn = replica.open_replica(tmp_path)
    summary = replica.event_summary(conn)
    assert summary is not None
    assert (summary.door_opens_minutes, summary.door_policy) == (120, "warn")
    context = replica.read_event_context(conn)
    assert context is not None
    assert context.door is not None
    assert context.door.opens == dt.datetime(2031, 3, 1, 16, tzinfo=dt.UTC)
    replica.open_replica(tmp_path).close()  # and again: nothing left to add


def test_a_repeated_nonce_of_a_warned_admission_warns_again(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    demo = build_demo_event(5, now=now, starts_at=now + dt.timedelta(days=90))
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, demo.package)
    service = ScanService(conn, "gate-1")
    code = next(t.qr for t in demo.tickets if t.ticket_type == "General admission")
    first = service.scan(code, nonce="n-1")
    assert (first.status, first.warning) == ("ok", "outside_door_window")
    assert first.message.startswith("Admitted. Ticket for another date: doors open ")
    again = service.scan(code, nonce="n-1")
    assert (again.scan_id, again.warning, again.message) == (
        first.scan_id,
        first.warning,
        first.message,
    )
