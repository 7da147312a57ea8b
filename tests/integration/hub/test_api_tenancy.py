"""Every declared API route, called by another org and by every role of the org.

Another org's admin naming this org's objects gets 404 (never 403, which would say the object
exists) and changes nothing; a role without the route's permission gets 403 and changes
nothing; a role with it succeeds. Routes come from `hub.api.api.declared`, so a route added
later is walked too (and fails until `api_world` says how to call it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from hub.api import api
from hub.api_routing import PATH_PARAM, ApiRoute
from hub.roles import Role, allowed
from tests.integration.hub.api_world import (
    BODIES,
    FRESH,
    OrgSnapshots,
    World,
    build_world,
    describe_change,
    route_key,
    unique,
)
from tests.integration.hub.conftest import Hub, OrgFactory
from tests.integration.hub.seated_event import ok

ROUTES = api.declared


def _name(route: ApiRoute) -> str:
    return f"{route.method} {route.path}"


@pytest.fixture(scope="module")
def snapshots(hub: Hub) -> Iterator[OrgSnapshots]:
    snaps = OrgSnapshots(hub.database_url)
    yield snaps
    snaps.close()


@pytest.fixture(scope="module")
def org_a(make_org: OrgFactory) -> World:
    return build_world(make_org("Org A"))


@pytest.fixture(scope="module")
def org_b(make_org: OrgFactory) -> World:
    return build_world(make_org("Org B"))


@pytest.fixture(scope="module")
def clients_a(org_a: World) -> dict[Role, httpx.Client]:
    """An API key client of org A for every role."""
    return {role: org_a.org.client(role) for role in Role}


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"], body
    error: dict[str, Any] = body["error"]
    return error


def _ids_of(world: World) -> set[str]:
    return {*world.ids.values(), *world.seat_ids}


def test_every_declared_route_is_described() -> None:
    """The walk covers every route: a new route must get a body (or None) and, if it uses
    its object up, a victim maker."""
    declared = {route_key(r) for r in ROUTES}
    assert declared == set(BODIES), "describe new routes in tests/integration/hub/api_world.py"
    assert set(FRESH) <= declared
    for r in ROUTES:
        if r.method == "DELETE":
            assert route_key(r) in FRESH, f"{_name(r)} needs a victim in FRESH"
        assert set(PATH_PARAM.findall(r.path)) <= {
            "user_id",
            "invitation_id",
            "key_id",
            "venue_id",
            "layout_id",
            "event_id",
            "session_id",
            "type_id",
            "rule_id",
            "list_id",
            "ticket_id",
            "gate_id",
            "device_id",
        }, f"{_name(r)} has a path parameter the walk cannot fill"


@pytest.mark.parametrize("route", ROUTES, ids=_name)
def test_another_org_cannot_read_or_write(
    route: ApiRoute, org_a: World, org_b: World, snapshots: OrgSnapshots
) -> None:
    """Org B's admin, naming org A's objects with a valid body, gets 404 and changes nothing
    of org A; and no answer to org B mentions org A's objects."""
    victims = org_a.fresh(route)
    before = snapshots.take(org_a.org.slug)
    body = org_a.body(route)
    response = org_b.api.request(
        route.method, org_a.path(route, victims), json=body if body is not None else None
    )
    assert describe_change(before, snapshots.take(org_a.org.slug)) == []
    assert response.status_code < 500, response.text
    leaked = {i for i in _ids_of(org_a) | set(victims.values()) if i in response.text}
    if route.method == "GET" or response.status_code >= 400:
        assert not leaked, f"org B saw org A's {leaked}: {response.text[:500]}"
    if PATH_PARAM.search(route.path):
        assert response.status_code == 404, response.text
        assert _error(response)["code"] == "not_found"
    elif any(i in json.dumps(body) for i in _ids_of(org_a)):
        # A route of org B's own whose body names org A's objects.
        assert response.status_code in (404, 422), response.text


# Org B's own objects in the path, org A's objects in the body: refused, and neither org
# changes. `a` is org A's world, `b` org B's.
Mixed = Callable[[World, World], tuple[dict[str, str], Any]]


def _draft_event(b: World) -> str:
    made = ok(
        b.api.post("/api/v1/events", json={"name": unique("Draft"), "venue_id": b.ids["venue_id"]}),
        201,
    )
    return str(made["id"])


MIXED: list[tuple[str, str, str, Mixed]] = [
    (
        "an event at another org's venue",
        "POST",
        "/events",
        lambda a, b: ({}, {"name": unique("Event"), "venue_id": a.ids["venue_id"]}),
    ),
    (
        "another org's layout for a draft event",
        "PATCH",
        "/events/{event_id}",
        lambda a, b: ({"event_id": _draft_event(b)}, {"layout_id": a.ids["layout_id"]}),
    ),
    (
        "a seated type in another org's zone",
        "POST",
        "/events/{event_id}/ticket-types",
        lambda a, b: (
            {},
            {
                "name": unique("Type"),
                "kind": "seated",
                "price_cents": 1,
                "zone_id": a.ids["zone_id"],
            },
        ),
    ),
    (
        "a ticket for another org's seat",
        "POST",
        "/events/{event_id}/tickets",
        lambda a, b: (
            {},
            {"ticket_type_id": b.ids["seated_type_id"], "seat_ids": [a.free_seats[0]]},
        ),
    ),
    (
        "a ticket of another org's type",
        "POST",
        "/events/{event_id}/tickets",
        lambda a, b: ({}, {"ticket_type_id": a.ids["type_id"]}),
    ),
    (
        "relabelling another org's seats",
        "PATCH",
        "/layouts/{layout_id}/seats",
        lambda a, b: ({}, {"seat_ids": [a.seat_ids[0]], "labels": {a.seat_ids[0]: "X1"}}),
    ),
    (
        "moving seats into another org's zone",
        "PATCH",
        "/layouts/{layout_id}/seats",
        lambda a, b: (
            {},
            {"seat_ids": [b.seat_ids[0]], "set_zone": True, "zone_id": a.ids["zone_id"]},
        ),
    ),
    (
        "seats in another org's section",
        "POST",
        "/layouts/{layout_id}/seats/batch",
        lambda a, b: ({}, {"section_id": a.ids["section_id"], "first_row": "X", "last_row": "X"}),
    ),
    (
        "seats of this org in another org's zone",
        "POST",
        "/layouts/{layout_id}/seats/batch",
        lambda a, b: (
            {},
            {
                "section_id": b.ids["section_id"],
                "first_row": "Y",
                "last_row": "Y",
                "zone_id": a.ids["zone_id"],
            },
        ),
    ),
    (
        "a price rule for another org's type",
        "POST",
        "/events/{event_id}/price-rules",
        lambda a, b: (
            {},
            {
                "kind": "group",
                "name": unique("Group"),
                "percent_off": 5,
                "min_quantity": 3,
                "ticket_type_id": a.ids["type_id"],
            },
        ),
    ),
    (
        "a quote for another org's type",
        "POST",
        "/events/{event_id}/quote",
        lambda a, b: ({}, {"ticket_type_id": a.ids["type_id"]}),
    ),
    (
        "a check-in list of another org's types",
        "POST",
        "/events/{event_id}/check-in-lists",
        lambda a, b: (
            {},
            {"name": unique("List"), "gates": ["x"], "ticket_type_ids": [a.ids["type_id"]]},
        ),
    ),
    (
        "a device at another org's venue",
        "POST",
        "/devices",
        lambda a, b: (
            {},
            {
                "name": unique("Pi"),
                "venue_id": a.ids["venue_id"],
                "event_ids": [b.ids["event_id"]],
                "gate": "north",
            },
        ),
    ),
    (
        "a device serving another org's event",
        "POST",
        "/devices",
        lambda a, b: (
            {},
            {
                "name": unique("Pi"),
                "venue_id": b.ids["venue_id"],
                "event_ids": [a.ids["event_id"]],
                "gate": "north",
            },
        ),
    ),
    (
        "a gate rule for another org's type",
        "POST",
        "/events/{event_id}/gate-rules",
        lambda a, b: (
            {},
            {"description": unique("Rule"), "rule": True, "ticket_type_id": a.ids["type_id"]},
        ),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "make"), [m[1:] for m in MIXED], ids=[m[0] for m in MIXED]
)
def test_another_orgs_objects_in_a_body_are_refused(
    method: str,
    path: str,
    make: Mixed,
    org_a: World,
    org_b: World,
    snapshots: OrgSnapshots,
) -> None:
    (route,) = [r for r in ROUTES if (r.method, r.path) == (method, path)]
    overrides, body = make(org_a, org_b)
    assert any(i in json.dumps(body) for i in _ids_of(org_a)), "the body must name org A"
    before_a = snapshots.take(org_a.org.slug)
    before_b = snapshots.take(org_b.org.slug)
    response = org_b.api.request(method, org_b.path(route, overrides), json=body)
    assert response.status_code in (404, 422), response.text
    _error(response)
    assert describe_change(before_a, snapshots.take(org_a.org.slug)) == []
    assert describe_change(before_b, snapshots.take(org_b.org.slug)) == []


@pytest.mark.parametrize("route", ROUTES, ids=_name)
def test_each_role_does_what_the_policy_allows_and_nothing_more(
    route: ApiRoute,
    org_a: World,
    clients_a: dict[Role, httpx.Client],
    snapshots: OrgSnapshots,
) -> None:
    denied = [role for role in Role if not allowed(role, route.action)]
    permitted = [role for role in Role if allowed(role, route.action)]
    assert Role.ADMIN in permitted
    if denied:
        victims = org_a.fresh(route)
        before = snapshots.take(org_a.org.slug)
        for role in denied:
            response = org_a.call(clients_a[role], route, victims)
            assert response.status_code == 403, (role, response.text)
            assert _error(response)["code"] == "forbidden"
        assert describe_change(before, snapshots.take(org_a.org.slug)) == []
    for role in permitted:
        response = org_a.call(clients_a[role], route, org_a.fresh(route))
        if route_key(route) == ("POST", "/api-keys"):
            # Keys cannot mint keys (a leaked key must not outlive its revocation): only a
            # signed-in admin creates them, so every API key is refused here.
            assert response.status_code == 403, response.text
            assert "signed-in admin" in _error(response)["message"]
            continue
        assert response.status_code == route.status, (role, response.text)


def test_no_key_a_malformed_key_or_a_revoked_key_gets_401_everywhere(
    org_a: World, snapshots: OrgSnapshots
) -> None:
    hub = org_a.org.hub
    revoked = org_a.org.key(Role.ADMIN)
    prefix = revoked.split("_")[1]
    (row,) = [k for k in ok(org_a.api.get("/api/v1/api-keys")) if k["prefix"] == prefix]
    ok(org_a.api.post(f"/api/v1/api-keys/{row['id']}/revoke"))
    wrong_secret = revoked[:-4] + ("AAAA" if not revoked.endswith("AAAA") else "BBBB")
    live = org_a.org.key(Role.ADMIN)
    callers = {
        "no key": hub.client(),
        "revoked key": hub.client(headers={"authorization": f"Bearer {revoked}"}),
        "right prefix, wrong secret": hub.client(
            headers={"authorization": f"Bearer {wrong_secret}"}
        ),
        "junk": hub.client(headers={"authorization": "Bearer vgk_nonsense"}),
        "basic scheme": hub.client(headers={"authorization": f"Basic {live}"}),
        "empty bearer": hub.client(headers={"authorization": "Bearer"}),
    }
    victims = {route_key(r): org_a.fresh(r) for r in ROUTES}
    before = snapshots.take(org_a.org.slug)
    failures = []
    for route in ROUTES:
        for label, client in callers.items():
            response = org_a.call(client, route, victims[route_key(route)])
            if response.status_code != 401 or _error(response)["code"] != "not_authenticated":
                failures.append(f"{label} {_name(route)}: {response.status_code}")
    assert failures == []
    assert describe_change(before, snapshots.take(org_a.org.slug)) == []
