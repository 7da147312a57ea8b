"""Invitations on a hub that sends no email: the link, once, expiring, revocable; the same
answer for every address; and every step audited.

The session's hub has no SMTP server, so each email is written to DATA/outbox as an .eml
file and the admin's answer carries the link instead.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest

from hub import database
from tests.integration.hub.api_world import sign_up as account
from tests.integration.hub.conftest import PASSWORD, Hub, Org, OrgFactory
from tests.integration.hub.invites import accept, invite, join, link_path
from tests.integration.hub.mail.smtp_server import wait_until
from tests.integration.hub.seated_event import ok
from tests.integration.hub.web_user import sign_in, sign_up

LINK = re.compile(r"https?://[^\s\"<>]+/invite/[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Invitations org")


def address() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.org"


def error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    found: dict[str, Any] = response.json()["error"]
    return found


def eml_to(hub: Hub, to: str) -> email.message.EmailMessage:
    """The .eml file the hub wrote for `to` (waiting for the delivery loop)."""

    def find() -> email.message.EmailMessage | None:
        for path in sorted((hub.data_dir / "outbox").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == to:
                assert isinstance(message, email.message.EmailMessage)
                return message
        return None

    return wait_until(find, 10, f"the .eml file for {to}")


def body(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    text = part.get_content()
    assert isinstance(text, str)
    return text


# Without SMTP: the link goes to the admin, the email to a file


def test_without_smtp_the_admin_gets_the_link_and_the_email_is_saved(hub: Hub, org: Org) -> None:
    to = address()
    made = invite(org.api, to, "door_staff")
    assert made["link"].startswith(hub.url + "/invite/")
    assert made["invitation"]["status"] == "pending"
    saved = eml_to(hub, to)
    assert LINK.findall(body(saved)) == [made["link"]]
    assert saved["From"] == "Invitations org via Voelgoed <noreply@localhost>"
    listed = wait_until(
        lambda: i if (i := _pending(org, to))["delivery"]["status"] == "saved" else None,
        10,
        "the delivery to show as saved",
    )
    assert listed["role"] == "door_staff"
    # The team page shows the link once, with the reason, and not again.
    admin = sign_in(hub, org.admin_email)
    shown = admin.post(f"/o/{org.slug}/invitations", {"email": address(), "role": "finance"})
    assert shown.status_code == 201
    assert "This hub sends no email" in shown.text
    assert re.search(r'<code class="wrap" id="invite-link">http://[^<]+/invite/', shown.text)
    assert shown.headers["cache-control"] == "no-store"
    again = admin.client.get(f"/o/{org.slug}/team")
    assert 'id="invite-link"' not in again.text
    assert "not sent: this hub has no email set up" in again.text


def _pending(org: Org, to: str) -> dict[str, Any]:
    (found,) = [i for i in ok(org.api.get("/api/v1/invitations")) if i["email"] == to]
    return dict(found)


# No account enumeration


def _comparable(made: dict[str, Any], to: str) -> dict[str, Any]:
    """An invitation answer without what differs by address or time."""
    invitation = {
        k: v
        for k, v in made["invitation"].items()
        if k not in ("id", "created_at", "sent_at", "expires_at", "delivery")
    }
    assert invitation.pop("email") == to
    return {"invitation": invitation, "link": bool(made["link"])}


HANDED = re.compile(r'<div class="card key-once" role="alert" id="handed">.*?</div>', re.S)


def _handed_card(page: str, to: str) -> str:
    """The team page's link card, without what differs by address, link or time."""
    found = HANDED.search(page)
    assert found is not None, page
    card = LINK.sub("LINK", found.group(0)).replace(to, "ADDRESS")
    return re.sub(r"\w{3} \d\d \w{3} \d{4}, \d\d:\d\d", "WHEN", card)


def test_inviting_answers_the_same_whether_or_not_the_address_has_an_account(
    hub: Hub, org: Org, make_org: OrgFactory
) -> None:
    stranger = address()  # no account at all
    loner = account(hub)  # an account that belongs to no org
    elsewhere = make_org("Another org").admin_email  # an admin of another org
    admin = sign_in(hub, org.admin_email)
    answers, emails, pages, audits = [], [], [], []
    for to in (stranger, loner, elsewhere):
        response = org.api.post("/api/v1/invitations", json={"email": to, "role": "finance"})
        answers.append((response.status_code, _comparable(response.json(), to)))
        # Each says when its link expires: the minute can turn between the three.
        email = LINK.sub("LINK", body(eml_to(hub, to))).replace(to, "ADDRESS")
        emails.append(re.sub(r"\b\d\d:\d\d\b", "HH:MM", email))
        # The team page's form, inviting again (with another role), as the admin would.
        page = admin.post(f"/o/{org.slug}/invitations", {"email": to.upper(), "role": "read_only"})
        pages.append((page.status_code, _handed_card(page.text, to)))
        audits.append(
            [
                (e["action"], e["actor"], e["detail"])
                for e in ok(org.api.get("/api/v1/audit"))
                if e["target"] == to
            ]
        )
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 201
    assert emails[0] == emails[1] == emails[2]
    assert pages[0] == pages[1] == pages[2]
    assert pages[0][0] == 201
    assert audits[0] == audits[1] == audits[2]
    assert [a for a, _, _ in audits[0]] == ["invitation.resent", "invitation.created"]


def test_a_member_can_be_told_apart_as_the_member_list_already_shows(hub: Hub, org: Org) -> None:
    member = account(hub)
    join(hub, org.api, member, "read_only")
    refused = error(
        org.api.post("/api/v1/invitations", json={"email": member, "role": "admin"}), 409
    )
    assert refused["message"] == f"{member} is already a member"
    assert member in {m["email"] for m in ok(org.api.get("/api/v1/members"))}


def test_adding_an_account_by_email_is_gone(hub: Hub, org: Org) -> None:
    # The old route told anyone with an admin key whether an address had an account.
    response = org.api.post("/api/v1/members", json={"email": account(hub), "role": "finance"})
    assert error(response, 405)["code"] == "method_not_allowed"


# The link: once, until it expires, unless withdrawn


def test_the_link_works_once_even_when_pressed_twice_at_once(hub: Hub, org: Org) -> None:
    to = account(hub)
    made = invite(org.api, to, "event_manager")
    user = sign_in(hub, to)
    page = user.client.get(link_path(made["link"]))
    assert "Join Invitations org" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: user.post(link_path(made["link"])), range(8)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses.count(303) == 1, statuses
    assert set(statuses) <= {303, 410}
    used = user.client.get(link_path(made["link"]))
    assert used.status_code == 410
    assert "This invitation has already been used" in used.text
    roles = [m["role"] for m in ok(org.api.get("/api/v1/members")) if m["email"] == to]
    assert roles == ["event_manager"]


async def _expire(url: str, invitation_id: str) -> None:
    conn = await asyncpg.connect(database.asyncpg_dsn(url))
    try:
        await conn.execute(
            "UPDATE invitation SET expires_at = now() - interval '1 minute' WHERE id = $1",
            uuid.UUID(invitation_id),
        )
    finally:
        await conn.close()


def test_an_expired_link_says_so_and_makes_no_account(hub: Hub, org: Org) -> None:
    to = address()
    made = invite(org.api, to, "finance")
    asyncio.run(_expire(hub.database_url, made["invitation"]["id"]))
    visitor = hub.client(follow_redirects=False)
    page = visitor.get(link_path(made["link"]))
    assert page.status_code == 410
    assert "This invitation expired on" in page.text
    attempt = visitor.post(
        link_path(made["link"]) + "/signup", data={"name": "Late", "password": PASSWORD}
    )
    assert attempt.status_code == 410
    assert "expired" in attempt.text
    assert visitor.post("/signin", data={"email": to, "password": PASSWORD}).status_code == 422
    assert _pending(org, to)["status"] == "expired"
    # Sending it again gives a new link that works.
    renewed = ok(org.api.post(f"/api/v1/invitations/{made['invitation']['id']}/resend"))
    assert renewed["invitation"]["status"] == "pending"
    joined = visitor.post(
        link_path(renewed["link"]) + "/signup", data={"name": "On time", "password": PASSWORD}
    )
    assert joined.status_code == 303


def test_a_revoked_link_says_so(hub: Hub, org: Org) -> None:
    to = account(hub)
    made = invite(org.api, to, "finance")
    revoked = ok(org.api.post(f"/api/v1/invitations/{made['invitation']['id']}/revoke"))
    assert revoked["status"] == "revoked"
    assert to not in {i["email"] for i in ok(org.api.get("/api/v1/invitations"))}
    user = sign_in(hub, to)
    page = user.client.get(link_path(made["link"]))
    assert page.status_code == 410
    assert "This invitation was withdrawn" in page.text
    assert user.post(link_path(made["link"])).status_code == 410
    assert to not in {m["email"] for m in ok(org.api.get("/api/v1/members"))}
    # Revoking twice changes nothing; an accepted invitation cannot be revoked.
    twice = ok(org.api.post(f"/api/v1/invitations/{made['invitation']['id']}/revoke"))
    assert twice["status"] == "revoked"
    other = account(hub)
    taken = invite(org.api, other, "finance")
    accept(sign_in(hub, other), taken["link"])
    late = org.api.post(f"/api/v1/invitations/{taken['invitation']['id']}/revoke")
    assert "already accepted" in error(late, 409)["message"]


def test_resending_replaces_the_link(hub: Hub, org: Org) -> None:
    to = account(hub)
    first = invite(org.api, to, "read_only")
    second = ok(org.api.post(f"/api/v1/invitations/{first['invitation']['id']}/resend"))
    assert second["link"] != first["link"]
    user = sign_in(hub, to)
    old = user.client.get(link_path(first["link"]))
    assert old.status_code == 404
    assert "This invitation link is not valid (or a newer email replaced it)" in old.text
    assert accept(user, second["link"]).status_code == 303


@pytest.mark.parametrize(
    "token", ["not-a-token", "%00", "a" * 5000, "%E2%80%AE%F0%9F%98%80", "%FF%FE"]
)
def test_a_wrong_link_is_one_clear_sentence(hub: Hub, token: str) -> None:
    visitor = hub.client(follow_redirects=False)
    page = visitor.get(f"/invite/{token}")
    assert page.status_code == 404
    assert "This invitation link is not valid" in page.text
    signup = visitor.post(f"/invite/{token}/signup", data={"name": "X", "password": PASSWORD})
    assert signup.status_code == 404


def test_someone_signed_in_as_another_person_is_told_and_refused(hub: Hub, org: Org) -> None:
    to = address()
    made = invite(org.api, to, "admin")
    other = sign_up(hub, "Someone else")
    page = other.client.get(link_path(made["link"]))
    assert page.status_code == 200
    assert f"This invitation is for {to}, and you are signed in as {other.email}" in page.text
    refused = other.post(link_path(made["link"]))
    assert refused.status_code == 403
    assert other.email not in {m["email"] for m in ok(org.api.get("/api/v1/members"))}
    assert _pending(org, to)["status"] == "pending"


def test_an_account_holder_signs_in_then_joins(hub: Hub, org: Org) -> None:
    to = account(hub)
    made = invite(org.api, to, "door_staff")
    visitor = hub.client(follow_redirects=False)
    page = visitor.get(link_path(made["link"]))
    # The page offers both ways in; it does not say which one applies.
    assert 'id="invite-signup"' in page.text
    assert 'id="signin-to-accept"' in page.text
    taken = visitor.post(
        link_path(made["link"]) + "/signup", data={"name": "Again", "password": "another-pass-1"}
    )
    assert taken.status_code == 409
    assert "already exists: sign in instead" in taken.text
    signed_in = visitor.post(
        "/signin", data={"email": to, "password": PASSWORD, "next": link_path(made["link"])}
    )
    assert signed_in.headers["location"] == link_path(made["link"])
    assert 'id="accept"' in visitor.get(link_path(made["link"])).text
    page = visitor.get(link_path(made["link"]))
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert csrf is not None
    joined = visitor.post(link_path(made["link"]), data={"csrf": csrf.group(1)})
    assert joined.headers["location"].endswith("?n=joined")
    assert {m["email"]: m["role"] for m in ok(org.api.get("/api/v1/members"))}[to] == "door_staff"


def test_signing_up_through_the_link_checks_the_form(hub: Hub, org: Org) -> None:
    to = address()
    made = invite(org.api, to, "read_only")
    visitor = hub.client(follow_redirects=False)
    for form, message in [
        ({"name": "Short", "password": "short"}, "at least 10 characters"),
        ({"name": " ", "password": PASSWORD}, "Name: fill this in"),
        ({"name": "N\x00L", "password": PASSWORD}, "Name: remove the invisible NUL character"),
        ({"name": "N" * 201, "password": PASSWORD}, "Name: enter a name of at most 200"),
    ]:
        refused = visitor.post(link_path(made["link"]) + "/signup", data=form)
        assert refused.status_code in (409, 422), refused.text
        assert message in refused.text
    assert _pending(org, to)["status"] == "pending"
    # Another site cannot post it.
    cross = visitor.post(
        link_path(made["link"]) + "/signup",
        data={"name": "Forged", "password": PASSWORD},
        headers={"origin": "https://evil.example"},
    )
    assert cross.status_code == 403


def test_invitations_are_audited_with_who_did_it(hub: Hub, org: Org) -> None:
    to = account(hub)
    made = invite(org.api, to, "finance")
    latest = ok(org.api.post(f"/api/v1/invitations/{made['invitation']['id']}/resend"))
    withdrawn = invite(org.api, address(), "finance")
    ok(org.api.post(f"/api/v1/invitations/{withdrawn['invitation']['id']}/revoke"))
    accept(sign_in(hub, to), latest["link"])
    audit = ok(org.api.get("/api/v1/audit?limit=50"))
    actions = [(e["action"], e["target"]) for e in audit]
    assert ("invitation.created", to) in actions
    assert ("invitation.resent", to) in actions
    assert ("invitation.revoked", withdrawn["invitation"]["email"]) in actions
    accepted = next(e for e in audit if e["action"] == "invitation.accepted" and e["target"] == to)
    assert accepted["actor"] == f"Member <{to}>"
    assert accepted["detail"]["role"] == "finance"
    assert accepted["detail"]["invited_by"].startswith("API key admin key (")


def test_emails_to_one_address_are_limited(hub: Hub, org: Org) -> None:
    to = address()
    made = invite(org.api, to, "finance")
    resend = f"/api/v1/invitations/{made['invitation']['id']}/resend"
    ok(org.api.post(resend))
    ok(org.api.post(resend))
    limited = error(org.api.post(resend), 429)
    assert limited["code"] == "too_many_requests"
    assert f"3 invitation emails went to {to} in the last hour" in limited["message"]
    assert error(org.api.post("/api/v1/invitations", json={"email": to, "role": "admin"}), 429)
    assert _pending(org, to)["role"] == "finance"  # the refused change changed nothing
