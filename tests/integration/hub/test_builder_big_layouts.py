"""The seating builder on a big layout, in a real browser (Debian's Chromium) on a real hub.

An organiser selects all 7,020 seats of an arena and removes them, then undoes it by
generating the rows again. The builder sends one selection ("every seat of the layout"),
not a list of 7,020 ids: the list was larger than the hub takes (413).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from playwright.sync_api import Page, expect

from tests.integration.hub.big_layout import BigLayout, make_big_layout
from tests.integration.hub.conftest import PASSWORD, Org, OrgFactory
from tests.integration.hub.seated_event import ok
from tests.integration.kiosk_ui.conftest import SCREENSHOTS

PAGE_TIMEOUT_MS = 30_000  # big layouts take a while to draw


def _arena(make_org: OrgFactory) -> tuple[Org, BigLayout]:
    # In a thread: the org is made with asyncio, which cannot run in Playwright's thread.
    with ThreadPoolExecutor(max_workers=1) as pool:
        org = pool.submit(make_org).result()
    return org, make_big_layout(org.api)


def test_removing_every_seat_of_a_big_layout_then_regenerating_them(
    page: Page, make_org: OrgFactory
) -> None:
    org, arena = _arena(make_org)
    assert arena.seat_count == 7020
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/signin")
    page.locator('input[name="email"]').fill(org.admin_email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/o/{org.slug}/layouts/{arena.layout_id}")
    builder = page.locator("#builder")
    expect(builder).to_have_attribute("data-state", "ready")
    expect(page.locator("#plan .seat")).to_have_count(7020)
    page.screenshot(path=SCREENSHOTS / "hub-builder-big-layout.png")

    page.get_by_role("button", name="Select all").click()
    expect(page.locator("#selection-count")).to_have_text("7020 seats selected")
    page.get_by_role("button", name="Remove seats").click()
    expect(page.locator("#pending")).to_have_text("7020 seats with unsaved changes")
    page.screenshot(path=SCREENSHOTS / "hub-builder-big-removal-unsaved.png")
    page.get_by_role("button", name="Save changes").click()
    expect(builder).not_to_have_attribute("data-state", "saving")
    # Before bulk selections this said "Not saved: request body is larger than 262144 bytes".
    expect(page.locator("#builder-message")).to_have_text("Saved: 7020 seat changes.")
    expect(page.locator("#plan .seat")).to_have_count(0)
    expect(page.locator("#seat-count")).to_have_text("0")
    page.screenshot(path=SCREENSHOTS / "hub-builder-big-removed.png")
    stored = ok(org.api.get(f"/api/v1/layouts/{arena.layout_id}"))
    assert (stored["layout"]["seat_count"], stored["seats"]) == (0, [])
    audit = ok(org.api.get("/api/v1/audit"))
    removal = next(e for e in audit if e["action"] == "seats.deleted")
    assert removal["detail"]["seats"] == "7020"

    # Undo by generating the rows again with the page's own form.
    page.reload()
    for name in ("North", "East", "South"):
        form = page.locator("#seats-form")
        form.locator('[name="section_id"]').select_option(label=name)
        form.locator('[name="first_row"]').fill("A")
        form.locator('[name="last_row"]').fill("AM")
        form.locator('[name="first_seat"]').fill("1")
        form.locator('[name="last_seat"]').fill("60")
        form.locator('[name="aisles_after"]').fill("30")
        form.locator('[name="zone_id"]').select_option(label="Bowl")
        form.get_by_role("button", name="Add seats").click()
        expect(page).to_have_url(re.compile(r"\?n=added$"))
    expect(builder).to_have_attribute("data-state", "ready")
    expect(page.locator("#plan .seat")).to_have_count(7020)
    expect(page.locator("#seat-count")).to_have_text("7020")
    page.screenshot(path=SCREENSHOTS / "hub-builder-big-regenerated.png")
    assert ok(org.api.get(f"/api/v1/layouts/{arena.layout_id}"))["layout"]["seat_count"] == 7020


def test_a_selection_of_rows_gets_a_zone_in_one_change(page: Page, make_org: OrgFactory) -> None:
    org, arena = _arena(make_org)
    base = f"/api/v1/layouts/{arena.layout_id}"
    ok(org.api.post(f"{base}/zones", json={"name": "Premium", "colour": "#d1495b"}), 201)
    page.goto("/signin")
    page.locator('input[name="email"]').fill(org.admin_email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/o/{org.slug}/layouts/{arena.layout_id}")
    expect(page.locator("#builder")).to_have_attribute("data-state", "ready")
    # Rows A to J of the first section, seats 1 to 20 (a drag from A1 to J20): 200 seats.
    first = page.locator('#plan .seat[data-label="A1"]').first
    last = page.locator('#plan .seat[data-label="J20"]').first
    first.scroll_into_view_if_needed()
    start = first.bounding_box()
    end = last.bounding_box()
    assert start is not None
    assert end is not None
    page.mouse.move(start["x"] + 3, start["y"] + 3)
    page.mouse.down()
    page.mouse.move(start["x"] + 20, start["y"] + 3, steps=2)
    page.mouse.move(end["x"] + 3, end["y"] + 3, steps=4)
    page.mouse.up()
    expect(page.locator("#selection-count")).to_have_text("200 seats selected")
    page.locator("#zone-choice").select_option(label="Premium")
    page.get_by_role("button", name="Assign zone").click()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#builder-message")).to_have_text("Saved: 200 seat changes.")
    page.screenshot(path=SCREENSHOTS / "hub-builder-big-zoned.png")
    stored = ok(org.api.get(base))
    premium = next(z["id"] for z in stored["zones"] if z["name"] == "Premium")
    north = arena.section_ids["North"]
    zoned = {
        (s["section_id"], s["row_label"], s["number"])
        for s in stored["seats"]
        if s["zone_id"] == premium
    }
    assert zoned == {(north, row, n) for row in "ABCDEFGHIJ" for n in range(1, 21)}
    (entry,) = [e for e in ok(org.api.get("/api/v1/audit")) if e["action"] == "seats.updated"]
    # One area of the plan, not 200 seat ids.
    assert entry["detail"] == {"seats": "200", "selection": "1 area of the plan", "zone": "Premium"}
