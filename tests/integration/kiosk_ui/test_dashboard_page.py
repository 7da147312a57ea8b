"""The LAN dashboard in a real browser: its figures move as scans happen at the gate; a
manager on another device signs in with a staff PIN, and sees double admissions by name and
admissions by ticket type."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, expect

from gate_node import replica
from tests.integration.conftest import DemoFixture, GateFactory, add_staff
from voelgoed.processes import free_port

# The manager's laptop on the venue LAN: the gate trusts its test client as the venue's
# proxy (`--trusted-proxy 127.0.0.1`), and the browser comes through it from a LAN address,
# so the gate treats it as any device that is not the gate itself.
LAN_LAPTOP = {"x-forwarded-for": "10.30.0.5"}


def wait_for(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_dashboard_counts_follow_the_scans(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture, screenshots: Path
) -> None:
    gate = start_gate()
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    page.goto(f"{gate.url}/dashboard")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    expect(page.locator("#admitted")).to_have_text("0")
    expect(page.locator("#alerts")).to_contain_text("No alerts")

    tickets = [demo.take() for _ in range(3)]
    for ticket in tickets:
        gate.scan(ticket.qr)
    gate.scan(tickets[0].qr)  # already scanned
    gate.scan(tickets[1].qr, direction="out")
    for i in range(5):  # someone trying codes that are not tickets
        gate.scan(f"NOT-A-TICKET-{i}", device="handheld-x")

    # Live (server-sent events), well before the 10 s poll.
    expect(page.locator("#admitted")).to_have_text("3", timeout=5000)
    expect(page.locator("#inside")).to_have_text("2")
    expect(page.locator("#exits")).to_have_text("1")
    expect(page.locator("#rejected")).to_have_text("6")
    expect(page.locator("#chart")).to_have_attribute("data-total", "3")
    row = page.locator("#gates tr[data-gate='gate-1']")
    expect(row).to_contain_text("already scanned: 1")
    expect(row).to_contain_text("not a ticket: 5")
    burst = page.locator("#alerts li[data-kind='invalid_burst']")
    expect(burst).to_contain_text("5 invalid or forged codes")
    expect(burst).to_contain_text("handheld-x")
    expect(page.locator("#peers")).to_contain_text("gate-1 (this gate)")
    expect(page.locator("#doubles")).to_contain_text("None found")  # a lone gate never has one
    expect(page.locator("#staff-name")).to_have_text("this gate's screen")  # no sign-in here
    # Times on the event's clock, 24-hour and labelled with its zone, as the kiosk writes them.
    assert demo.event.package.event.timezone == "Africa/Johannesburg"
    label = "SAST"
    expect(row.locator("td").last).to_have_text(re.compile(rf"^\d\d:\d\d:\d\d {label}$"))
    expect(page.locator("#updated")).to_have_text(re.compile(rf"^updated \d\d:\d\d:\d\d {label}$"))
    general = page.locator("#types tr[data-type='General admission'] td")
    expect(general.nth(1)).to_have_text("3")  # admitted: one has left again
    expect(general.nth(3)).to_have_text("2")  # inside
    page.screenshot(path=screenshots / "dashboard-kiosk.png", full_page=True)
    page.close()


def test_a_manager_signs_in_and_sees_double_admissions_by_name_and_types_by_capacity(
    browser: Browser,
    start_gate: GateFactory,
    demo: DemoFixture,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    # Two gates that cannot replicate (south holds another venue secret) both admit one
    # ticket; once south has the right secret they meet, and every gate sees the double.
    right, wrong = tmp_path / "right.secret", tmp_path / "south.secret"
    right.write_bytes(b"dashboard-venue-secret-0123")
    wrong.write_bytes(b"another-venue-secret-456789")
    north_data = tmp_path / "north"
    replica.open_replica(north_data).close()
    add_staff(north_data, "Marike Manager", "steward", "8642")
    ports = free_port(), free_port()
    url = [f"http://127.0.0.1:{p}" for p in ports]
    venue = ("--venue", "dash")
    north = start_gate(
        "north",
        data_dir=north_data,
        port=ports[0],
        extra_args=(
            *venue,
            "--venue-secret-file",
            str(right),
            "--peer",
            url[1],
            "--trusted-proxy",
            "127.0.0.1",
        ),
    )
    south = start_gate(
        "south",
        port=ports[1],
        extra_args=(*venue, "--venue-secret-file", str(wrong), "--peer", url[0]),
    )
    twice = demo.take()
    assert north.scan(twice.qr)["status"] == "ok"
    assert south.scan(twice.qr)["status"] == "ok"
    north.scan(demo.take().qr)
    north.scan(demo.take("VIP").qr, gate="vip")
    wrong.write_bytes(right.read_bytes())
    south.process.stop()
    south.restart()
    wait_for(lambda: north.status()["double_admissions"] == 1)

    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, extra_http_headers=LAN_LAPTOP
    )
    page = context.new_page()
    page.goto(f"{north.url}/dashboard")
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#figures")).to_be_hidden()
    page.fill("#pin", "0000")
    page.press("#pin", "Enter")
    expect(page.locator("#signin-error")).to_have_text("Wrong PIN.")
    page.screenshot(path=screenshots / "dashboard-sign-in.png")

    page.fill("#pin", "8642")
    page.press("#pin", "Enter")
    expect(page.locator("#figures")).to_be_visible()
    expect(page.locator("#staff-name")).to_have_text("Marike Manager · steward")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    double = page.locator("#doubles li[data-kind='double_admission']")
    expect(double).to_contain_text(f"{twice.holder} (General admission)")
    expect(double).to_contain_text("admitted again at")
    expect(double).not_to_contain_text("Ticket …")

    def sold(type_name: str) -> int:
        tickets = demo.event.tickets
        return sum(1 for t in tickets if t.ticket_type == type_name and t.state != "revoked")

    general = page.locator("#types tr[data-type='General admission'] td")
    # The ticket admitted twice counts once: two tickets of this type entered.
    expect(general.nth(1)).to_have_text("2")
    expect(general.nth(2)).to_have_text(str(sold("General admission")))
    vip = page.locator("#types tr[data-type='VIP'] td")
    expect(vip.nth(1)).to_have_text("1")
    expect(vip.nth(2)).to_have_text(str(sold("VIP")))
    expect(page.locator("#types tr[data-type='Seated'] td").nth(1)).to_have_text("0")
    # Gates agree on each gate's state; here north and south both scanned just now.
    expect(page.locator("#peers li[data-gate='south'] [data-state]")).to_have_attribute(
        "data-state", "scanning"
    )
    page.screenshot(path=screenshots / "dashboard-signed-in.png", full_page=True)
    page.locator("#doubles").screenshot(path=screenshots / "dashboard-double-admission.png")

    # A live scan moves the figures without a reload.
    north.scan(demo.take().qr)
    expect(general.nth(1)).to_have_text("3", timeout=5000)

    page.click("#sign-out")
    expect(page.locator("#signin")).to_be_visible()
    context.close()
