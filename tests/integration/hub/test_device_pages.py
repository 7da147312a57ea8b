"""The devices page in Chromium: add a device (its token and QR code shown once), see it in
the list, revoke it after confirming; and the gates section the devices choose from."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import nacl.signing
from playwright.sync_api import Dialog, Page, expect

from tests.integration.hub.conftest import PASSWORD, OrgFactory
from tests.integration.hub.seated_event import build_seated_event, ok
from tests.integration.kiosk_ui.conftest import SCREENSHOTS

PAGE_HEIGHT = 1000


def test_an_organiser_adds_and_revokes_a_device(page: Page, make_org: OrgFactory) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio cannot run in Playwright's thread
        org = pool.submit(make_org, "Devices in the browser").result()
        event = pool.submit(build_seated_event, org.api).result()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/signin")
    page.locator('input[name="email"]').fill(org.admin_email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/orgs$|/o/"))

    # The event's gates, on the gates page: one more, and a check-in list picks from them.
    page.goto(f"/o/{org.slug}/events/{event.event_id}/gates")
    gates = page.locator("#event-gates")
    expect(gates.locator(".gate-name")).to_have_text(["east", "north", "south"])
    gates.locator('input[name="name"]').fill("west")
    gates.get_by_role("button", name="Add gate").click()
    expect(page).to_have_url(re.compile(r"/gates\?n=added$"))
    expect(gates.locator(".gate-name")).to_have_text(["east", "north", "south", "west"])
    gates.locator('input[name="name"]').fill("north")
    gates.get_by_role("button", name="Add gate").click()
    expect(gates.locator(".form-error")).to_contain_text("already has a gate called 'north'")

    page.get_by_role("link", name="Devices").click()
    expect(page).to_have_url(re.compile(r"/devices$"))
    expect(page.locator("#devices")).to_contain_text("No devices serve this event yet.")
    form = page.locator("#add-device form")
    form.locator('input[name="name"]').fill("Pi west 1")
    form.locator('select[name="gate"]').select_option("west")
    form.get_by_role("button", name="Add device").click()
    shown = page.locator("#enrolment")
    expect(shown).to_contain_text("shown this once")
    token = page.locator("#enrolment-token").inner_text().strip()
    assert re.fullmatch(r"vgt1\.[0-9a-f]{16}\.[A-Za-z0-9_-]{43}", token), token
    qr = page.locator("#enrolment-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 100  # a real PNG that decoded
    expect(shown).to_contain_text("voelgoed gate enrol --hub http://127.0.0.1:")
    row = page.locator("#device-list tr", has_text="Pi west 1")
    expect(row.locator(".device-state")).to_have_text("pending")
    page.screenshot(path=SCREENSHOTS / "hub-device-added.png", full_page=True)

    # Shown once: the list, opened again, has no token.
    page.reload()  # a reload re-posts nothing: the answer was not stored (no-store)
    page.goto(f"/o/{org.slug}/events/{event.event_id}/devices")
    expect(page.locator("#enrolment")).to_have_count(0)
    assert token not in page.content()

    # The gate enrols (as `voelgoed gate enrol` does): the list shows it active.
    key = nacl.signing.SigningKey.generate()
    with httpx.Client(base_url=page.url.split("/o/")[0]) as client:
        enrolled = client.post(
            "/api/v1/enrol",
            json={
                "token": token,
                "public_key": key.verify_key.encode().hex(),
                "host_name": "pi-west-1",
                "software_version": "0.1.0",
            },
        )
    assert enrolled.status_code == 200, enrolled.text
    page.reload()
    expect(row.locator(".device-state")).to_have_text("active")
    expect(row).to_contain_text("pi-west-1")
    expect(row).to_contain_text("0.1.0")

    # A device's gate cannot be removed while it serves there.
    page.goto(f"/o/{org.slug}/events/{event.event_id}/gates")
    asked: list[str] = []

    def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    page.locator("#gate-names li", has_text="west").get_by_role("button", name="Remove").click()
    expect(page.locator("#event-gates .form-error")).to_contain_text("device Pi west 1")

    # Revoking asks first (a dialog, accepted), then the device is revoked for good.
    page.goto(f"/o/{org.slug}/events/{event.event_id}/devices")
    row.get_by_role("button", name="Revoke").click()
    expect(page).to_have_url(re.compile(r"/devices\?n=revoked$"))
    assert any("cannot be undone" in question for question in asked), asked
    expect(row.locator(".device-state")).to_have_text("revoked")
    expect(row.get_by_role("button", name="Re-key")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "hub-device-revoked.png", full_page=True)
    with ThreadPoolExecutor(max_workers=1) as pool:
        listed = pool.submit(lambda: ok(org.api.get("/api/v1/devices"))).result()
    assert [(d["name"], d["state"]) for d in listed] == [("Pi west 1", "revoked")]
