"""The API against its own OpenAPI document: schema-driven fuzzing, and garbage bodies.

Every operation of the served document is fuzzed with schemathesis (valid and invalid data,
the fuzz org's real ids in the path), bounded and derandomised so a run is quick and
repeatable: no answer is a 5xx, and every answer has a documented status and matches its
documented schema. Garbage (not JSON, wrong types, unknown fields, huge or deeply nested
bodies, text PostgreSQL cannot store) gets 400, 413 or 422 with the one error shape, and
changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from hub.api import api
from hub.api_routing import ApiRoute
from hub.app import VERSION
from tests.integration.hub.api_world import OrgSnapshots, World, build_world, route_key
from tests.integration.hub.conftest import Hub, OrgFactory

ROUTES = api.declared
# Per operation and generation mode: about 50 operations, so a few thousand calls in all.
EXAMPLES = 15


def _name(route: ApiRoute) -> str:
    return f"{route.method} {route.path}"


@pytest.fixture(scope="module")
def world(make_org: OrgFactory) -> World:
    return build_world(make_org("Fuzz org"))


@pytest.fixture(scope="module")
def schema(hub: Hub) -> OpenApiSchema:
    return schemathesis.openapi.from_url(f"{hub.url}/api/v1/openapi.json")


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


@pytest.fixture(scope="module")
def snapshots(hub: Hub) -> Iterator[OrgSnapshots]:
    snaps = OrgSnapshots(hub.database_url)
    yield snaps
    snaps.close()


def test_the_served_document_is_the_declared_one(hub: Hub) -> None:
    served = httpx.get(f"{hub.url}/api/v1/openapi.json").json()
    assert served == json.loads(json.dumps(api.openapi("Voelgoed hub API", VERSION)))
    assert len(served["paths"]) >= 30
    # Every operation says which permission it needs, or that it takes no API key.
    for path in served["paths"].values():
        for op in path.values():
            if op.get("security") == []:
                assert op["description"].startswith("No API key: ")
            else:
                assert op["description"].startswith("Requires the `")


@pytest.mark.parametrize("route", ROUTES, ids=_name)
def test_fuzzing_finds_no_server_errors(
    route: ApiRoute,
    world: World,
    schema: OpenApiSchema,
    session: requests.Session,
    hub: Hub,
) -> None:
    operation = schema[api.prefix + route.path][route.method]
    # Mostly the org's real objects, so bodies get past the lookups to the database.
    real = {
        name: world.path(route, world.fresh(route)).split("/")[i]
        for i, name in _path_positions(route).items()
    }
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=real),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=real),
        operation.as_strategy(GenerationMode.POSITIVE),
    )
    headers = {"authorization": f"Bearer {world.org.admin_key}"}

    @settings(
        max_examples=EXAMPLES * 3,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases, use_real_ids=st.booleans())
    def fuzz(case: schemathesis.Case[Any], use_real_ids: bool) -> None:
        if use_real_ids and isinstance(case.body, dict):
            for field, value in _real_body_ids(world).items():
                if field in case.body:
                    case.body[field] = value
        response = case.call(base_url=hub.url, session=session, headers=headers)
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
            ],
        )

    fuzz()


def _real_body_ids(world: World) -> dict[str, Any]:
    """Real objects for a body's id fields, so generated bodies reach the database."""
    ids = world.ids
    return {
        "venue_id": ids["venue_id"],
        "layout_id": ids["layout_id"],
        "section_id": ids["section_id"],
        "zone_id": ids["zone_id"],
        "ticket_type_id": ids["type_id"],
        "ticket_type_ids": [ids["type_id"], ids["seated_type_id"]],
        "seat_ids": world.seat_ids[-3:],
        "email": world.member_email,
    }


def _path_positions(route: ApiRoute) -> dict[int, str]:
    """Which segment of the full path holds which parameter."""
    segments = (api.prefix + route.path).split("/")
    return {i: segment[1:-1] for i, segment in enumerate(segments) if segment.startswith("{")}


# Garbage bodies: what a hand-written client gets wrong.

BODY_ROUTES = [r for r in ROUTES if r.body is not None]


def _garbage(world: World, route: ApiRoute) -> dict[str, tuple[bytes, set[int]]]:
    valid = world.body(route)
    unknown = {**valid, "surprise": 1}
    wrong_types = {k: ([v] if not isinstance(v, list) else {"x": v}) for k, v in valid.items()}
    cases = {
        "empty": (b"", {422}),
        "not JSON": (b"{'name': 'single quotes'}", {400}),
        "truncated": (json.dumps(valid).encode()[:-1], {400}),
        # A field some bodies lack is refused as unknown before its value is read.
        "invalid UTF-8": (b'{"name": "\xff\xfe"}', {400, 422}),
        "lone surrogate": (b'{"name": "\\ud800"}', {400, 422}),
        "a list": (b"[]", {422}),
        "a string": (b'"hello"', {422}),
        "null": (b"null", {422}),
        "unknown field": (json.dumps(unknown).encode(), {422}),
        "wrong types": (json.dumps(wrong_types).encode(), {422}),
        "deeply nested": (b'{"rule": {"x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}", {400, 422}),
        "huge": (json.dumps({"name": "x" * 400_000}).encode(), {413}),
        "huge and nested": (b"[" * 300_000 + b"]" * 300_000, {413}),
        "huge number": (b'{"name": 1' + b"0" * 5000 + b"}", {400, 422}),
        "NUL in text": (_with_nul(valid), {422}),
    }
    if not valid:
        del cases["wrong types"]  # every field is optional: {} is a valid body
    return cases


def _with_nul(valid: dict[str, Any]) -> bytes:
    # PostgreSQL stores no NUL in text: refused up front, not a failed INSERT.
    text = {k: v + "\x00" for k, v in valid.items() if isinstance(v, str) and k != "status"}
    if not text:
        text = {"name": "a\x00b"}
    return json.dumps({**valid, **text}).encode()


@pytest.mark.parametrize("route", BODY_ROUTES, ids=_name)
def test_garbage_bodies_get_a_clear_error_and_change_nothing(
    route: ApiRoute, world: World, snapshots: OrgSnapshots
) -> None:
    victims = world.fresh(route)
    path = world.path(route, victims)
    before = snapshots.take(world.org.slug)
    failures = []
    for label, (raw, statuses) in _garbage(world, route).items():
        response = world.api.request(
            route.method, path, content=raw, headers={"content-type": "application/json"}
        )
        if response.status_code not in statuses:
            failures.append(f"{label}: {response.status_code} {response.text[:200]}")
            continue
        error = response.json()["error"]
        if not (error["code"] and error["message"]):
            failures.append(f"{label}: {error}")
    assert failures == []
    assert snapshots.take(world.org.slug) == before


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize(
    "route",
    [r for r in BODY_ROUTES if r.method != "DELETE" and route_key(r)[0] != "GET"],
    ids=_name,
)
def test_any_bytes_or_json_get_an_answer_not_a_crash(route: ApiRoute, world: World) -> None:
    path = world.path(route)

    @settings(max_examples=15, deadline=None, database=None, derandomize=True)
    @given(body=st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode()))
    def send(body: bytes) -> None:
        response = world.api.request(
            route.method, path, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code < 500, (body, response.text)
        if response.status_code >= 400:
            assert set(response.json()["error"]) >= {"code", "message"}

    send()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/events/{event_id}/sessions",
            {"starts_at": "0001-01-01T00:30:00+01:00", "ends_at": "2031-01-01T00:00:00Z"},
        ),
        (
            "/events/{event_id}/sessions",
            {"starts_at": "2031-01-01T00:00:00Z", "ends_at": "9999-12-31T23:30:00-01:00"},
        ),
        (
            "/events/{event_id}/price-rules",
            {
                "kind": "early_bird",
                "name": "Too early",
                "percent_off": 10,
                "ends_at": "0001-01-01T00:00:00+00:01",
            },
        ),
        (
            "/events/{event_id}/quote",
            {"ticket_type_id": "{type_id}", "at": "9999-12-31T23:59:59-23:59"},
        ),
    ],
    ids=["session start", "session end", "price rule end", "quote moment"],
)
def test_dates_beyond_the_calendar_in_utc_are_refused(
    path: str, body: dict[str, Any], world: World, snapshots: OrgSnapshots
) -> None:
    before = snapshots.take(world.org.slug)
    filled = {k: v.format(**world.ids) if isinstance(v, str) else v for k, v in body.items()}
    response = world.api.post(api.prefix + path.format(**world.ids), json=filled)
    assert response.status_code == 422, response.text
    assert "out of range" in response.json()["error"]["message"]
    assert snapshots.take(world.org.slug) == before
