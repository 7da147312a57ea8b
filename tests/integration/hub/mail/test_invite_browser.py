"""Inviting in a real browser (Chromium through Playwright): the admin invites from the team
page, the invitee opens the link from the email the SMTP server received, signs up and
lands in the organisation with the role. Screenshots: test-output/screenshots/hub-invite-*.png.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from playwright.sync_api import Browser, Page, expect

from tests.integration.hub.conftest import PASSWORD, Hub, Org, OrgFactory
from tests.integration.hub.mail.conftest import MailHub
from tests.integration.hub.mail.test_delivery import link_in

T = TypeVar("T")


def in_thread(make: Callable[[], T]) -> T:
    """Run `make` (which runs asyncio) off the thread where Playwright keeps its loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(make).result()


def new_page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.locator('main input[name="email"]').fill(email)
    page.locator('main input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/orgs$"))


def test_an_invitee_joins_from_the_email_in_a_browser(
    browser: Browser, mail_hub: MailHub, screenshots: Path
) -> None:
    org: Org = in_thread(lambda: mail_hub.make_org("Karoo Theatre"))
    invitee = "lindiwe@karoo.example"
    admin = new_page(browser, mail_hub.hub.url)
    admin.on("dialog", lambda dialog: dialog.accept())
    sign_in(admin, org.admin_email)
    admin.goto(f"/o/{org.slug}/team")
    form = admin.locator("#invite")
    form.locator('input[name="email"]').fill(invitee)
    form.locator('select[name="role"]').select_option(label="Event manager")
    form.get_by_role("button", name="Send invitation").click()
    expect(admin.locator(".notice")).to_contain_text("Invitation made")
    row = admin.locator(f'#invitations tr[data-email="{invitee}"]')
    expect(row).to_contain_text("Event manager")

    # The email reaches the SMTP server; the team page then says it was sent.
    (received,) = in_thread(lambda: mail_hub.smtp.wait_for(invitee))
    link = link_in(received)
    for _ in range(50):
        admin.reload()
        if row.get_attribute("data-delivery") == "sent":
            break
        admin.wait_for_timeout(100)
    expect(row.locator(".delivery")).to_contain_text("sent")
    admin.screenshot(path=screenshots / "hub-invite-team.png", full_page=True)

    # What the invitee's mail program shows.
    mail_view = new_page(browser, mail_hub.hub.url)
    mail_view.set_content(received.body("html"))
    mail_view.screenshot(path=screenshots / "hub-invite-email.png")
    mail_view.context.close()

    # The invitee opens the link, creates an account there and is in.
    page = new_page(browser, mail_hub.hub.url)
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Join Karoo Theatre")
    expect(page.locator("#invited-email")).to_have_text(invitee)
    page.screenshot(path=screenshots / "hub-invite-signup.png", full_page=True)
    signup = page.locator("#invite-signup")
    signup.locator('input[name="name"]').fill("Lindiwe Nkosi")
    signup.locator('input[name="password"]').fill("short")
    # The browser's own check stops a short password; the hub's is the same.
    signup.locator('input[name="password"]').evaluate("el => el.removeAttribute('minlength')")
    signup.get_by_role("button", name="Create account and join").click()
    expect(page.locator("#invite-signup").locator("..").locator(".form-error")).to_contain_text(
        "at least 10 characters"
    )
    expect(page.locator('input[name="name"]')).to_have_value("Lindiwe Nkosi")
    page.locator('#invite-signup input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    expect(page).to_have_url(re.compile(rf"/o/{org.slug}\?n=joined$"))
    expect(page.locator(".notice")).to_have_text(
        "Welcome: you are now a member of this organisation."
    )
    expect(page.locator("header .role")).to_have_text("Event manager")
    expect(page.locator("header .switcher summary")).to_have_text("Karoo Theatre")
    page.screenshot(path=screenshots / "hub-invite-joined.png", full_page=True)

    # The link was used up.
    page.goto(link)
    expect(page.locator(".error-message")).to_have_text(
        "This invitation has already been used: whoever accepted it reaches the organisation"
        " by signing in."
    )
    page.screenshot(path=screenshots / "hub-invite-used.png", full_page=True)

    # The admin sees the new member; a second invitation is withdrawn with a confirmation.
    admin.goto(f"/o/{org.slug}/team")
    expect(admin.locator(f'#members tr[data-email="{invitee}"] select')).to_have_value(
        "event_manager"
    )
    form = admin.locator("#invite")
    form.locator('input[name="email"]').fill("changed-mind@karoo.example")
    form.get_by_role("button", name="Send invitation").click()
    # Once its email is out, the admin changes their mind.
    (second,) = in_thread(lambda: mail_hub.smtp.wait_for("changed-mind@karoo.example"))
    withdrawn = admin.locator('#invitations tr[data-email="changed-mind@karoo.example"]')
    withdrawn.get_by_role("button", name="Revoke").click()
    expect(admin.locator(".notice")).to_have_text("Invitation withdrawn: its link no longer works.")
    expect(withdrawn).to_have_count(0)
    page.goto(link_in(second))
    expect(page.locator(".error-message")).to_contain_text("This invitation was withdrawn")
    page.screenshot(path=screenshots / "hub-invite-withdrawn.png", full_page=True)
    for p in (admin, page):
        p.context.close()


def test_without_email_the_admin_is_shown_the_link_once(
    browser: Browser, hub: Hub, make_org: OrgFactory, screenshots: Path
) -> None:
    org: Org = in_thread(lambda: make_org("Demo Theatre"))
    admin = new_page(browser, hub.url)
    sign_in(admin, org.admin_email)
    admin.goto(f"/o/{org.slug}/team")
    expect(admin.locator("#invite")).to_contain_text("This hub sends no email")
    form = admin.locator("#invite")
    form.locator('input[name="email"]').fill("pieter@demo.example")
    form.locator('select[name="role"]').select_option(label="Door staff")
    form.get_by_role("button", name="Send invitation").click()
    expect(admin.locator("#handed")).to_contain_text("nothing went to pieter@demo.example")
    link = admin.locator("#invite-link").inner_text()
    assert link.startswith(hub.url + "/invite/")
    admin.screenshot(path=screenshots / "hub-invite-link-shown.png", full_page=True)
    admin.goto(f"/o/{org.slug}/team")
    expect(admin.locator("#handed")).to_have_count(0)
    expect(admin.locator('#invitations tr[data-email="pieter@demo.example"]')).to_contain_text(
        "this hub has no email set up"
    )

    # Whoever gets the link joins with it.
    page = new_page(browser, hub.url)
    page.goto(link)
    page.locator('#invite-signup input[name="name"]').fill("Pieter")
    page.locator('#invite-signup input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    expect(page.locator("header .role")).to_have_text("Door staff")
    for p in (admin, page):
        p.context.close()


def test_sign_up_on_a_hub_with_email_confirms_the_address_first(
    browser: Browser, mail_hub: MailHub, screenshots: Path
) -> None:
    email = "nomvula@karoo.example"
    page = new_page(browser, mail_hub.hub.url)
    page.goto("/signup")
    page.locator('main input[name="email"]').fill(email)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    expect(page.locator("#signup-sent")).to_contain_text(f"We sent a message to {email}")
    page.screenshot(path=screenshots / "hub-signup-sent.png", full_page=True)
    (received,) = in_thread(lambda: mail_hub.smtp.wait_for(email))
    (link,) = set(re.findall(r"https?://[^\s\"<>]+/signup/confirm/[\w-]+", received.body("plain")))
    page.goto(link)
    page.locator('input[name="name"]').fill("Nomvula Zulu")
    page.locator('input[name="password"]').fill(PASSWORD)
    page.screenshot(path=screenshots / "hub-signup-confirm.png", full_page=True)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/orgs$"))
    expect(page.locator("header .who")).to_have_text("Nomvula Zulu")
    page.context.close()
