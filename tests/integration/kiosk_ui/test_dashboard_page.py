"""The LAN dashboard in a real browser: its figures move as scans happen at the gate."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.integration.conftest import DemoFixture, GateFactory


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
    page.screenshot(path=screenshots / "dashboard.png", full_page=True)
    page.close()
