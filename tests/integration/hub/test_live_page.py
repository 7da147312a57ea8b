"""The live page in Chromium: the figures change without a reload as scans arrive, at a
desktop and a phone width; screenshots in test-output/screenshots/hub-live-*.png."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.integration.hub.conftest import PASSWORD, Hub, OrgFactory
from tests.integration.hub.gate_scans import Scans, build_scan_event, store

PAGE_HEIGHT = 1100


def test_the_live_page_updates_without_reloading(
    page: Page, hub: Hub, make_org: OrgFactory, screenshots: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio cannot run in Playwright's thread
        org = pool.submit(make_org, "Live page org").result()
        ev = pool.submit(build_scan_event, org.api).result()
        first = Scans(ev.event_id)
        first.scan(ev.tickets["Ann Adams"], "in", "north", 1, now - dt.timedelta(minutes=20))
        pool.submit(store, hub.database_url, first).result()
        page.goto("/signin")
        page.locator('input[name="email"]').fill(org.admin_email)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"/o/{org.slug}/events/{ev.event_id}")
        page.get_by_role("link", name="Live", exact=True).click()
        expect(page.get_by_role("heading", name="Inside now")).to_be_visible()
        expect(page.locator("#inside-count")).to_have_text("1")
        expect(page.locator("#live-status")).to_contain_text("Live")
        expect(page.locator("#admissions-chart svg polyline")).to_have_count(1)
        page.evaluate("window.sentinel = 'not reloaded'")

        later = Scans(ev.event_id)
        t = ev.tickets
        later.scan(t["Ben Botha"], "in", "north", 2, now - dt.timedelta(minutes=10))
        later.scan(t["Ben Botha"], "in", "south", 3, now - dt.timedelta(minutes=9))
        later.scan(t["Cas Cele"], "in", "south", 4, now - dt.timedelta(minutes=5))
        later.scan(None, "in", "south", 5, now, status="rejected", reason="forged")
        pool.submit(store, hub.database_url, later, True).result()

        expect(page.locator("#inside-count")).to_have_text("3")
        expect(page.locator("#double-admissions")).to_contain_text("Ben Botha")
        expect(page.locator("#rejections")).to_contain_text("forged")
        expect(page.locator("#admissions-chart svg polyline")).to_have_count(2)
        expect(page.locator("#admissions-by-gate")).to_contain_text("south")
        assert page.evaluate("window.sentinel") == "not reloaded"
        page.locator("#admissions-minutes summary").click()
        page.screenshot(path=screenshots / "hub-live.png", full_page=True)

        # The per-minute table stays open across an update.
        more = Scans(ev.event_id)
        more.scan(t["Dee Dlamini"], "in", "north", 6, now - dt.timedelta(minutes=2))
        pool.submit(store, hub.database_url, more).result()
        expect(page.locator("#inside-count")).to_have_text("4")
        expect(page.locator("#admissions-minutes")).to_have_attribute("open", "")

        page.set_viewport_size({"width": 390, "height": 844})
        expect(page.locator("#inside-count")).to_be_visible()
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the page is {wide} px wide on a phone"
        page.screenshot(path=screenshots / "hub-live-phone.png", full_page=True)
