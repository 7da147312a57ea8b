"""The API's rules as an organiser meets them: seats and quotas under load, publishing,
status, prices, gates, the last admin, keys and the audit log."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from contract.event_package import decode_package
from hub import database
from hub.errors import ValidationFailed
from hub.models import AuditEntry, Membership, User
from hub.models import Org as OrgRow
from hub.roles import Role
from hub.schemas import OrgUpdate
from hub.services import accounts
from tests.integration.hub.api_world import sign_up
from tests.integration.hub.conftest import Hub, Org, OrgFactory
from tests.integration.hub.invites import join
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok
from tests.integration.hub.web_user import sign_in


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Rules org")


@pytest.fixture(scope="module")
def event(org: Org) -> SeatedEvent:
    return build_seated_event(org.api)


def _all_at_once(n: int, call: Any) -> list[httpx.Response]:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: call(), range(n)))


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


# Seats and quotas


def test_a_seat_is_issued_once_even_when_twenty_ask_at_once(org: Org, event: SeatedEvent) -> None:
    seat = event.seat_ids[10]
    url = f"/api/v1/events/{event.event_id}/tickets"
    clients = [
        org.hub.client(headers={"authorization": f"Bearer {org.admin_key}"}) for _ in range(20)
    ]
    pending = iter(clients)
    responses = _all_at_once(
        20,
        lambda: next(pending).post(
            url, json={"ticket_type_id": event.ticket_type_id, "seat_ids": [seat]}
        ),
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19, [r.text for r in responses if r.status_code >= 500]
    tickets = [t for t in ok(org.api.get(url)) if t["seat_id"] == seat]
    assert len(tickets) == 1
    again = org.api.post(url, json={"ticket_type_id": event.ticket_type_id, "seat_ids": [seat]})
    assert "already" in _error(again, 409)["message"]


def test_a_general_admission_quota_is_never_exceeded_under_load(
    org: Org, event: SeatedEvent
) -> None:
    base = f"/api/v1/events/{event.event_id}"
    small = ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Last few", "kind": "general", "price_cents": 100, "quota": 5},
        ),
        201,
    )
    clients = [
        org.hub.client(headers={"authorization": f"Bearer {org.admin_key}"}) for _ in range(20)
    ]
    pending = iter(clients)
    responses = _all_at_once(
        20,
        lambda: next(pending).post(
            f"{base}/tickets", json={"ticket_type_id": small["id"], "quantity": 1}
        ),
    )
    assert sorted(r.status_code for r in responses) == [201] * 5 + [409] * 15
    issued = [t for t in ok(org.api.get(f"{base}/tickets")) if t["ticket_type_id"] == small["id"]]
    assert len(issued) == 5
    refused = org.api.post(f"{base}/tickets", json={"ticket_type_id": small["id"], "quantity": 1})
    assert _error(refused, 409)["message"] == "only 0 of 'Last few' are left"


# Publishing and status


def test_publishing_lists_every_problem_then_publishes(org: Org, event: SeatedEvent) -> None:
    made = ok(
        org.api.post(
            "/api/v1/events",
            json={"name": "Not ready", "venue_id": event.venue_id, "layout_id": event.layout_id},
        ),
        201,
    )
    base = f"/api/v1/events/{made['id']}"
    blocked = _error(org.api.post(f"{base}/status", json={"status": "published"}), 422)
    assert blocked["code"] == "publish_blocked"
    assert blocked["problems"] == ["add at least one date", "add at least one ticket type"]

    empty_zone = ok(
        org.api.post(f"/api/v1/layouts/{event.layout_id}/zones", json={"name": "Empty boxes"}), 201
    )
    in_2020 = {"starts_at": "2020-01-01T18:00:00Z", "ends_at": "2020-01-01T22:00:00Z"}
    past = ok(org.api.post(f"{base}/sessions", json={**in_2020, "allow_past": True}), 201)
    boxes = ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Boxes", "kind": "seated", "price_cents": 1, "zone_id": empty_zone["id"]},
        ),
        201,
    )
    blocked = _error(org.api.post(f"{base}/status", json={"status": "published"}), 422)
    assert blocked["problems"] == [
        "every date is already over",
        "ticket type 'Boxes' is seated in a zone with no seats",
    ]
    assert "already over" in blocked["message"]
    assert ok(org.api.get(base))["status"] == "draft"

    ok(org.api.delete(f"{base}/sessions/{past['id']}"), 204)
    ok(org.api.delete(f"{base}/ticket-types/{boxes['id']}"), 204)
    ok(
        org.api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-05-01T18:00:00Z", "ends_at": "2031-05-01T22:00:00Z"},
        ),
        201,
    )
    ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Door", "kind": "general", "price_cents": 1, "quota": 10},
        ),
        201,
    )
    published = ok(org.api.post(f"{base}/status", json={"status": "published"}))
    assert published["status"] == "published"
    assert published["published_at"] is not None


def test_a_cancelled_event_cannot_change(org: Org) -> None:
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    ok(org.api.post(f"{base}/status", json={"status": "cancelled"}))
    attempts = [
        org.api.patch(base, json={"name": "Back on"}),
        org.api.post(f"{base}/status", json={"status": "published"}),
        org.api.post(f"{base}/status", json={"status": "ended"}),
        org.api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-06-01T18:00:00Z", "ends_at": "2031-06-01T22:00:00Z"},
        ),
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "More", "kind": "general", "price_cents": 1, "quota": 1},
        ),
        org.api.post(f"{base}/tickets", json={"ticket_type_id": ev.general_type_id}),
        org.api.post(f"{base}/keys/rotate", json={}),
    ]
    for response in attempts:
        assert _error(response, 409)["code"] == "invalid_transition", response.request.url
    assert ok(org.api.get(base))["status"] == "cancelled"
    assert ok(org.api.get(base))["name"] == "Opening night"


def test_a_draft_cannot_end_and_an_ended_event_stays_ended(org: Org) -> None:
    ev = build_seated_event(org.api, publish=False)
    base = f"/api/v1/events/{ev.event_id}"
    assert (
        "draft" in _error(org.api.post(f"{base}/status", json={"status": "ended"}), 409)["message"]
    )
    ok(org.api.post(f"{base}/status", json={"status": "published"}))
    ok(org.api.post(f"{base}/status", json={"status": "ended"}))
    _error(org.api.post(f"{base}/status", json={"status": "cancelled"}), 409)


def test_a_draft_keeps_its_layout_while_seated_types_use_it(org: Org) -> None:
    ev = build_seated_event(org.api, publish=False)
    base = f"/api/v1/events/{ev.event_id}"
    other = ok(org.api.post(f"/api/v1/venues/{ev.venue_id}/layouts", json={"name": "Alt"}), 201)
    refused = org.api.patch(base, json={"layout_id": other["id"]})
    assert "seated ticket types" in _error(refused, 409)["message"]
    assert ok(org.api.get(base))["layout_id"] == ev.layout_id
    ok(org.api.delete(f"{base}/ticket-types/{ev.ticket_type_id}"), 204)
    assert ok(org.api.patch(base, json={"layout_id": other["id"]}))["layout_id"] == other["id"]
    # Leaving the field out keeps the layout; null takes it off (a general admission event).
    assert ok(org.api.patch(base, json={"name": "Renamed"}))["layout_id"] == other["id"]
    assert ok(org.api.patch(base, json={"layout_id": None}))["layout_id"] is None


def test_a_published_event_keeps_at_least_one_ticket_type(org: Org) -> None:
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    ok(org.api.delete(f"{base}/ticket-types/{ev.ticket_type_id}"), 204)
    refused = org.api.delete(f"{base}/ticket-types/{ev.general_type_id}")
    assert _error(refused, 409)["code"] == "invalid_transition"
    assert [t["id"] for t in ok(org.api.get(f"{base}/ticket-types"))] == [ev.general_type_id]


def test_timezones_must_be_real_tz_database_names(org: Org) -> None:
    for body in ({"name": "Hall", "timezone": "Mars/Olympus"}, {"name": "Hall", "timezone": "+02"}):
        refused = _error(org.api.post("/api/v1/venues", json=body), 422)
        assert "unknown timezone" in refused["message"]
    made = ok(
        org.api.post("/api/v1/venues", json={"name": "Hall", "timezone": "Africa/Maseru"}), 201
    )
    assert made["timezone"] == "Africa/Maseru"
    _error(org.api.patch("/api/v1/org", json={"timezone": "Nowhere"}), 422)


def test_new_venues_and_events_start_in_their_orgs_timezone(make_org: OrgFactory) -> None:
    org = make_org("Windhoek org")
    ok(org.api.patch("/api/v1/org", json={"timezone": "Africa/Windhoek", "currency": "NAD"}))
    venue = ok(org.api.post("/api/v1/venues", json={"name": "Warehouse"}), 201)
    assert venue["timezone"] == "Africa/Windhoek"
    event = ok(org.api.post("/api/v1/events", json={"name": "Gig", "venue_id": venue["id"]}), 201)
    assert (event["timezone"], event["currency"]) == ("Africa/Windhoek", "NAD")
    # What the organiser names wins.
    other = ok(
        org.api.post(
            "/api/v1/events",
            json={"name": "Tour", "venue_id": venue["id"], "timezone": "UTC", "currency": "ZAR"},
        ),
        201,
    )
    assert (other["timezone"], other["currency"]) == ("UTC", "ZAR")


# Prices


def test_quotes_apply_early_bird_promo_and_group_prices(org: Org) -> None:
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    rules = [
        {
            "kind": "early_bird",
            "name": "Early bird",
            "percent_off": 20,
            "starts_at": "2031-01-01T00:00:00Z",
            "ends_at": "2031-02-01T00:00:00Z",
        },
        {"kind": "promo_code", "name": "Crew", "code": "CREW-2031", "amount_off_cents": 10000},
        {
            "kind": "group",
            "name": "Group of six",
            "percent_off": 30,
            "min_quantity": 6,
            "ticket_type_id": ev.general_type_id,
        },
    ]
    for rule in rules:
        ok(org.api.post(f"{base}/price-rules", json=rule), 201)
    assert [r["name"] for r in ok(org.api.get(f"{base}/price-rules"))] == [
        "Crew",
        "Early bird",
        "Group of six",
    ]

    def quote(**body: Any) -> dict[str, Any]:
        result: dict[str, Any] = ok(org.api.post(f"{base}/quote", json=body))
        return result

    seated, general = ev.ticket_type_id, ev.general_type_id  # 35000 and 15000
    before = quote(ticket_type_id=seated, at="2030-12-31T23:59:59Z")
    assert (before["total_cents"], before["applied_rule"]) == (35000, None)
    early = quote(ticket_type_id=seated, quantity=2, at="2031-01-15T12:00:00Z")
    assert (early["discount_cents"], early["total_cents"]) == (14000, 56000)
    assert early["applied_rule"] == "Early bird"
    assert quote(ticket_type_id=seated, at="2031-02-01T00:00:00Z")["applied_rule"] is None
    # The code, typed in lower case, beats 20% off (7000) with 10000 off.
    crew = quote(ticket_type_id=seated, promo_code="crew-2031", at="2031-01-15T12:00:00Z")
    assert (crew["applied_rule"], crew["total_cents"]) == ("Crew", 25000)
    assert quote(ticket_type_id=seated, promo_code="CREW")["applied_rule"] is None
    # The group price is for standing only, from six tickets; 10000 off beats 30% of 15000.
    assert quote(ticket_type_id=general, quantity=5)["applied_rule"] is None
    group = quote(ticket_type_id=general, quantity=6)
    assert (group["applied_rule"], group["total_cents"]) == ("Group of six", 6 * 10500)
    assert quote(ticket_type_id=seated, quantity=6)["applied_rule"] is None
    crew_standing = quote(ticket_type_id=general, quantity=6, promo_code="Crew-2031")
    assert (crew_standing["applied_rule"], crew_standing["total_cents"]) == ("Crew", 6 * 5000)


def test_price_rules_that_make_no_sense_are_refused(org: Org, event: SeatedEvent) -> None:
    base = f"/api/v1/events/{event.event_id}/price-rules"
    cases = {
        "give either percent_off or amount_off_cents": {
            "kind": "group",
            "name": "G",
            "min_quantity": 2,
        },
        "an early-bird price needs an end": {"kind": "early_bird", "name": "E", "percent_off": 5},
        "a promo code rule needs a code": {"kind": "promo_code", "name": "P", "percent_off": 5},
        "the rule must end after it starts": {
            "kind": "early_bird",
            "name": "E",
            "percent_off": 5,
            "starts_at": "2031-02-01T00:00:00Z",
            "ends_at": "2031-01-01T00:00:00Z",
        },
    }
    before = ok(org.api.get(base))
    for message, body in cases.items():
        assert message in _error(org.api.post(base, json=body), 422)["message"]
    ok(
        org.api.post(
            base, json={"kind": "promo_code", "name": "A", "code": "TWICE", "percent_off": 5}
        ),
        201,
    )
    twice = org.api.post(
        base, json={"kind": "promo_code", "name": "B", "code": "TWICE", "percent_off": 9}
    )
    assert "already used" in _error(twice, 409)["message"]
    assert len(ok(org.api.get(base))) == len(before) + 1


# Gates


def test_check_in_lists_become_the_gates_of_ticket_types_in_the_package(org: Org) -> None:
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    ok(
        org.api.post(
            f"{base}/check-in-lists",
            json={
                "name": "Stalls",
                "gates": ["north", " east "],
                "ticket_type_ids": [ev.ticket_type_id],
            },
        ),
        201,
    )
    ok(
        org.api.post(
            f"{base}/check-in-lists",
            json={"name": "Late door", "gates": ["south"], "ticket_type_ids": [ev.ticket_type_id]},
        ),
        201,
    )
    rule = ok(
        org.api.post(
            f"{base}/gate-rules",
            json={
                "description": "Twice at most",
                "rule": {"<": [{"var": "entries"}, 2]},
                "ticket_type_id": ev.general_type_id,
                "gate": "south",
            },
        ),
        201,
    )
    package = decode_package(org.client(Role.DOOR_STAFF).get(f"{base}/package").content)
    gates = {str(t.id): t.gates for t in package.ticket_types}
    assert gates == {ev.ticket_type_id: ["east", "north", "south"], ev.general_type_id: None}
    (packed,) = package.gate_rules
    assert (str(packed.id), packed.rule, packed.gate) == (rule["id"], rule["rule"], "south")


def test_a_gate_rule_gates_cannot_evaluate_is_refused_with_the_reason(
    org: Org, event: SeatedEvent
) -> None:
    base = f"/api/v1/events/{event.event_id}/gate-rules"
    before = ok(org.api.get(base))
    for rule, reason in [
        ({"bogus": [1, 2]}, "unknown operator 'bogus'"),
        ({"var": "shoe_size"}, "unknown variable 'shoe_size'"),
        ({"<": [1]}, "operator '<' takes 2 or 3 arguments, 1 given"),
        ({"and": [], "or": []}, "a rule node must be an object with exactly one operator"),
        (
            {"and": [True, {"<": [{"var": "age"}, 18]}]},
            "unknown variable 'age' (in the 1st argument of '<')",
        ),
    ]:
        error = _error(org.api.post(base, json={"description": "Bad", "rule": rule}), 422)
        assert error["code"] == "invalid_body"
        assert error["message"].startswith(f"the rule is not one gates can evaluate: {reason}. ")
        # What a rule may contain, and where the problem is in the body.
        assert "Operators: and, or, !, ==" in error["message"]
        assert error["message"].endswith("weekday. - at `$.rule`")
    for rule, reason in [
        ({"==": [{"var": "gate"}, "a\u0000"]}, "it contains a NUL character"),
        (
            {"<": [{"var": "entries"}, 10**20]},
            "the number 100000000000000000000 is too large (at most 9007199254740991)",
        ),
    ]:
        error = _error(org.api.post(base, json={"description": "Bad", "rule": rule}), 422)
        assert error["message"] == f"the rule cannot be stored: {reason} - at `$.rule`"
    assert ok(org.api.get(base)) == before


# People, keys and the audit log


def test_the_last_admin_cannot_be_demoted_or_removed(make_org: OrgFactory) -> None:
    org = make_org("One admin")
    (admin,) = ok(org.api.get("/api/v1/members"))
    url = f"/api/v1/members/{admin['user_id']}"
    assert (
        "at least one admin"
        in _error(org.api.put(f"{url}/role", json={"role": "finance"}), 409)["message"]
    )
    assert "at least one admin" in _error(org.api.delete(url), 409)["message"]
    second = join(org.hub, org.api, sign_up(org.hub), Role.ADMIN)
    ok(org.api.put(f"{url}/role", json={"role": "finance"}))
    # Now the second admin is the last.
    _error(org.api.delete(f"/api/v1/members/{second['user_id']}"), 409)
    roles = {m["email"]: m["role"] for m in ok(org.api.get("/api/v1/members"))}
    assert roles == {org.admin_email: "finance", second["email"]: "admin"}


def test_a_revoked_key_stops_working_at_once(org: Org) -> None:
    key = org.key(Role.EVENT_MANAGER)
    client = org.hub.client(headers={"authorization": f"Bearer {key}"})
    ok(client.get("/api/v1/events"))
    (row,) = [
        k for k in ok(org.api.get("/api/v1/api-keys")) if key.startswith(f"vgk_{k['prefix']}_")
    ]
    revoked = ok(org.api.post(f"/api/v1/api-keys/{row['id']}/revoke"))
    assert revoked["revoked_at"] is not None
    assert _error(client.get("/api/v1/events"), 401)["code"] == "not_authenticated"
    assert _error(client.post("/api/v1/venues", json={"name": "Sneaky"}), 401)
    assert "Sneaky" not in str(ok(org.api.get("/api/v1/venues")))


def test_role_changes_and_key_rotations_are_audited(org: Org, event: SeatedEvent) -> None:
    email = sign_up(org.hub)
    member = join(org.hub, org.api, email, Role.DOOR_STAFF)
    ok(org.api.put(f"/api/v1/members/{member['user_id']}/role", json={"role": "finance"}))
    ok(
        org.api.post(f"/api/v1/events/{event.event_id}/keys/rotate", json={"compromised": True}),
        201,
    )
    audit = ok(org.client(Role.FINANCE).get("/api/v1/audit"))
    changed = next(
        e for e in audit if e["action"] == "member.role_changed" and e["target"] == email
    )
    assert changed["detail"] == {"old": "door_staff", "new": "finance"}
    assert changed["actor"].startswith("API key admin key")
    rotated = next(e for e in audit if e["action"] == "event.key_rotated")
    assert rotated["detail"]["compromised"] == "True"
    assert audit.index(rotated) < audit.index(changed)  # newest first


# Browser sessions on the API


async def _session_token(url: str, email: str) -> str:
    async with database.connected(url):
        user = await User.get(email=email)
        return await accounts.start_session(user, dt.datetime.now(dt.UTC), 1)


def test_a_session_without_the_csrf_token_is_refused_whatever_it_sends(org: Org) -> None:
    token = asyncio.run(_session_token(org.hub.database_url, org.admin_email))
    browser = org.hub.client(cookies={"vg_session": token}, headers={"x-org": org.slug})
    assert ok(browser.get("/api/v1/org"))["slug"] == org.slug
    for candidate in (None, b"0" * 64, "é".encode("latin-1"), b"\xff\xfe"):
        headers = [] if candidate is None else [(b"x-csrf-token", candidate)]
        response = browser.post("/api/v1/venues", json={"name": "Forged"}, headers=headers)
        assert _error(response, 403)["code"] == "csrf_failed"
    assert "Forged" not in str(ok(org.api.get("/api/v1/venues")))


async def _audited_by_a_long_named_admin(url: str, slug: str, admin_email: str) -> list[str]:
    async with database.connected(url):
        user = await accounts.sign_up(
            f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 57}.org", "N" * 200, "door-open-2026"
        )
        org = await OrgRow.get(slug=slug)
        await Membership.create(org_id=org.id, user=user, role=Role.ADMIN)
        principal = await accounts.member_principal(user, slug)
        await accounts.update_org(principal, OrgUpdate(colour="#abcdef"), dt.datetime.now(dt.UTC))
        rows = await AuditEntry.filter(org_id=org.id, action="org.updated")
        return [r.actor for r in rows]


def test_an_admin_with_a_long_name_and_email_is_audited(org: Org) -> None:
    actors = asyncio.run(
        _audited_by_a_long_named_admin(org.hub.database_url, org.slug, org.admin_email)
    )
    assert len(actors) == 1
    assert actors[0].startswith("N" * 200)
    assert len(actors[0]) <= 300


def test_sign_up_refuses_a_name_longer_than_an_account_holds(hub: Hub) -> None:
    async def attempt() -> str:
        async with database.connected(hub.database_url):
            try:
                await accounts.sign_up(
                    f"{uuid.uuid4().hex}@example.org", "N" * 201, "door-open-2026"
                )
            except ValidationFailed as exc:
                return str(exc)
        return "accepted"

    assert "name" in asyncio.run(attempt())


def test_long_lists_come_in_pages_and_say_how_long_they_are(hub: Hub, make_org: OrgFactory) -> None:
    org = make_org()
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    ok(
        org.api.post(
            f"{base}/tickets", json={"ticket_type_id": ev.general_type_id, "quantity": 50}
        ),
        201,
    )
    first = org.api.get(f"{base}/tickets", params={"limit": 20})
    assert first.headers["x-total-count"] == "50"
    rest = org.api.get(f"{base}/tickets", params={"limit": 1000, "offset": 20})
    ids = [t["id"] for t in ok(first)] + [t["id"] for t in ok(rest)]
    assert len(ids) == len(set(ids)) == 50
    assert ok(org.api.get(f"{base}/tickets", params={"offset": 50})) == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"limit": "ten"}):
        assert (
            "query parameter" in _error(org.api.get(f"{base}/tickets", params=bad), 422)["message"]
        )
    assert int(org.api.get("/api/v1/audit", params={"limit": 1}).headers["x-total-count"]) >= 2

    # The page shows 100 at a time, and where the visitor is.
    promenade = ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Promenade", "kind": "general", "price_cents": 5000, "quota": 50},
        ),
        201,
    )
    ok(
        org.api.post(f"{base}/tickets", json={"ticket_type_id": promenade["id"], "quantity": 50}),
        201,
    )
    seats = {"ticket_type_id": ev.ticket_type_id, "seat_ids": ev.seat_ids}
    ok(org.api.post(f"{base}/tickets", json=seats), 201)
    browser = sign_in(hub, org.admin_email).client
    page = browser.get(f"/o/{org.slug}/events/{ev.event_id}/tickets")
    assert page.text.count('class="wrap qr-text"') == 100
    assert "1&ndash;100 of 130" in page.text
    second = browser.get(f"/o/{org.slug}/events/{ev.event_id}/tickets?page=2")
    assert second.text.count('class="wrap qr-text"') == 30
    assert "101&ndash;130 of 130" in second.text


def test_seat_labels_stay_unique_within_a_section_and_tickets_name_the_section(
    org: Org,
) -> None:
    ev = build_seated_event(org.api)
    layout = ok(org.api.get(f"/api/v1/layouts/{ev.layout_id}"))
    by_label = {s["label"]: s["id"] for s in layout["seats"]}
    clash = {"seat_ids": [by_label["B1"]], "labels": {by_label["B1"]: "A1"}}
    refused = _error(org.api.patch(f"/api/v1/layouts/{ev.layout_id}/seats", json=clash), 409)
    assert "'A1'" in refused["message"]
    # Swapping two labels in one change is fine: the result is still unique.
    swap = {
        "seat_ids": [by_label["A1"], by_label["A2"]],
        "labels": {by_label["A1"]: "A2", by_label["A2"]: "A1"},
    }
    ok(org.api.patch(f"/api/v1/layouts/{ev.layout_id}/seats", json=swap))
    issued = ok(
        org.api.post(
            f"/api/v1/events/{ev.event_id}/tickets",
            json={"ticket_type_id": ev.ticket_type_id, "seat_ids": [by_label["A1"]]},
        ),
        201,
    )
    assert issued[0]["seat"] == "Floor A2"


def test_unknown_routes_and_methods_answer_in_the_api_error_shape(org: Org) -> None:
    assert _error(org.api.get("/api/v1/nothing-here"), 404)["code"] == "not_found"
    assert _error(org.api.delete("/api/v1/org"), 405)["code"] == "method_not_allowed"
