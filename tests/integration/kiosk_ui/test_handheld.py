"""The handheld in a real browser: PIN sign-in, a (fake) camera seeing a ticket, the answer,
and scans kept on the phone while the gate is unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, Request, Route, ViewportSize, expect

from tests.integration.conftest import DemoFixture, GateFactory, add_staff
from tests.integration.kiosk_ui.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.integration.kiosk_ui.fake_camera import write_y4m
from voelgoed.demo_event import DemoTicket

PHONE: ViewportSize = {"width": 390, "height": 780}


@pytest.fixture
def camera_browser(
    playwright: Playwright, tmp_path: Path, demo: DemoFixture
) -> Iterator[tuple[Browser, DemoTicket]]:
    """A browser whose camera shows a genuine, unused ticket; yields it and the ticket."""
    ticket = demo.take()
    video = write_y4m(tmp_path / "camera.y4m", ticket.qr)
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    yield browser, ticket
    browser.close()


def sign_in(page: Page, pin: str) -> None:
    page.fill("#pin", pin)
    page.press("#pin", "Enter")
    expect(page.locator("#scanner")).to_be_visible()


def test_handheld_signs_in_and_admits_the_ticket_its_camera_sees(
    camera_browser: tuple[Browser, DemoTicket],
    start_gate: GateFactory,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    browser, ticket = camera_browser
    add_staff(tmp_path / "gate-1", "Sipho Steward", "steward", "2468")
    gate = start_gate()
    page = browser.new_page(viewport=PHONE)
    decode_posts: list[Request] = []
    page.on("request", lambda r: decode_posts.append(r) if r.url.endswith("/decode") else None)
    page.goto(f"{gate.url}/handheld?display=30")

    expect(page.locator("#signin")).to_be_visible()
    page.fill("#pin", "0000")
    page.press("#pin", "Enter")
    expect(page.locator("#signin-error")).to_have_text("Wrong PIN.")
    page.screenshot(path=screenshots / "handheld-sign-in.png")
    sign_in(page, "2468")
    expect(page.locator("#staff-name")).to_have_text("Sipho Steward · steward")

    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "ok", timeout=15000)
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    # A steward sees no supervisor actions.
    expect(result.locator(".result-actions button")).to_have_count(0)
    page.screenshot(path=screenshots / "handheld-admitted.png")

    # Whichever way the code was read, it was the browser's detector or the gate's decoder.
    decoder = page.evaluate("document.body.dataset.decoder")
    assert decoder in {"browser", "gate"}
    if decoder == "gate":
        assert decode_posts, "frames should have gone to /api/v1/decode"
    totals = gate.status()["scans"]
    assert totals["admitted"] == 1  # type: ignore[index]

    # The page shell stays on the phone: offline, a reload still opens the scanner.
    page.evaluate("navigator.serviceWorker.ready")
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#scanner")).to_be_visible()
    expect(page.locator("#staff-name")).to_have_text("Sipho Steward · steward")
    page.context.set_offline(False)
    page.close()


def test_a_supervisor_admits_over_a_rejection_and_annuls(
    camera_browser: tuple[Browser, DemoTicket],
    start_gate: GateFactory,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    browser, ticket = camera_browser
    add_staff(tmp_path / "gate-1", "Sanna Supervisor", "supervisor", "97531")
    gate = start_gate()
    assert gate.scan(ticket.qr)["status"] == "ok"  # the ticket is already inside
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{gate.url}/handheld?display=30")
    sign_in(page, "97531")

    result = page.locator("#result")
    expect(result.locator(".result-title")).to_have_text("ALREADY SCANNED", timeout=15000)
    result.get_by_role("button", name="Admit anyway…").click()
    page.screenshot(path=screenshots / "handheld-admit-anyway.png")
    result.get_by_placeholder("Reason (required)").fill("wristband checked")
    result.get_by_role("button", name="Admit anyway").click()
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-message")).to_have_text(
        "Admitted by Sanna Supervisor: wristband checked"
    )
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)  # as the rejection did
    assert gate.status()["scans"]["admitted"] == 2  # type: ignore[index]

    result.get_by_role("button", name="Annul").click()
    result.get_by_placeholder("Why annul this admission?").fill("scanned by mistake")
    result.get_by_role("button", name="Annul").click()
    expect(result.locator(".result-title")).to_have_text("ANNULLED")
    assert gate.status()["scans"]["admitted"] == 1  # type: ignore[index]
    dashboard = gate.client.get("/api/v1/dashboard").json()
    assert (dashboard["totals"]["admitted"], dashboard["inside"]) == (1, 1)
    page.close()


def test_scans_that_cannot_reach_the_gate_are_queued_and_sent_when_back(
    camera_browser: tuple[Browser, DemoTicket],
    start_gate: GateFactory,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    browser, ticket = camera_browser
    add_staff(tmp_path / "gate-1", "Sanna Supervisor", "supervisor", "97531")
    gate = start_gate()
    # Service workers would hide the page's requests from Playwright's routing.
    context = browser.new_context(viewport=PHONE, service_workers="block")
    page = context.new_page()
    page.goto(f"{gate.url}/handheld?display=2")
    sign_in(page, "97531")

    # The phone's connection drops between reading the code and sending the scan (without
    # BarcodeDetector the gate decodes the frames, so the blip hits the scan requests).
    def drop(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route("**/api/v1/scan", drop)
    result = page.locator("#result")
    queue = page.locator("#queue-state")
    expect(result).to_have_attribute("data-state", "queued", timeout=15000)
    expect(queue).to_have_attribute("data-count", "1")
    expect(queue).to_have_text("1 queued")
    page.screenshot(path=screenshots / "handheld-queued.png")
    assert gate.status()["scans"]["total"] == 0  # type: ignore[index]
    nonce = page.evaluate("JSON.parse(localStorage.getItem('vg.handheld.queue'))[0].nonce")

    # Back: the queued scan goes out with its nonce, and is admitted exactly once.
    page.unroute("**/api/v1/scan", drop)
    expect(queue).to_have_attribute("data-count", "0", timeout=10000)
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    totals = gate.status()["scans"]
    assert (totals["total"], totals["admitted"]) == (1, 1)  # type: ignore[index]
    assert gate.scan(ticket.qr, nonce=nonce)["status"] == "ok"  # the first answer, again
    context.close()


def test_handheld_over_https_with_the_gates_own_certificate(
    camera_browser: tuple[Browser, DemoTicket],
    start_gate: GateFactory,
    tmp_path: Path,
) -> None:
    """Phones on the LAN need HTTPS for the camera: the same flow over the gate's TLS."""
    browser, ticket = camera_browser
    add_staff(tmp_path / "gate-1", "Lerato Steward", "steward", "8642")
    gate = start_gate(extra_args=("--tls",))
    # A phone accepts the gate's self-signed certificate once; here the context does.
    context = browser.new_context(viewport=PHONE, ignore_https_errors=True)
    page = context.new_page()
    page.goto(f"{gate.url.replace('http://', 'https://')}/handheld?display=30")
    assert page.evaluate("window.isSecureContext")
    sign_in(page, "8642")
    result = page.locator("#result")
    expect(result).to_have_attribute("data-state", "ok", timeout=15000)
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    context.close()
