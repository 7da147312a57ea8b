"""The organiser app in a real browser (Debian's Chromium, driven by Playwright) on a real hub.

One organiser goes from sign-up to a published seated event, building the seating plan in
the visual builder on the way; screenshots of the main steps are saved for people to look
at in test-output/screenshots/hub-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from hub.local_time import shown
from hub.roles import Role
from tests.integration.hub.conftest import PASSWORD, Hub, Org, OrgFactory
from tests.integration.hub.invites import join
from tests.integration.hub.seated_event import build_seated_event, ok
from tests.integration.hub.web_user import sign_in, sign_up


def new_org(make_org: OrgFactory) -> Org:
    """An org made by `make_org` in a thread of its own: it runs asyncio, which cannot start
    in this thread while Playwright's sync API keeps an event loop running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(make_org).result()


def submit(page: Page, form: str, fields: dict[str, str], button: str) -> None:
    """Fill the fields of the form `form` (a CSS selector) and press its `button`."""
    scope = page.locator(form)
    for name, value in fields.items():
        field = scope.locator(f'[name="{name}"]')
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    scope.get_by_role("button", name=button).click()


def seat(page: Page, label: str) -> Any:
    return page.locator(f'#plan .seat[data-label="{label}"]')


def centre(page: Page, label: str) -> tuple[float, float]:
    box = seat(page, label).bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_organiser_goes_from_sign_up_to_a_published_seated_event(
    page: Page, screenshots: Path
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/signin$"))
    page.get_by_role("link", name="Create an account").click()
    submit(
        page,
        "main form",
        {"name": "Thandi Mokoena", "email": "thandi@karoo.example", "password": PASSWORD},
        "Create account",
    )
    expect(page).to_have_url(re.compile(r"/orgs$"))
    expect(page.locator("main")).to_contain_text("You do not belong to an organisation yet")

    # A bad address is explained and what was typed stays.
    submit(
        page,
        "main form",
        {"name": "Karoo Theatre", "slug": "Karoo Theatre!"},
        "Create organisation",
    )
    expect(page.locator(".form-error")).to_contain_text("Address: use 2 to 64 lower-case")
    expect(page.locator('input[name="name"]')).to_have_value("Karoo Theatre")
    expect(page.locator('input[name="slug"]')).to_have_value("Karoo Theatre!")
    page.screenshot(path=screenshots / "hub-org-form-error.png")
    submit(page, "main form", {"slug": "karoo-theatre"}, "Create organisation")
    expect(page).to_have_url(re.compile(r"/o/karoo-theatre(\?n=created)?$"))
    expect(page.locator("header .role")).to_have_text("Admin")
    expect(page.locator("header .switcher summary")).to_have_text("Karoo Theatre")

    # A venue with a seating layout: zones, a section, three rows of ten with an aisle.
    page.locator("nav.org-nav").get_by_role("link", name="Venues").click()
    submit(page, "#new-venue form", {"name": "Civic Hall", "address": "1 Church St"}, "Add venue")
    expect(page.locator("h1")).to_have_text("Civic Hall")
    submit(page, "#new-layout form", {"name": "Main hall"}, "Create layout")
    expect(page.locator("h1")).to_have_text("Main hall")
    layout_id = page.url.rsplit("/", 1)[1]
    submit(page, "#zone-form", {"name": "Stalls"}, "Add zone")
    submit(page, "#zone-form", {"name": "Balcony"}, "Add zone")
    submit(page, "#section-form", {"name": "Floor"}, "Add section")
    submit(
        page,
        "#seats-form",
        {
            "first_row": "A",
            "last_row": "C",
            "first_seat": "1",
            "last_seat": "10",
            "aisles_after": "5",
            "zone_id": "Stalls",
        },
        "Add seats",
    )
    builder = page.locator("#builder")
    expect(builder).to_have_attribute("data-state", "ready")
    expect(page.locator("#plan .seat")).to_have_count(30)
    expect(page.locator("#seat-list")).to_contain_text("A10")
    page.screenshot(path=screenshots / "hub-layout-builder.png", full_page=True)

    # Dragging a rectangle selects the block under it.
    page.mouse.move(*centre(page, "A1"))
    page.mouse.down()
    page.mouse.move(*centre(page, "A2"), steps=3)
    page.mouse.move(*centre(page, "B3"), steps=3)
    page.mouse.up()
    expect(page.locator("#selection-count")).to_have_text("6 seats selected")
    # A row label selects its row; its seats move to the second zone.
    page.locator('#plan .row-label:text-is("C")').click()
    expect(page.locator("#selection-count")).to_have_text("10 seats selected")
    page.locator("#zone-choice").select_option(label="Balcony")
    page.get_by_role("button", name="Assign zone").click()
    expect(seat(page, "C7")).to_have_attribute("data-zone", "Balcony")
    # Shift-click extends from the last seat clicked: C1..C3 back to Stalls.
    seat(page, "C1").click()
    seat(page, "C3").click(modifiers=["Shift"])
    expect(page.locator("#selection-count")).to_have_text("3 seats selected")
    page.locator("#zone-choice").select_option(label="Stalls")
    page.get_by_role("button", name="Assign zone").click()
    # One seat gets a label of its own.
    seat(page, "A1").click()
    page.locator("#seat-label").fill("A1 VIP")
    page.get_by_role("button", name="Relabel seat").click()
    expect(page.locator("#pending")).to_have_text("8 seats with unsaved changes")
    page.screenshot(path=screenshots / "hub-builder-unsaved.png", full_page=True)
    page.get_by_role("button", name="Save changes").click()
    expect(builder).to_have_attribute("data-state", "saved")
    expect(page.locator("#builder-message")).to_contain_text("Saved")
    expect(page.locator("#pending")).to_have_text("No unsaved changes")
    page.screenshot(path=screenshots / "hub-builder-saved.png", full_page=True)

    # The hub kept it (the same session reads the API with the org in X-Org).
    stored = page.request.get(
        f"/api/v1/layouts/{layout_id}", headers={"X-Org": "karoo-theatre"}
    ).json()
    zone_ids = {z["name"]: z["id"] for z in stored["zones"]}
    zones = {s["label"]: s["zone_id"] for s in stored["seats"]}
    assert zones["C7"] == zones["C10"] == zone_ids["Balcony"]
    assert zones["C1"] == zones["C3"] == zones["B5"] == zone_ids["Stalls"]
    assert "A1 VIP" in zones
    assert "A1" not in zones
    # Reloading draws what was saved.
    page.reload()
    expect(builder).to_have_attribute("data-state", "ready")
    expect(seat(page, "C4")).to_have_attribute("data-zone", "Balcony")
    expect(seat(page, "A1 VIP")).to_have_count(1)

    # An event on that layout: publishing first lists everything missing.
    page.locator("nav.org-nav").get_by_role("link", name="Events").click()
    submit(
        page,
        "#new-event form",
        {"name": "Opening night", "layout_id": "Main hall (30 seats)"},
        "Create event",
    )
    expect(page.locator("h1")).to_contain_text("Opening night")
    expect(page.locator("#event-status")).to_have_text("draft")
    page.get_by_role("button", name="Publish event").click()
    problems = page.locator("#publishing .problems")
    expect(problems).to_contain_text("add at least one date")
    expect(problems).to_contain_text("add at least one ticket type")
    expect(page.locator("#event-status")).to_have_text("draft")
    page.screenshot(path=screenshots / "hub-publish-blocked.png", full_page=True)

    submit(
        page,
        "#date-form",
        {"starts_at": "2031-03-01T18:00", "ends_at": "2031-03-01T23:00"},
        "Add date",
    )
    expect(page.locator("#dates table")).to_contain_text("Sat 01 Mar 2031, 18:00")
    submit(
        page,
        "#ticket-type-form",
        {
            "name": "Balcony seat",
            "kind": "Seated (sells a price zone)",
            "price_cents": "250",
            "zone_id": "Balcony",
        },
        "Add ticket type",
    )
    expect(page.locator("#ticket-types table")).to_contain_text("ZAR 250.00")
    expect(page.locator("#ticket-types table")).to_contain_text("zone Balcony")
    page.get_by_role("button", name="Publish event").click()
    expect(page.locator("#event-status")).to_have_text("published")
    expect(page.locator(".notice")).to_have_text("The event is published.")
    page.screenshot(path=screenshots / "hub-event-published.png", full_page=True)

    # Complimentary tickets for seats of the zone, with their QR text.
    page.get_by_role("link", name="Tickets").click()
    submit(page, "#issue form", {"holder": "Press", "seat_labels": "C7, C8"}, "Issue")
    expect(page.locator("#ticket-list tbody tr")).to_have_count(2)
    expect(page.locator("#ticket-list")).to_contain_text("C8")
    page.screenshot(path=screenshots / "hub-tickets.png", full_page=True)


def test_sign_in_explains_failures_then_asks_to_wait(page: Page, hub: Hub) -> None:
    user = sign_up(hub, "Forgetful")
    page.goto("/signin")
    submit(page, "main form", {"email": user.email, "password": "not-my-password"}, "Sign in")
    expect(page.locator(".form-error")).to_have_text("Wrong email or password.")
    expect(page.locator('input[name="email"]')).to_have_value(user.email)
    expect(page.locator('input[name="password"]')).to_have_value("")

    client = hub.client(follow_redirects=False)
    for _ in range(4):
        wrong = client.post("/signin", data={"email": user.email, "password": "guess-guess"})
        assert wrong.status_code == 422
    # Five failures: even the right password must wait now.
    right = client.post("/signin", data={"email": user.email, "password": PASSWORD})
    assert right.status_code == 429
    assert "Too many failed sign-ins" in right.text
    submit(page, "main form", {"email": user.email, "password": PASSWORD}, "Sign in")
    expect(page.locator(".form-error")).to_contain_text("wait 5 minutes")
    # Another account is not slowed down by it.
    other = sign_up(hub, "Unaffected")
    fine = client.post("/signin", data={"email": other.email, "password": PASSWORD})
    assert fine.status_code == 303


def test_forms_need_the_session_token_and_this_site(
    page: Page, hub: Hub, make_org: OrgFactory
) -> None:
    org = new_org(make_org)
    page.goto("/signin")
    submit(page, "main form", {"email": org.admin_email, "password": PASSWORD}, "Sign in")
    page.goto(f"/o/{org.slug}/venues")
    # A form whose token was stripped (as a forged form would lack it) is refused.
    page.locator('#new-venue input[name="csrf"]').evaluate("el => el.remove()")
    submit(page, "#new-venue form", {"name": "Forged Hall"}, "Add venue")
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("CSRF")
    assert ok(org.api.get("/api/v1/venues")) == []
    # Sign-in has no session yet: a post from another site is refused by its Origin.
    client = hub.client(follow_redirects=False)
    cross = client.post(
        "/signin",
        data={"email": org.admin_email, "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403
    assert "vg_session" not in cross.headers.get("set-cookie", "")


def test_read_only_members_see_no_forms_and_are_refused(
    page: Page, hub: Hub, make_org: OrgFactory
) -> None:
    org = new_org(make_org)
    seated = build_seated_event(org.api, publish=False)
    reader = sign_up(hub, "Reader")
    join(hub, org.api, reader.email, Role.READ_ONLY)
    page.goto("/signin")
    submit(page, "main form", {"email": reader.email, "password": PASSWORD}, "Sign in")
    expect(page).to_have_url(re.compile(r"/orgs$"))
    page.goto(f"/o/{org.slug}")
    expect(page.locator("header .role")).to_have_text("Read-only")
    expect(page.locator("#events")).to_contain_text("Opening night")
    expect(page.locator("#new-event")).to_have_count(0)
    expect(page.locator("nav.org-nav")).not_to_contain_text("API keys")
    expect(page.locator("nav.org-nav")).not_to_contain_text("Audit log")
    page.goto(f"/o/{org.slug}/venues")
    expect(page.locator("#new-venue")).to_have_count(0)
    page.goto(f"/o/{org.slug}/layouts/{seated.layout_id}")
    expect(page.locator("#builder")).to_have_attribute("data-state", "ready")
    expect(page.locator("#plan .seat")).to_have_count(30)
    expect(page.locator("#save")).to_have_count(0)
    expect(page.locator("#zone-form")).to_have_count(0)
    page.goto(f"/o/{org.slug}/events/{seated.event_id}")
    expect(page.locator("#publishing")).to_have_count(0)
    expect(page.locator("#date-form")).to_have_count(0)
    expect(page.locator("form[action$='/signout']")).to_have_count(1)
    page.goto(f"/o/{org.slug}/team")
    expect(page.locator("#invite")).to_have_count(0)

    # The server refuses what the page hides, with the session's own valid token.
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    refused = page.request.post(
        f"/o/{org.slug}/venues", form={"csrf": token, "name": "Sneaky Hall"}
    )
    assert refused.status == 403
    api_refused = page.request.patch(
        f"/api/v1/layouts/{seated.layout_id}/seats",
        headers={"X-Org": org.slug, "X-CSRF-Token": token},
        data={"seat_ids": seated.seat_ids[:1], "remove": True},
    )
    assert api_refused.status == 403
    assert len(ok(org.api.get(f"/api/v1/layouts/{seated.layout_id}"))["seats"]) == 30
    assert [v["name"] for v in ok(org.api.get("/api/v1/venues"))] == ["Civic Hall"]
    assert Role.READ_ONLY.value in {
        m["role"] for m in ok(org.api.get("/api/v1/members")) if m["email"] == reader.email
    }


def test_admin_manages_team_api_keys_and_settings(
    page: Page, hub: Hub, make_org: OrgFactory, screenshots: Path
) -> None:
    org = new_org(make_org)
    page.on("dialog", lambda dialog: dialog.accept())  # the "are you sure?" of revoke, remove
    page.goto("/signin")
    submit(page, "main form", {"email": org.admin_email, "password": PASSWORD}, "Sign in")
    page.goto(f"/o/{org.slug}/team")

    # A bad address is explained and what was typed stays.
    submit(page, "#invite", {"email": "nobody@example"}, "Send invitation")
    expect(page.locator("#invite .form-error")).to_contain_text("Email: enter an email address")
    expect(page.locator('#invite input[name="email"]')).to_have_value("nobody@example")
    colleague = sign_up(hub, "Colleague")
    join(hub, org.api, colleague.email, Role.EVENT_MANAGER)
    page.reload()
    row = page.locator(f'#members tr[data-email="{colleague.email}"]')
    expect(row.locator("select")).to_have_value("event_manager")
    row.locator("select").select_option(label="Finance")
    row.get_by_role("button", name="Change").click()
    expect(row.locator("select")).to_have_value("finance")
    page.screenshot(path=screenshots / "hub-team.png", full_page=True)
    row.get_by_role("button", name="Remove").click()
    expect(page.locator("#members")).not_to_contain_text(colleague.email)

    # An API key is shown once, works, and stops working when revoked.
    page.locator("nav.org-nav").get_by_role("link", name="API keys").click()
    submit(page, "main form.grid-form", {"name": "Box office", "role": "Read-only"}, "Create key")
    key = page.locator("#new-key").inner_text()
    assert key.startswith("vgk_")
    with_key = hub.client(headers={"authorization": f"Bearer {key}"})
    assert with_key.get("/api/v1/org").status_code == 200
    page.locator("nav.org-nav").get_by_role("link", name="API keys").click()
    expect(page.locator("#new-key")).to_have_count(0)
    page.locator("#keys tr", has_text="Box office").get_by_role("button", name="Revoke").click()
    expect(page.locator("#keys tr", has_text="Box office")).to_contain_text("revoked")
    assert with_key.get("/api/v1/org").status_code == 401

    # Settings: a bad currency is explained, then the org is renamed and recoloured.
    page.locator("nav.org-nav").get_by_role("link", name="Settings").click()
    submit(page, "main form", {"name": "Karoo Festival", "currency": "rand"}, "Save settings")
    expect(page.locator(".form-error")).to_contain_text("Currency: use a three-letter")
    expect(page.locator('input[name="name"]')).to_have_value("Karoo Festival")
    submit(page, "main form", {"currency": "ZAR", "colour": "#aa3300"}, "Save settings")
    expect(page.locator(".notice")).to_have_text("Saved.")
    expect(page.locator("header .switcher summary")).to_have_text("Karoo Festival")
    org_now = ok(org.api.get("/api/v1/org"))
    assert (org_now["name"], org_now["branding"]["colour"]) == ("Karoo Festival", "#aa3300")

    page.locator("nav.org-nav").get_by_role("link", name="Audit log").click()
    for action in (
        "invitation.created",
        "invitation.accepted",
        "member.role_changed",
        "api_key.revoked",
        "org.updated",
    ):
        expect(page.locator("#audit")).to_contain_text(action)


def test_refused_forms_explain_and_keep_what_was_typed(hub: Hub, make_org: OrgFactory) -> None:
    org = new_org(make_org)
    seated = build_seated_event(org.api, publish=False)
    admin = sign_in(hub, org.admin_email)
    layout = f"/o/{org.slug}/layouts/{seated.layout_id}"
    mixed = admin.post(
        f"{layout}/seats",
        {"section_id": seated.section_id, "first_row": "A", "last_row": "3", "skip_seats": "4 x"},
    )
    assert mixed.status_code == 422
    assert "Skip seat numbers" in mixed.text
    assert 'value="4 x"' in mixed.text
    event = f"/o/{org.slug}/events/{seated.event_id}"
    bad_rule = admin.post(f"{event}/gate-rules", {"description": "Evenings", "rule": '{"<": [1, 2'})
    assert bad_rule.status_code == 422
    assert "Rule (JSON): the JSON is not valid: line 1, character 12" in bad_rule.text
    assert "the rule ends too early" in bad_rule.text
    assert "{&#34;&lt;&#34;: [1, 2</textarea>" in bad_rule.text  # kept, and escaped
    listed = admin.post(
        f"{event}/check-in-lists",
        {"name": "Floor", "gates": "north, south", "ticket_type_ids": seated.ticket_type_id},
    )
    assert listed.status_code == 303
    lists = ok(org.api.get(f"/api/v1/events/{seated.event_id}/check-in-lists"))
    assert [(c["gates"], c["ticket_type_ids"]) for c in lists] == [
        (["north", "south"], [seated.ticket_type_id])
    ]
    discount = admin.post(
        f"{event}/price-rules",
        {"kind": "promo_code", "name": "Crew", "code": "CREW", "amount_off_cents": "12,50"},
    )
    assert discount.status_code == 303
    rules = ok(org.api.get(f"/api/v1/events/{seated.event_id}/price-rules"))
    assert [r["amount_off_cents"] for r in rules] == [1250]


def sign_in_page(page: Page, email: str) -> None:
    page.goto("/signin")
    submit(page, "main form", {"email": email, "password": PASSWORD}, "Sign in")
    expect(page).to_have_url(re.compile(r"/orgs$|/o/"))


def test_the_audit_log_shows_a_created_and_deleted_event_in_the_org_timezone(
    page: Page, make_org: OrgFactory, screenshots: Path
) -> None:
    org = new_org(make_org)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in_page(page, org.admin_email)
    page.goto(f"/o/{org.slug}/settings")
    submit(page, "main form", {"timezone": "Asia/Kolkata"}, "Save settings")
    expect(page.locator(".notice")).to_have_text("Saved.")
    expect(page.locator("main form")).to_contain_text(" IST.")

    page.goto(f"/o/{org.slug}/venues")
    submit(
        page,
        "#new-venue form",
        {"name": "Market Theatre", "timezone": "Africa/Johannesburg"},
        "Add venue",
    )
    page.goto(f"/o/{org.slug}")
    submit(page, "#new-event form", {"name": "Pop-up concert"}, "Create event")
    expect(page.locator("h1")).to_contain_text("Pop-up concert")
    # Left empty, the event's timezone is its venue's.
    expect(page.locator("main > p.muted").first).to_contain_text("Africa/Johannesburg")
    started = dt.datetime.now(dt.UTC)
    page.get_by_role("button", name="Delete event").click()
    expect(page.locator(".notice")).to_have_text("Deleted.")
    expect(page.locator("main")).not_to_contain_text("Pop-up concert")

    page.locator("nav.org-nav").get_by_role("link", name="Audit log").click()
    rows = page.locator("#audit tbody tr")
    expect(rows.nth(0)).to_contain_text("event.deleted")
    expect(rows.nth(1)).to_contain_text("event.created")
    expect(rows.nth(0)).to_contain_text("event Pop-up concert")
    expect(rows.nth(0)).to_contain_text(f"Admin <{org.admin_email}>")
    # In the org's zone (IST, UTC+05:30), labelled, in the one format of every page.
    possible = {shown(started + dt.timedelta(minutes=m), "Asia/Kolkata") for m in (0, 1)}
    for row in (rows.nth(0), rows.nth(1)):
        when = row.locator("td").first.inner_text()
        assert when in possible, (when, possible)
        assert when.endswith(" IST")
    expect(page.locator("#audit")).to_contain_text("venue.created")
    expect(page.locator("#audit")).to_contain_text("org.updated")
    page.screenshot(path=screenshots / "hub-audit-log.png", full_page=True)


def test_a_date_in_the_past_is_added_only_once_confirmed(
    page: Page, make_org: OrgFactory, screenshots: Path
) -> None:
    org = new_org(make_org)
    seated = build_seated_event(org.api, publish=False)
    sign_in_page(page, org.admin_email)
    page.goto(f"/o/{org.slug}/events/{seated.event_id}")
    typed = {"starts_at": "2021-03-01T18:00", "ends_at": "2021-03-01T22:00", "name": "Reunion"}
    submit(page, "#date-form", typed, "Add date")
    expect(page.locator("#date-form .past-warning")).to_contain_text("starts in the past")
    expect(page.locator(".form-error[data-form='date']")).to_contain_text(
        "Mon 01 Mar 2021, 18:00 SAST"
    )
    for name, value in typed.items():
        expect(page.locator(f'#date-form [name="{name}"]')).to_have_value(value)
    expect(page.locator("#dates table")).not_to_contain_text("2021")
    page.locator("#dates").screenshot(path=screenshots / "hub-past-date-warning.png")
    page.get_by_label("Yes, this date is in the past: add it anyway").check()
    page.locator("#date-form").get_by_role("button", name="Add date").click()
    expect(page.locator(".notice")).to_have_text("Added.")
    expect(page.locator("#dates table")).to_contain_text("Mon 01 Mar 2021, 18:00 SAST")
    expect(page.locator("#date-form .past-warning")).to_have_count(0)


def test_revoke_and_block_ask_first_with_or_without_javascript(
    page: Page, browser: Browser, hub: Hub, make_org: OrgFactory, screenshots: Path
) -> None:
    org = new_org(make_org)
    seated = build_seated_event(org.api)
    tickets = ok(
        org.api.post(
            f"/api/v1/events/{seated.event_id}/tickets",
            json={
                "ticket_type_id": seated.general_type_id,
                "holder": "Sipho Dlamini",
                "quantity": 3,
            },
        ),
        201,
    )
    first, second, third = (
        page.locator(f'#ticket-list tr[data-ticket="{t["id"]}"]') for t in tickets
    )
    sign_in_page(page, org.admin_email)
    tickets_url = f"/o/{org.slug}/events/{seated.event_id}/tickets"
    page.goto(tickets_url)

    # With JavaScript: a dialog asks; no means nothing happens.
    answers = iter([False, True])
    page.on("dialog", lambda d: d.accept() if next(answers) else d.dismiss())
    first.get_by_role("button", name="Revoke").click()
    expect(first.locator(".status")).to_have_text("valid")
    first.get_by_role("button", name="Revoke").click()
    expect(page.locator(".notice")).to_have_text("Revoked.")
    expect(first.locator(".status")).to_have_text("revoked")

    # Block asks why on a confirm page; the reason is what the gate will show.
    second.get_by_role("button", name="Block…").click()
    expect(page.locator("#confirm h1")).to_have_text("Block this ticket?")
    expect(page.locator("#confirm")).to_contain_text("Sipho Dlamini")
    page.get_by_label("Reason").fill("stolen")
    page.screenshot(path=screenshots / "hub-block-confirm.png", full_page=True)
    page.get_by_role("button", name="Block ticket").click()
    expect(page.locator(".notice")).to_contain_text("Blocked")
    expect(second.locator(".status")).to_have_text("blocked")
    expect(second.locator(".reason")).to_have_text("stolen")
    page.screenshot(path=screenshots / "hub-tickets-blocked.png", full_page=True)
    listed = {t["id"]: t for t in ok(org.api.get(f"/api/v1/events/{seated.event_id}/tickets"))}
    assert (listed[tickets[1]["id"]]["status"], listed[tickets[1]["id"]]["status_reason"]) == (
        "blocked",
        "stolen",
    )
    assert any(
        e["action"] == "ticket.blocked" and e["detail"].get("reason") == "stolen"
        for e in ok(org.api.get("/api/v1/audit"))
    )
    second.get_by_role("button", name="Unblock").click()
    expect(second.locator(".status")).to_have_text("valid")

    # Without JavaScript: the hub's own confirm page, and Cancel changes nothing.
    context = browser.new_context(base_url=hub.url, java_script_enabled=False)
    plain = context.new_page()
    try:
        sign_in_page(plain, org.admin_email)
        plain.goto(tickets_url)
        row = plain.locator(f'#ticket-list tr[data-ticket="{tickets[2]["id"]}"]')
        row.get_by_role("button", name="Revoke").click()
        expect(plain.locator("#confirm h1")).to_have_text("Revoke this ticket?")
        plain.screenshot(path=screenshots / "hub-revoke-confirm.png", full_page=True)
        plain.get_by_role("link", name="Cancel").click()
        expect(row.locator(".status")).to_have_text("valid")
        row.get_by_role("button", name="Revoke").click()
        plain.get_by_role("button", name="Revoke ticket").click()
        expect(plain.locator(".notice")).to_have_text("Revoked.")
        expect(row.locator(".status")).to_have_text("revoked")
    finally:
        context.close()
    expect(third).to_have_count(1)
