"""Every organiser page keeps each org's data to its members and each role to its powers.

The routes come from `hub.web.web_routes`, so a page added later is covered as soon as it
is classified in ROUTES (and the first test fails until it is). With org A's objects in the
path, a member of org B gets 404 (as if they did not exist) on every page and every form,
and org A is unchanged afterwards; each role of org A gets 403 on what its role may not do.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.roles import Action, Role, allowed
from hub.settings import HubSettings
from hub.web import web_routes
from tests.integration.hub.conftest import Hub, Org, OrgFactory
from tests.integration.hub.invites import invite, join
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok
from tests.integration.hub.web_user import WebUser, sign_in, sign_up

Access = Action | str  # an Action for org pages; "public" or "user" otherwise
A = Action
ROUTES: dict[tuple[str, str], Access] = {
    ("GET", "/"): "public",
    ("GET", "/signup"): "public",
    ("POST", "/signup"): "public",
    ("GET", "/signin"): "public",
    ("POST", "/signin"): "public",
    ("POST", "/signout"): "user",
    ("GET", "/orgs"): "user",
    ("POST", "/orgs"): "user",
    ("GET", "/invite/{token}"): "public",
    ("POST", "/invite/{token}"): "user",
    ("POST", "/invite/{token}/signup"): "public",
    ("GET", "/signup/confirm/{token}"): "public",
    ("POST", "/signup/confirm/{token}"): "public",
    ("GET", "/o/{slug}"): A.EVENTS_READ,
    ("POST", "/o/{slug}/events"): A.EVENTS_WRITE,
    ("GET", "/o/{slug}/events/{event_id}"): A.EVENTS_READ,
    ("POST", "/o/{slug}/events/{event_id}"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/dates"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/dates/{session_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/ticket-types"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/ticket-types/{type_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/price-rules"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/price-rules/{rule_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/status"): A.EVENTS_PUBLISH,
    ("GET", "/o/{slug}/events/{event_id}/gates"): A.EVENTS_READ,
    ("GET", "/o/{slug}/events/{event_id}/live"): A.EVENTS_READ,
    ("GET", "/o/{slug}/events/{event_id}/live/stream"): A.EVENTS_READ,
    ("POST", "/o/{slug}/events/{event_id}/check-in-lists"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/check-in-lists/{list_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/gate-rules"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/gate-rules/{rule_id}/delete"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/gates"): A.EVENTS_WRITE,
    ("POST", "/o/{slug}/events/{event_id}/gates/{gate_id}/delete"): A.EVENTS_WRITE,
    ("GET", "/o/{slug}/events/{event_id}/devices"): A.DEVICES_READ,
    ("POST", "/o/{slug}/events/{event_id}/devices"): A.DEVICES_MANAGE,
    ("POST", "/o/{slug}/events/{event_id}/devices/{device_id}/revoke"): A.DEVICES_MANAGE,
    ("POST", "/o/{slug}/events/{event_id}/devices/{device_id}/rekey"): A.DEVICES_MANAGE,
    ("POST", "/o/{slug}/events/{event_id}/keys/rotate"): A.KEYS_ROTATE,
    ("GET", "/o/{slug}/events/{event_id}/package"): A.PACKAGE_EXPORT,
    ("GET", "/o/{slug}/events/{event_id}/tickets"): A.TICKETS_READ,
    ("POST", "/o/{slug}/events/{event_id}/tickets"): A.TICKETS_ISSUE,
    ("POST", "/o/{slug}/events/{event_id}/tickets/{ticket_id}/status"): A.TICKETS_ISSUE,
    ("GET", "/o/{slug}/venues"): A.VENUES_READ,
    ("POST", "/o/{slug}/venues"): A.VENUES_WRITE,
    ("GET", "/o/{slug}/venues/{venue_id}"): A.VENUES_READ,
    ("POST", "/o/{slug}/venues/{venue_id}"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/venues/{venue_id}/delete"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/venues/{venue_id}/layouts"): A.VENUES_WRITE,
    ("GET", "/o/{slug}/layouts/{layout_id}"): A.VENUES_READ,
    ("POST", "/o/{slug}/layouts/{layout_id}/zones"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/layouts/{layout_id}/sections"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/layouts/{layout_id}/seats"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/layouts/{layout_id}/seats/change"): A.VENUES_WRITE,
    ("POST", "/o/{slug}/layouts/{layout_id}/delete"): A.VENUES_WRITE,
    ("GET", "/o/{slug}/team"): A.MEMBERS_READ,
    ("POST", "/o/{slug}/invitations"): A.MEMBERS_MANAGE,
    ("POST", "/o/{slug}/invitations/{invitation_id}/resend"): A.MEMBERS_MANAGE,
    ("POST", "/o/{slug}/invitations/{invitation_id}/revoke"): A.MEMBERS_MANAGE,
    ("POST", "/o/{slug}/team/{user_id}/role"): A.MEMBERS_MANAGE,
    ("POST", "/o/{slug}/team/{user_id}/remove"): A.MEMBERS_MANAGE,
    ("GET", "/o/{slug}/api-keys"): A.API_KEYS_MANAGE,
    ("POST", "/o/{slug}/api-keys"): A.API_KEYS_MANAGE,
    ("POST", "/o/{slug}/api-keys/{key_id}/revoke"): A.API_KEYS_MANAGE,
    ("GET", "/o/{slug}/settings"): A.ORG_READ,
    ("POST", "/o/{slug}/settings"): A.ORG_MANAGE,
    ("GET", "/o/{slug}/audit"): A.AUDIT_READ,
}
ORG_ROUTES = sorted((key, access) for key, access in ROUTES.items() if isinstance(access, Action))
PARAM = re.compile(r"{(\w+)}")


def declared_routes(tmp_path: Path) -> set[tuple[str, str]]:
    settings = HubSettings(data_dir=tmp_path, secret_key=b"k" * 32)
    found = set()
    for route in web_routes(settings):
        path = getattr(route, "path", None)
        methods = getattr(route, "methods", None) or set()
        assert path is not None, f"a web route without a path: {route!r}"
        found |= {(method, path) for method in methods if method != "HEAD"}
    return found


def test_every_web_route_is_classified(tmp_path: Path) -> None:
    declared = declared_routes(tmp_path)
    unclassified = declared - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES: {sorted(unclassified)}"
    assert not set(ROUTES) - declared, "ROUTES lists routes the app no longer has"


@dataclass
class Tenant:
    """An org with one of everything a page path can name."""

    org: Org
    admin: WebUser
    seated: SeatedEvent
    ids: dict[str, str]

    def path(self, template: str, slug: str | None = None) -> str:
        """`template` with this org's objects (and `slug`, else its own)."""

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "slug":
                return slug or self.org.slug
            if name == "rule_id":  # price rules and gate rules share the parameter name
                return self.ids["gate_rule_id" if "gate-rules" in template else "price_rule_id"]
            return self.ids[name]

        return PARAM.sub(fill, template)

    def snapshot(self) -> dict[str, Any]:
        """Everything of the org the pages could change, read through its API."""
        api = self.org.api
        e, layout = self.seated.event_id, self.seated.layout_id
        reads = [
            "/api/v1/org",
            "/api/v1/members",
            "/api/v1/venues",
            f"/api/v1/venues/{self.seated.venue_id}/layouts",
            f"/api/v1/layouts/{layout}",
            "/api/v1/events",
            *(
                f"/api/v1/events/{e}/{part}"
                for part in (
                    "sessions",
                    "ticket-types",
                    "price-rules",
                    "check-in-lists",
                    "gate-rules",
                    "gates",
                    "keys",
                    "tickets",
                )
            ),
            "/api/v1/audit",
            "/api/v1/devices",
        ]
        state: dict[str, Any] = {path: ok(api.get(path)) for path in reads}
        keys = ok(api.get("/api/v1/api-keys"))
        state["api-keys"] = [{k: v for k, v in key.items() if k != "last_used_at"} for key in keys]
        # An invitation's email is delivered in the background, whenever it is.
        pending = ok(api.get("/api/v1/invitations"))
        state["invitations"] = [{k: v for k, v in i.items() if k != "delivery"} for i in pending]
        return state


def make_tenant(hub: Hub, make_org: OrgFactory) -> Tenant:
    org = make_org()
    api = org.api
    seated = build_seated_event(api, publish=False)
    e = seated.event_id
    session = ok(api.get(f"/api/v1/events/{e}/sessions"))[0]
    price_rule = ok(
        api.post(
            f"/api/v1/events/{e}/price-rules",
            json={"kind": "promo_code", "name": "Friends", "percent_off": 10, "code": "FRIENDS"},
        ),
        201,
    )
    check_in = ok(
        api.post(
            f"/api/v1/events/{e}/check-in-lists",
            json={"name": "Main", "gates": ["north"], "ticket_type_ids": [seated.ticket_type_id]},
        ),
        201,
    )
    gate_rule = ok(
        api.post(
            f"/api/v1/events/{e}/gate-rules",
            json={"description": "Once a day", "rule": {"<=": [{"var": "entries_today"}, 1]}},
        ),
        201,
    )
    ticket = ok(
        api.post(
            f"/api/v1/events/{e}/tickets",
            json={"ticket_type_id": seated.ticket_type_id, "seat_ids": seated.seat_ids[:1]},
        ),
        201,
    )[0]
    gate = ok(api.get(f"/api/v1/events/{e}/gates"))[0]
    device = ok(
        api.post(
            "/api/v1/devices",
            json={"name": "Pi", "venue_id": seated.venue_id, "event_ids": [e], "gate": "north"},
        ),
        201,
    )["device"]
    key = ok(api.get("/api/v1/api-keys"))[0]
    invitation = invite(api, f"invitee-{uuid.uuid4().hex[:10]}@example.org", Role.FINANCE)
    admin = sign_in(hub, org.admin_email)
    ids = {
        "event_id": e,
        "venue_id": seated.venue_id,
        "layout_id": seated.layout_id,
        "session_id": session["id"],
        "type_id": seated.general_type_id,
        "price_rule_id": price_rule["id"],
        "gate_rule_id": gate_rule["id"],
        "list_id": check_in["id"],
        "ticket_id": ticket["id"],
        "gate_id": gate["id"],
        "device_id": device["id"],
        "key_id": key["id"],
        "user_id": admin.user_id(api),
        "invitation_id": invitation["invitation"]["id"],
    }
    return Tenant(org, admin, seated, ids)


@pytest.fixture(scope="module")
def tenant_a(hub: Hub, make_org: OrgFactory) -> Tenant:
    return make_tenant(hub, make_org)


@pytest.fixture(scope="module")
def tenant_b(hub: Hub, make_org: OrgFactory) -> Tenant:
    return make_tenant(hub, make_org)


def hostile_form(a: Tenant) -> dict[str, str]:
    """A form that many of the pages would accept, naming org A's objects."""
    return {
        "name": "Taken over",
        "status": "cancelled",
        "role": "admin",
        "email": a.org.admin_email,
        "compromised": "1",
        "section_id": a.seated.section_id,
        "zone_id": a.seated.zone_id,
        "venue_id": a.seated.venue_id,
        "first_row": "X",
        "last_row": "X",
        "starts_at": "2031-05-01T10:00",
        "ends_at": "2031-05-01T12:00",
        "kind": "general",
        "price_cents": "10",
        "quota": "5",
        "ticket_type_id": a.seated.general_type_id,
        "ticket_type_ids": a.seated.ticket_type_id,
        "gates": "north",
        "description": "Taken over",
        "rule": "true",
        "slug": f"taken-{uuid.uuid4().hex[:6]}",
        "colour": "#000000",
    }


def request(user: WebUser, method: str, path: str, form: dict[str, str]) -> httpx.Response:
    if method == "GET":
        return user.client.get(path)
    return user.post(path, form)


def test_members_of_another_org_find_nothing(tenant_a: Tenant, tenant_b: Tenant) -> None:
    before = tenant_a.snapshot()
    outsider = tenant_b.admin  # an admin, so no role stops them: only tenancy does
    form = hostile_form(tenant_a)
    refused: list[str] = []
    for (method, template), _ in ORG_ROUTES:
        # A's org in the path, and B's org in the path with A's objects.
        paths = {tenant_a.path(template)}
        if PARAM.findall(template) != ["slug"]:
            paths.add(tenant_a.path(template, slug=tenant_b.org.slug))
        for path in paths:
            response = request(outsider, method, path, form)
            if response.status_code != 404:
                refused.append(f"{method} {path}: {response.status_code}")
    assert not refused, "expected 404 for another org's pages:\n" + "\n".join(refused)
    assert tenant_a.snapshot() == before


def test_members_may_open_what_their_role_reads(
    hub: Hub, tenant_a: Tenant, role_users: dict[Role, WebUser]
) -> None:
    wrong: list[str] = []
    for role, user in role_users.items():
        for (method, template), action in ORG_ROUTES:
            if method != "GET" or not isinstance(action, Action):
                continue
            response = user.client.get(tenant_a.path(template))
            head = user.client.head(tenant_a.path(template))
            expected = 200 if allowed(role, action) else 403
            if (response.status_code, head.status_code) != (expected, expected):
                wrong.append(f"{role.value} GET/HEAD {template}: {response.status_code}")
            elif expected == 200 and template.endswith("/live/stream"):
                assert response.headers["content-type"].startswith("text/event-stream")
                assert "event: figures" in response.text
            elif expected == 200 and not template.endswith("/package"):
                assert "<main>" in response.text
    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def role_users(hub: Hub, tenant_a: Tenant) -> dict[Role, WebUser]:
    """One signed-in user of each role in org A (its admin for ADMIN)."""
    users = {Role.ADMIN: tenant_a.admin}
    for role in Role:
        if role is Role.ADMIN:
            continue
        user = sign_up(hub, f"{role.value} member")
        join(hub, tenant_a.org.api, user.email, role)
        users[role] = user
    return users


def test_each_role_is_refused_what_it_may_not_do(
    tenant_a: Tenant, role_users: dict[Role, WebUser]
) -> None:
    before = tenant_a.snapshot()
    form = hostile_form(tenant_a)
    form["email"] = role_users[Role.READ_ONLY].email
    wrong: list[str] = []
    checked = 0
    for role, user in role_users.items():
        for (method, template), action in ORG_ROUTES:
            if method != "POST" or not isinstance(action, Action) or allowed(role, action):
                continue
            response = user.post(tenant_a.path(template), form)
            checked += 1
            if response.status_code != 403:
                wrong.append(f"{role.value} POST {template}: {response.status_code}")
    assert not wrong, "expected 403:\n" + "\n".join(wrong)
    assert checked > 60
    assert tenant_a.snapshot() == before


def test_forms_without_the_session_token_are_refused(hub: Hub, tenant_a: Tenant) -> None:
    admin = tenant_a.admin
    before = tenant_a.snapshot()
    for (method, template), _ in ORG_ROUTES:
        if method != "POST":
            continue
        path = tenant_a.path(template)
        missing = admin.client.post(path, data={"name": "No token"})
        forged = admin.client.post(path, data={"name": "Forged", "csrf": "0" * 64})
        assert (missing.status_code, forged.status_code) == (403, 403), path
    assert tenant_a.snapshot() == before
    # Without a session at all, a page sends the browser to sign in instead.
    anonymous = hub.client(follow_redirects=False)
    response = anonymous.get(tenant_a.path("/o/{slug}/venues"))
    assert response.status_code == 303
    assert response.headers["location"].startswith("/signin?next=")
