"""A person using the organiser pages over plain HTTP: a cookie jar and the forms' CSRF token."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import httpx

from tests.integration.hub.conftest import PASSWORD, Hub

CSRF_INPUT = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@dataclass
class WebUser:
    """A signed-in browser session of one user."""

    email: str
    client: httpx.Client
    csrf: str

    def post(self, path: str, data: dict[str, str] | None = None) -> httpx.Response:
        """A form post with this session's CSRF token, as the pages send it."""
        return self.client.post(path, data={"csrf": self.csrf, **(data or {})})

    def user_id(self, org_api: httpx.Client) -> str:
        """This user's id, as the org's member list shows it."""
        members = org_api.get("/api/v1/members").json()
        return str(next(m["user_id"] for m in members if m["email"] == self.email))


def _session(hub: Hub, email: str, response: httpx.Response, client: httpx.Client) -> WebUser:
    assert response.status_code == 303, response.text
    page = client.get("/orgs")
    found = CSRF_INPUT.search(page.text)
    assert found is not None, page.text
    return WebUser(email, client, found.group(1))


def sign_up(hub: Hub, name: str = "Organiser") -> WebUser:
    """A brand-new account, signed up through /signup."""
    email = f"{name.lower().replace(' ', '-')}-{uuid.uuid4().hex[:8]}@example.org"
    client = hub.client(follow_redirects=False)
    response = client.post("/signup", data={"name": name, "email": email, "password": PASSWORD})
    return _session(hub, email, response, client)


def sign_in(hub: Hub, email: str, password: str = PASSWORD) -> WebUser:
    """A session of an existing account, signed in through /signin."""
    client = hub.client(follow_redirects=False)
    response = client.post("/signin", data={"email": email, "password": password})
    return _session(hub, email, response, client)
