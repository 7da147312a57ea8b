"""Joining an org the one way there is: an invitation, accepted through its link.

The session's hub sends no email (no SMTP server), so the API hands the link to the
inviting admin; `join` follows it as the invitee would, signed in through /signin.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from hub.roles import Role
from tests.integration.hub.conftest import PASSWORD, Hub
from tests.integration.hub.seated_event import ok
from tests.integration.hub.web_user import WebUser, sign_in


def invite(api: httpx.Client, email: str, role: Role | str) -> dict[str, Any]:
    """An invitation made through the API; its answer (with `link` on this hub)."""
    made: dict[str, Any] = ok(
        api.post("/api/v1/invitations", json={"email": email, "role": str(role)}), 201
    )
    return made


def link_path(link: str) -> str:
    """The path of an invitation link (what a browser of this hub opens)."""
    return urlsplit(link).path


def accept(user: WebUser, link: str) -> httpx.Response:
    """The signed-in `user` opens `link` and presses Join."""
    page = user.client.get(link_path(link))
    assert page.status_code == 200, page.text
    return user.post(link_path(link))


def join(
    hub: Hub, api: httpx.Client, email: str, role: Role | str, password: str = PASSWORD
) -> dict[str, Any]:
    """Make the account `email` a member with `role`: invited through `api` (an admin's),
    accepted by the account; the member as GET /members lists them."""
    made = invite(api, email, role)
    assert made["link"], "the test hub sends no email, so the API hands the link over"
    response = accept(sign_in(hub, email, password), made["link"])
    assert response.status_code == 303, response.text
    (member,) = [m for m in ok(api.get("/api/v1/members")) if m["email"] == email]
    return dict(member)
