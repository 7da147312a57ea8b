"""Admissions by ticket type against capacity, read from a real replica file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from contract.event_package import read_package
from gate_node import replica
from gate_node.scanning import ScanService
from gate_node.staff import StaffMember
from gate_node.type_admissions import load_type_admissions
from tests.integration.conftest import DemoFixture


def test_each_type_counts_tickets_that_entered_against_those_sold(
    tmp_path: Path, demo: DemoFixture
) -> None:
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, read_package(demo.package_path))
    service = ScanService(conn, "gate-1")
    general = [demo.take() for _ in range(4)]
    admissions = [service.scan(ticket.qr) for ticket in general]
    assert all(a.status == "ok" for a in admissions)
    assert service.scan(general[0].qr).reason == "already_scanned"  # counts nowhere
    service.scan(general[1].qr, direction="out")  # entered once, outside now
    service.scan(general[1].qr)  # and back in: still one ticket that entered
    service.scan(general[2].qr, direction="out")
    supervisor = StaffMember("s-1", "Johan", "supervisor")
    service.annul(admissions[3].scan_id, supervisor, "scanned the wrong ticket")
    weekend = demo.take("Weekend pass")
    service.scan(weekend.qr)
    service.scan(weekend.qr)  # multi-entry: one ticket

    figures = {t.name: t for t in load_type_admissions(conn)}
    tickets = demo.event.tickets

    def sold(type_name: str) -> int:
        return sum(1 for t in tickets if t.ticket_type == type_name and t.state != "revoked")

    assert set(figures) == {"General admission", "Weekend pass", "VIP", "Seated"}
    ga = figures["General admission"]
    # general[3]'s only admission was annulled: it never entered.
    assert (ga.admitted, ga.inside, ga.tickets) == (3, 2, sold("General admission"))
    assert ga.tickets < sum(1 for t in tickets if t.ticket_type == "General admission")
    wp = figures["Weekend pass"]
    assert (wp.admitted, wp.inside, wp.tickets) == (1, 1, sold("Weekend pass"))
    assert (figures["VIP"].admitted, figures["Seated"].admitted) == (0, 0)
    conn.close()


def test_inside_follows_the_scan_order_even_within_one_millisecond(
    tmp_path: Path, demo: DemoFixture
) -> None:
    # Scans in one millisecond share their time, and their ids order at random within it;
    # the hybrid clock stamps still say which came last.
    conn = replica.open_replica(tmp_path)
    replica.load_package(conn, read_package(demo.package_path))
    moment = dt.datetime(2026, 11, 25, 20, 15, 3, 120000, tzinfo=dt.UTC)
    service = ScanService(conn, "gate-1", clock=lambda: moment)
    tickets = [demo.take() for _ in range(20)]
    for ticket in tickets:
        service.scan(ticket.qr)
        service.scan(ticket.qr, direction="out")
    assert replica.inside_count(conn) == 0
    figures = {t.name: t for t in load_type_admissions(conn)}
    assert (figures["General admission"].admitted, figures["General admission"].inside) == (20, 0)
    conn.close()
