"""Every route a gate serves has its declared access rule, and answers each kind of caller
as the table says: the walk enumerates the app's own routes (Mounts included), so a route
added later is walked too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.routing import BaseRoute, Mount, Route
from starlette.routing import Router as StarletteRouter

from gate_node.access import Access
from gate_node.access_rules import ROUTE_RULES
from gate_node.errors import UndeclaredRoute
from gate_node.guard import guard_routes, route_rule
from sync.transport import encode_versions
from tests.integration.conftest import DemoFixture
from tests.integration.gate_node.guarded_gate import (
    CALLERS,
    REFUSALS,
    GuardedGate,
    expected_refusal,
    route_methods,
    served_routes,
    start_guarded_gate,
)

PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
# Bodies that get past validation, so that an admitted caller reaches the route's own work;
# every other route gets `{}`.
BODIES: dict[str, bytes] = {
    "/api/v1/scan": b'{"code": "NOT-A-TICKET", "device": "walk"}',
    "/api/v1/staff/sign-in": b'{"pin": "0000"}',
    "/api/v1/scans/{scan_id}/annul": b'{"reason": "walk"}',
    "/api/v1/scans/{scan_id}/override": b'{"reason": "walk"}',
    "/api/v1/supervision/tickets/{ticket_id}/admit": b'{"reason": "walk"}',
    "/sync/pull": encode_versions({}),
    "/api/v1/decode": b"",
}
# A file the /static mount serves.
MOUNT_FILES = {"/static": "/door.css"}


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory, demo: DemoFixture) -> list[BaseRoute]:
    return served_routes(tmp_path_factory.mktemp("routes"), demo.package_path)


def test_every_served_route_has_its_declared_rule(routes: list[BaseRoute]) -> None:
    served = set()
    for route in routes:
        assert isinstance(route, Route | Mount), route
        assert route_rule(route) is ROUTE_RULES[route.path], route.path
        served.add(route.path)
    # And the table names nothing the gate does not serve: the two stay in step.
    assert served == set(ROUTE_RULES)
    assert any(isinstance(r, Mount) for r in routes)


def test_a_route_without_a_rule_stops_the_gate_from_starting() -> None:
    async def endpoint(request: object) -> None:
        raise AssertionError("never called")

    access = Access(trust_loopback=True, clock=lambda: NotImplemented, is_active=lambda _: True)
    with pytest.raises(UndeclaredRoute, match="/api/v1/undeclared"):
        guard_routes([Route("/api/v1/undeclared", endpoint)], access)
    with pytest.raises(UndeclaredRoute, match="/files"):
        guard_routes([Mount("/files", app=StarletteRouter())], access)


def concrete_path(route: BaseRoute) -> str:
    assert isinstance(route, Route | Mount)
    if isinstance(route, Mount):
        return route.path + MOUNT_FILES[route.path]
    return PATH_PARAM.sub("walk-nope", route.path)


def call(gate: GuardedGate, caller: str, method: str, path: str, body: bytes) -> httpx.Response:
    gate.client.cookies.clear()  # who calls is said by the headers alone
    headers = gate.headers(caller, method, path, body)  # type: ignore[arg-type]
    headers["content-type"] = "application/json"
    with gate.client.stream(method, path, content=body, headers=headers) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            response.read()
        return response


@pytest.fixture(scope="module", params=["kiosk trusted", "--require-sign-in"])
def gate(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    demo: DemoFixture,
) -> Iterator[GuardedGate]:
    extra = ("--require-sign-in",) if request.param == "--require-sign-in" else ()
    yield from start_guarded_gate(
        tmp_path_factory.mktemp("walk"), demo.package_path, "walk", *extra
    )


def test_each_caller_gets_what_the_table_says(gate: GuardedGate, routes: list[BaseRoute]) -> None:
    # Signing out ends the staff callers' sessions: walked last.
    ordered = sorted(routes, key=lambda r: getattr(r, "path", "") == "/api/v1/staff/sign-out")
    walked = 0
    for route in ordered:
        rule = route_rule(route)
        assert rule is not None
        path = concrete_path(route)
        body = BODIES.get(getattr(route, "path", ""), b"{}")
        for method in route_methods(route):
            for caller in CALLERS:
                response = call(gate, caller, method, path, body)
                where = f"{caller} {method} {path} ({rule})"
                assert response.status_code < 500, where
                refusal = expected_refusal(rule, caller, kiosk_trusted=gate.kiosk_trusted)
                if refusal is None:
                    got = (response.status_code, _code(response))
                    assert got not in REFUSALS, f"{where} was refused: {response.text}"
                else:
                    assert (response.status_code, _code(response)) == refusal, where
                    assert response.json()["error"]["message"], where
                walked += 1
    assert walked == len(CALLERS) * sum(len(route_methods(r)) for r in routes)
    gate.sign_in()  # for the tests after this one


def test_names_reach_only_staff_and_the_kiosk(gate: GuardedGate) -> None:
    # Spot checks in words, beside the walk: the live feed and the alerts name holders, so a
    # LAN device without a session gets nothing from them; a session, or the kiosk on the
    # gate itself (unless sign-in is required there too), gets them.
    anonymous = call(gate, "anonymous", "GET", "/api/v1/events", b"")
    assert (anonymous.status_code, _code(anonymous)) == (401, "not_signed_in")
    steward = call(gate, "steward", "GET", "/api/v1/events", b"")
    assert steward.status_code == 200
    assert steward.headers["content-type"].startswith("text/event-stream")
    kiosk = call(gate, "loopback", "GET", "/api/v1/alerts", b"")
    assert kiosk.status_code == (200 if gate.kiosk_trusted else 401)
    status = call(gate, "anonymous", "GET", "/api/v1/status", b"")
    assert status.status_code == 200  # health without names stays public
    unsigned = call(gate, "anonymous", "POST", "/sync/versions", b"")
    assert (unsigned.status_code, _code(unsigned)) == (401, "not_a_peer")


def _code(response: httpx.Response) -> str | None:
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None
