"""The kiosk in a real browser against a real gate: wedge scans, live scans, one answer each."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, Page, Route, expect

from tests.integration.conftest import DemoFixture, GateFactory


def open_kiosk(browser: Browser, url: str) -> Page:
    page = browser.new_page(viewport={"width": 1024, "height": 600})
    page.goto(f"{url}/kiosk?display=30")
    # Subscribed to the live feed: scans from now on reach the page.
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    return page


def test_wedge_scanner_admits_then_says_already_scanned(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture, screenshots: Path
) -> None:
    gate = start_gate()
    ticket = demo.take()
    page = open_kiosk(browser, gate.url)
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "idle")
    expect(result).to_contain_text("Ready to scan")
    screenshots_dir = screenshots
    page.screenshot(path=screenshots_dir / "kiosk-ready.png")

    # A keyboard-wedge scanner types the code into whatever has focus, then Enter.
    page.keyboard.type(ticket.qr)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-state", "ok")
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    page.screenshot(path=screenshots_dir / "kiosk-admitted.png")
    first_scan = result.get_attribute("data-scan-id")

    page.keyboard.type(ticket.qr)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-state", "warn")
    expect(result.locator(".result-title")).to_have_text("ALREADY SCANNED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    page.screenshot(path=screenshots_dir / "kiosk-already-scanned.png")
    assert result.get_attribute("data-scan-id") != first_scan

    # Each scan reached the page twice (its own POST and the live feed's echo) and was
    # shown once: two answers in all, even after the echoes have surely arrived.
    page.wait_for_timeout(300)
    expect(result).to_have_attribute("data-shown", "2")
    totals = gate.status()["scans"]
    assert totals == {
        "total": 2,
        "admitted": 1,
        "exits": 0,
        "rejected": 1,
        "by_reason": {"already_scanned": 1},
    }
    page.close()


def test_a_scan_by_another_client_appears_live(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture, screenshots: Path
) -> None:
    gate = start_gate()
    page = open_kiosk(browser, gate.url)
    result = page.locator("#result")

    # The camera loop (or any other client) posts the scan; the kiosk only listens.
    ticket = demo.take()
    answer = gate.scan(ticket.qr, nonce="camera-1")
    expect(result).to_have_attribute("data-scan-id", str(answer["scan_id"]))
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)

    # A seated ticket whose type hides the holder: the seat, and no name.
    seated = demo.take("Seated")
    gate.scan(seated.qr)
    expect(result.locator(".result-seat")).to_have_text(seated.seat)
    expect(result.locator(".result-holder")).to_have_text("")

    revoked = demo.take(state="revoked")
    gate.scan(revoked.qr)
    expect(result).to_have_attribute("data-state", "bad")
    expect(result.locator(".result-title")).to_have_text("REVOKED")
    page.screenshot(path=screenshots / "kiosk-live-revoked.png")
    page.close()


def test_answer_returns_to_ready_after_the_display_time(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    page = browser.new_page()
    page.goto(f"{gate.url}/kiosk?display=1&direction=out")
    result = page.locator("#result")
    expect(result).to_contain_text("Ready to scan exits")
    page.keyboard.type(demo.take().qr)
    page.keyboard.press("Enter")
    expect(result.locator(".result-title")).to_have_text("EXIT RECORDED")
    expect(result).to_have_attribute("data-state", "idle", timeout=3000)
    assert gate.status()["scans"]["exits"] == 1  # type: ignore[index]
    page.close()


def test_a_lost_answer_is_retried_with_the_same_nonce(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    page = open_kiosk(browser, gate.url)
    bodies: list[dict[str, object]] = []

    # The first attempt reaches the gate (and is recorded) but its answer is lost on the
    # way back; the second cannot connect at all; the third gets through.
    def flaky(route: Route) -> None:
        bodies.append(json.loads(route.request.post_data or "{}"))
        if len(bodies) == 1:
            route.fetch()
            route.abort("connectionreset")
        elif len(bodies) == 2:
            route.abort("connectionrefused")
        else:
            route.continue_()

    page.route("**/api/v1/scan", flaky)
    ticket = demo.take()
    page.keyboard.type(ticket.qr)
    page.keyboard.press("Enter")
    result = page.locator("#result")
    # Not "ALREADY SCANNED": the retry is the same scan, and the gate answers it as such.
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    assert len(bodies) == 3
    assert len({body["nonce"] for body in bodies}) == 1
    # One scan recorded, and it is the one on the screen.
    assert gate.status()["scans"]["total"] == 1  # type: ignore[index]
    replayed = gate.scan(ticket.qr, nonce=str(bodies[0]["nonce"]))
    expect(result).to_have_attribute("data-scan-id", str(replayed["scan_id"]))
    page.close()


def test_settings_panel_keeps_the_display_time(
    browser: Browser, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate()
    page = browser.new_page()
    page.goto(f"{gate.url}/kiosk")
    page.get_by_role("button", name="Settings").click()
    page.get_by_label("Display time (s)").fill("1")
    page.get_by_label("Sound").uncheck()
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#settings")).to_be_hidden()

    page.reload()  # kept in this browser's localStorage
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.keyboard.type(demo.take().qr)  # the entry field has the focus again
    page.keyboard.press("Enter")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "ok")
    expect(result).to_have_attribute("data-state", "idle", timeout=2500)
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_label("Display time (s)")).to_have_value("1")
    expect(page.get_by_label("Sound")).not_to_be_checked()
    page.close()
