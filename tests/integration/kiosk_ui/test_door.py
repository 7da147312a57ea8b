"""The door screens in a real browser: a code typed on the handheld, supervisors' search and
admission without a code, a long staff name, and the event's door window on the kiosk.

Browsers here run in New York with a US locale: every time on the screens must still be the
event's (Johannesburg, SAST), 24-hour, as the gate writes it in its messages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, ViewportSize, expect

from contract.event_package import DoorPolicy
from tests.integration.conftest import DemoFixture, Gate, GateFactory, add_staff
from voelgoed.demo_event import DemoEvent, build_demo_event, write_demo_event

PHONE: ViewportSize = {"width": 360, "height": 760}
SAST_TIME = r"\d\d:\d\d:\d\d SAST"
LONG_NAME = "Nomvula Thandeka Mahlangu-van der Merwe-Oosthuizen"


@pytest.fixture
def phone(browser: Browser) -> Iterator[BrowserContext]:
    """A phone without a camera (as a plain-HTTP LAN page gets none): codes are typed."""
    context = browser.new_context(
        viewport=PHONE, locale="en-US", timezone_id="America/New_York", service_workers="block"
    )
    yield context
    context.close()


def staffed_gate(start_gate: GateFactory, tmp_path: Path, package: Path | None = None) -> Gate:
    data = tmp_path / "gate-1"
    add_staff(data, "Thandi Steward", "steward", "1111")
    add_staff(data, LONG_NAME, "supervisor", "2222")
    return start_gate("gate-1", data_dir=data, package=package)


def open_handheld(context: BrowserContext, gate: Gate, pin: str) -> Page:
    page = context.new_page()
    page.goto(f"{gate.url}/handheld?display=30")
    page.fill("#pin", pin)
    page.press("#pin", "Enter")
    expect(page.locator("#scanner")).to_be_visible()
    return page


def type_code(page: Page, code: str) -> None:
    page.fill("#manual-code", code)
    page.press("#manual-code", "Enter")


def test_a_typed_code_is_scanned_like_one_the_camera_read_and_queued_when_offline(
    phone: BrowserContext,
    start_gate: GateFactory,
    tmp_path: Path,
    demo: DemoFixture,
    screenshots: Path,
) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    page = open_handheld(phone, gate, "1111")
    expect(page.locator("#camera-state")).to_contain_text("No camera")
    expect(page.locator("#door")).to_have_attribute("data-state", "open")
    expect(page.locator("#door")).to_contain_text(re.compile(r"Doors .* SAST \u2013 .* SAST"))
    # A steward has no search.
    expect(page.locator("#find-open")).to_be_hidden()

    ticket = demo.take()
    result = page.locator("#result")
    type_code(page, f"  {ticket.qr}\n")  # pasted, with the line end a copy brings along
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    expect(page.locator("#manual-code")).to_have_value("")
    page.screenshot(path=screenshots / "door-manual-entry.png")
    type_code(page, ticket.qr)
    expect(result.locator(".result-title")).to_have_text("ALREADY SCANNED")
    expect(result.locator(".result-message")).to_have_text(
        re.compile(rf"^Already admitted: gate-1 at {SAST_TIME}\.$")
    )
    type_code(page, "not a ticket")
    expect(result.locator(".result-title")).to_have_text("NOT A TICKET")

    # Offline: a typed code waits in the queue with its nonce, and goes when the gate is back.
    def drop(route: Route) -> None:
        route.abort("internetdisconnected")

    page.route("**/api/v1/scan", drop)
    later = demo.take()
    type_code(page, later.qr)
    expect(result).to_have_attribute("data-state", "queued")
    expect(page.locator("#queue-state")).to_have_text("1 queued")
    page.unroute("**/api/v1/scan", drop)
    expect(page.locator("#queue-state")).to_have_attribute("data-count", "0", timeout=10000)
    expect(result.locator(".result-holder")).to_have_text(later.holder)
    totals = gate.status()["scans"]
    assert (totals["admitted"], totals["rejected"]) == (2, 2)  # type: ignore[index]


def test_a_long_staff_name_is_shown_whole_on_a_phone(
    phone: BrowserContext, start_gate: GateFactory, tmp_path: Path, screenshots: Path
) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    page = open_handheld(phone, gate, "2222")
    name = page.locator("#staff-name")
    expect(name).to_have_text(f"{LONG_NAME} · supervisor")
    fits = page.evaluate(
        """() => {
          const el = document.getElementById("staff-name");
          const box = el.getBoundingClientRect();
          return {
            clipped: el.scrollWidth > el.clientWidth || el.scrollHeight > el.clientHeight,
            inside: box.left >= 0 && box.right <= window.innerWidth,
            ellipsis: getComputedStyle(el).textOverflow === "ellipsis",
          };
        }"""
    )
    assert fits == {"clipped": False, "inside": True, "ellipsis": False}
    for control in ("Entry", "Exit", "Find", "Sign out"):
        button = page.get_by_role("button", name=control, exact=True)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=screenshots / "door-long-staff-name.png")


def test_a_supervisor_finds_a_ticket_by_name_and_admits_it_then_overrides_a_rejection(
    phone: BrowserContext,
    start_gate: GateFactory,
    tmp_path: Path,
    demo: DemoFixture,
    screenshots: Path,
) -> None:
    gate = staffed_gate(start_gate, tmp_path)
    inside = demo.take()
    gate.scan(inside.qr)
    lost = next(
        t
        for t in demo.event.tickets
        if t.state == "valid"
        and t.ticket_type == "General admission"
        and t.qr not in demo.used
        and t.holder != inside.holder
    )
    demo.used.add(lost.qr)
    page = open_handheld(phone, gate, "2222")
    page.get_by_role("button", name="Find", exact=True).click()
    find = page.locator("#find")
    expect(find).to_be_visible()

    page.fill("#find-q", "x")  # too short: the gate says so in words
    page.evaluate("document.getElementById('find-q').removeAttribute('minlength')")
    page.press("#find-q", "Enter")
    expect(page.locator("#find-state")).to_have_text(
        "type at least 2 characters of a name, seat or ticket id"
    )

    page.fill("#find-q", str(inside.ticket_id)[:8])
    page.press("#find-q", "Enter")
    found = find.locator(f'.found[data-ticket-id="{inside.ticket_id}"]')
    expect(found.locator(".who")).to_have_text(inside.holder)
    expect(found.locator(".state")).to_have_text(
        re.compile(rf"^Inside: admitted gate-1 at {SAST_TIME}$")
    )
    expect(found.locator(".check")).to_contain_text("Already admitted: gate-1 at")

    page.fill("#find-q", lost.holder.lower())
    page.press("#find-q", "Enter")
    expect(page.locator("#find-state")).to_contain_text("ticket")
    item = find.locator(f'.found[data-ticket-id="{lost.ticket_id}"]')
    if item.count() == 0:  # more holders of that name than one answer holds: narrow it down
        page.fill("#find-q", str(lost.ticket_id))
        page.press("#find-q", "Enter")
    expect(item.locator(".state")).to_have_text("Not admitted yet")
    expect(item.locator(".check")).to_have_text("A scan now: Admitted.")
    page.screenshot(path=screenshots / "door-search-results.png")
    item.get_by_role("button", name="Admit…").click()
    item.get_by_placeholder("Reason (required)").fill("phone flat, ID checked")
    item.get_by_role("button", name="Admit", exact=True).click()

    result = page.locator("#result")
    expect(find).to_be_hidden()
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    expect(result.locator(".result-holder")).to_have_text(lost.holder)
    expect(result.locator(".result-message")).to_have_text(
        f"Admitted. By {LONG_NAME}, without a code: phone flat, ID checked"
    )
    page.screenshot(path=screenshots / "door-search-admitted.png")
    assert gate.status()["inside"] == 2

    # The other ticket is inside already: admitting it again is refused, and overridden.
    page.get_by_role("button", name="Find", exact=True).click()
    page.fill("#find-q", str(inside.ticket_id))
    page.press("#find-q", "Enter")
    again = find.locator(f'.found[data-ticket-id="{inside.ticket_id}"]')
    again.get_by_role("button", name="Admit…").click()
    again.get_by_placeholder("Reason (required)").fill("wristband checked")
    again.get_by_role("button", name="Admit", exact=True).click()
    expect(result.locator(".result-title")).to_have_text("ALREADY SCANNED")
    expect(result.locator(".result-holder")).to_have_text(inside.holder)
    result.get_by_role("button", name="Admit anyway…").click()
    result.get_by_placeholder("Reason (required)").fill("left by the side gate")
    result.get_by_role("button", name="Admit anyway").click()
    expect(result.locator(".result-message")).to_have_text(
        f"Admitted by {LONG_NAME}: left by the side gate"
    )
    # The holder the rejection showed is still there after the override.
    expect(result.locator(".result-holder")).to_have_text(inside.holder)
    expect(result.locator(".result-title")).to_have_text("ADMITTED")
    page.screenshot(path=screenshots / "door-override-keeps-holder.png")


def future_event(tmp_path: Path, policy: DoorPolicy, days: int = 90) -> tuple[Path, DemoEvent]:
    now = dt.datetime.now(dt.UTC)
    event = build_demo_event(
        20, now=now, seed=11, starts_at=now + dt.timedelta(days=days), door_policy=policy
    )
    path = tmp_path / f"{policy}.vgpkg"
    write_demo_event(event, path)
    return path, event


def open_kiosk(browser: Browser, gate: Gate) -> tuple[BrowserContext, Page]:
    context = browser.new_context(
        viewport={"width": 1024, "height": 600}, locale="en-US", timezone_id="America/New_York"
    )
    page = context.new_page()
    page.goto(f"{gate.url}/kiosk?display=30")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    return context, page


def test_the_kiosk_shows_the_door_window_and_warns_of_a_ticket_for_another_date(
    browser: Browser, start_gate: GateFactory, tmp_path: Path, screenshots: Path
) -> None:
    package, event = future_event(tmp_path, "warn")
    gate = start_gate("gate-1", package=package)
    context, page = open_kiosk(browser, gate)
    opens = (
        dt.datetime.fromisoformat(str(event.package.event.starts_at)) - dt.timedelta(minutes=120)
    ).astimezone(dt.timezone(dt.timedelta(hours=2)))
    door = page.locator("#door")
    expect(door).to_have_attribute("data-state", "early")
    expect(door).to_contain_text(f"Doors {opens:%Y-%m-%d %H:%M} SAST \u2013 ")
    result = page.locator("#result")
    expect(result.locator(".result-message")).to_have_text(
        f"Doors open {opens:%Y-%m-%d %H:%M} SAST: tickets scanned now are for another date"
        " and are admitted with a warning."
    )
    page.screenshot(path=screenshots / "door-kiosk-window.png")

    ticket = next(t for t in event.tickets if t.ticket_type == "General admission")
    page.keyboard.type(ticket.qr)
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-state", "ok")
    expect(result).to_have_attribute("data-warning", "outside_door_window")
    expect(result.locator(".result-warning")).to_have_text("⚠ CHECK THE DATE")
    expect(result.locator(".result-message")).to_have_text(
        f"Admitted. Ticket for another date: doors open {opens:%Y-%m-%d %H:%M} SAST."
    )
    expect(result.locator(".result-holder")).to_have_text(ticket.holder)
    page.screenshot(path=screenshots / "door-kiosk-another-date.png")

    # A scan by another client shows live, its time in the same format as the message's.
    gate.scan(ticket.qr)
    expect(result.locator(".result-title")).to_have_text("ALREADY SCANNED")
    expect(result.locator(".result-message")).to_have_text(
        re.compile(rf"^Already admitted: gate-1 at {SAST_TIME}\.$")
    )
    expect(result.locator(".result-meta")).to_have_text(
        re.compile(rf"^gate-1 · {SAST_TIME} · General admission$")
    )
    context.close()


def test_with_the_reject_policy_the_kiosk_turns_a_ticket_for_another_date_away(
    browser: Browser, start_gate: GateFactory, tmp_path: Path, screenshots: Path
) -> None:
    package, event = future_event(tmp_path, "reject")
    gate = start_gate("gate-1", package=package)
    context, page = open_kiosk(browser, gate)
    expect(page.locator("#result .result-message")).to_contain_text("are turned away")
    page.keyboard.type(next(t.qr for t in event.tickets if t.state == "valid"))
    page.keyboard.press("Enter")
    result = page.locator("#result")
    expect(result.locator(".result-title")).to_have_text("NOT VALID NOW")
    expect(result.locator(".result-message")).to_contain_text("Ticket for another date")
    expect(result.locator(".result-warning")).to_be_hidden()
    page.screenshot(path=screenshots / "door-kiosk-rejected-another-date.png")
    assert gate.status()["scans"]["by_reason"] == {"invalid_time": 1}  # type: ignore[index]
    context.close()
