"""A richly populated org for walking every API route, and what each route needs to be called.

`build_world` fills an org through the API with one of everything a route can name (venue,
layout, zone, section, seats, event with dates, ticket types, price rule, check-in list,
gate rule, issued tickets, a second member, an extra API key). `BODIES` holds a valid body
for every declared route and `FRESH` makes a new victim object for routes that destroy or
finally change the one they name. Both tables must cover `hub.api.api.declared` exactly, so a
route added later fails the tests until it is described here.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx

from hub import database
from hub.api import api
from hub.api_routing import PATH_PARAM, ApiRoute
from hub.roles import Role
from hub.services import accounts
from tests.integration.hub.conftest import PASSWORD, Hub, Org
from tests.integration.hub.invites import invite, join
from tests.integration.hub.seated_event import build_seated_event, ok

_counter = itertools.count(1)


def unique(label: str) -> str:
    """A name no other call of this run has used."""
    return f"{label} {next(_counter)}"


def route_key(route: ApiRoute) -> tuple[str, str]:
    return route.method, route.path


def sign_up(hub: Hub, email: str | None = None) -> str:
    """A user who has signed up (not yet a member of any org); returns the email."""
    email = email or f"user-{uuid.uuid4().hex[:12]}@example.org"
    asyncio.run(_sign_up(hub.database_url, email))
    return email


async def _sign_up(url: str, email: str) -> None:
    async with database.connected(url):
        await accounts.sign_up(email, "Member", PASSWORD)


def api_key_id(org: Org, key: str) -> str:
    """The id (as the API lists it) of the API key `key`."""
    prefix = key.split("_")[1]
    (row,) = [k for k in ok(org.api.get("/api/v1/api-keys")) if k["prefix"] == prefix]
    return str(row["id"])


@dataclass
class World:
    """One org's objects by the path parameter (or body field) that names them."""

    org: Org
    ids: dict[str, str]
    seat_ids: list[str]
    member_email: str
    free_seats: list[str] = field(default_factory=list)

    @property
    def api(self) -> httpx.Client:
        return self.org.api

    def path(self, route: ApiRoute, overrides: dict[str, str] | None = None) -> str:
        """`route`'s URL with this world's ids (and `overrides`) in its parameters."""
        values = {**self.ids, **(overrides or {})}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "rule_id":
                name = "gate_rule_id" if "/gate-rules/" in route.path else "price_rule_id"
            return values[name]

        return api.prefix + PATH_PARAM.sub(value, route.path)

    def fresh(self, route: ApiRoute) -> dict[str, str]:
        """Path overrides naming new victims, for routes that use their object up."""
        make = FRESH.get(route_key(route))
        return make(self) if make else {}

    def body(self, route: ApiRoute) -> Any:
        return BODIES[route_key(route)](self)

    def call(
        self, client: httpx.Client, route: ApiRoute, overrides: dict[str, str] | None = None
    ) -> httpx.Response:
        """Call `route` with `client`, this world's ids and a valid body built from this world."""
        body = self.body(route)
        return client.request(
            route.method, self.path(route, overrides), json=body if body is not None else None
        )


def build_world(org: Org) -> World:
    """Fill `org` with one of everything a route can name."""
    hub = org.hub
    ev = build_seated_event(org.api)
    base = f"/api/v1/events/{ev.event_id}"
    session = ok(
        org.api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-03-02T18:00:00Z", "ends_at": "2031-03-02T23:00:00Z"},
        ),
        201,
    )
    # Enough general admission for every issuing call of the walk.
    general = ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Walk-in", "kind": "general", "price_cents": 5000, "quota": 100_000},
        ),
        201,
    )
    rule = ok(
        org.api.post(
            f"{base}/price-rules",
            json={"kind": "promo_code", "name": "Friends", "code": "FRIENDS", "percent_off": 20},
        ),
        201,
    )
    check_in = ok(
        org.api.post(
            f"{base}/check-in-lists",
            json={
                "name": "Stalls door",
                "gates": ["north"],
                "ticket_type_ids": [ev.ticket_type_id],
            },
        ),
        201,
    )
    gate_rule = ok(
        org.api.post(
            f"{base}/gate-rules",
            json={
                "description": "At most three entries",
                "rule": {"<": [{"var": "entries"}, 3]},
                "ticket_type_id": general["id"],
            },
        ),
        201,
    )
    gate = ok(org.api.get(f"{base}/gates"))[0]
    device = ok(
        org.api.post(
            "/api/v1/devices",
            json={
                "name": "Pi north",
                "venue_id": ev.venue_id,
                "event_ids": [ev.event_id],
                "gate": "north",
            },
        ),
        201,
    )["device"]
    seated = ok(
        org.api.post(
            f"{base}/tickets",
            json={"ticket_type_id": ev.ticket_type_id, "seat_ids": ev.seat_ids[:2]},
        ),
        201,
    )
    ok(org.api.post(f"{base}/tickets", json={"ticket_type_id": general["id"], "quantity": 2}), 201)
    member_email = sign_up(hub)
    member = join(hub, org.api, member_email, Role.DOOR_STAFF)
    invitation = invite(org.api, unique_email(), Role.FINANCE)["invitation"]
    key = org.key(Role.READ_ONLY)
    ids = {
        "venue_id": ev.venue_id,
        "layout_id": ev.layout_id,
        "zone_id": ev.zone_id,
        "section_id": ev.section_id,
        "event_id": ev.event_id,
        "session_id": session["id"],
        "type_id": general["id"],
        "seated_type_id": ev.ticket_type_id,
        "price_rule_id": rule["id"],
        "list_id": check_in["id"],
        "gate_rule_id": gate_rule["id"],
        "ticket_id": seated[0]["id"],
        "gate_id": gate["id"],
        "device_id": device["id"],
        "user_id": member["user_id"],
        "invitation_id": invitation["id"],
        "key_id": api_key_id(org, key),
    }
    return World(org, ids, ev.seat_ids, member_email, free_seats=ev.seat_ids[2:])


# A valid body for every declared route (None: the route takes none). Bodies that name
# objects take them from the world they are built for, so a body built from another org's
# world names that org's objects.

Body = Callable[[World], Any]


def unique_email() -> str:
    """An address no account or invitation of this run has."""
    return f"invitee-{uuid.uuid4().hex[:12]}@example.org"


def _seat_rows(w: World) -> dict[str, Any]:
    row = str(100 + next(_counter))
    return {
        "section_id": w.ids["section_id"],
        "first_row": row,
        "last_row": row,
        "first_seat": 1,
        "last_seat": 2,
    }


BODIES: dict[tuple[str, str], Body] = {
    ("GET", "/org"): lambda w: None,
    ("PATCH", "/org"): lambda w: {"colour": "#123456"},
    ("GET", "/members"): lambda w: None,
    ("PUT", "/members/{user_id}/role"): lambda w: {"role": "door_staff"},
    ("DELETE", "/members/{user_id}"): lambda w: None,
    ("GET", "/invitations"): lambda w: None,
    ("POST", "/invitations"): lambda w: {"email": unique_email(), "role": "read_only"},
    ("POST", "/invitations/{invitation_id}/resend"): lambda w: None,
    ("POST", "/invitations/{invitation_id}/revoke"): lambda w: None,
    ("GET", "/api-keys"): lambda w: None,
    ("POST", "/api-keys"): lambda w: {"name": unique("Key"), "role": "read_only"},
    ("POST", "/api-keys/{key_id}/revoke"): lambda w: None,
    ("GET", "/audit"): lambda w: None,
    ("GET", "/venues"): lambda w: None,
    ("POST", "/venues"): lambda w: {"name": unique("Venue")},
    ("GET", "/venues/{venue_id}"): lambda w: None,
    ("PATCH", "/venues/{venue_id}"): lambda w: {"address": "1 Long Street"},
    ("DELETE", "/venues/{venue_id}"): lambda w: None,
    ("GET", "/venues/{venue_id}/layouts"): lambda w: None,
    ("POST", "/venues/{venue_id}/layouts"): lambda w: {"name": unique("Layout")},
    ("GET", "/layouts/{layout_id}"): lambda w: None,
    ("DELETE", "/layouts/{layout_id}"): lambda w: None,
    ("POST", "/layouts/{layout_id}/zones"): lambda w: {"name": unique("Zone")},
    ("POST", "/layouts/{layout_id}/sections"): lambda w: {"name": unique("Section")},
    ("POST", "/layouts/{layout_id}/seats/batch"): _seat_rows,
    ("PATCH", "/layouts/{layout_id}/seats"): lambda w: {
        "seat_ids": [w.seat_ids[-1]],
        "set_zone": True,
        "zone_id": w.ids["zone_id"],
    },
    ("POST", "/layouts/{layout_id}/seats/change"): lambda w: {
        "select": {"seat_ids": [w.seat_ids[-1]]},
        "action": "set_zone",
        "zone_id": w.ids["zone_id"],
    },
    ("GET", "/events"): lambda w: None,
    ("POST", "/events"): lambda w: {"name": unique("Event"), "venue_id": w.ids["venue_id"]},
    ("GET", "/events/{event_id}"): lambda w: None,
    ("PATCH", "/events/{event_id}"): lambda w: {"description": "Doors at seven"},
    ("DELETE", "/events/{event_id}"): lambda w: None,
    ("POST", "/events/{event_id}/status"): lambda w: {"status": "cancelled"},
    ("GET", "/events/{event_id}/sessions"): lambda w: None,
    ("POST", "/events/{event_id}/sessions"): lambda w: {
        "starts_at": "2031-04-01T18:00:00Z",
        "ends_at": "2031-04-01T22:00:00Z",
    },
    ("DELETE", "/events/{event_id}/sessions/{session_id}"): lambda w: None,
    ("GET", "/events/{event_id}/ticket-types"): lambda w: None,
    ("POST", "/events/{event_id}/ticket-types"): lambda w: {
        "name": unique("Type"),
        "kind": "general",
        "price_cents": 1000,
        "quota": 10,
    },
    ("DELETE", "/events/{event_id}/ticket-types/{type_id}"): lambda w: None,
    ("GET", "/events/{event_id}/price-rules"): lambda w: None,
    ("POST", "/events/{event_id}/price-rules"): lambda w: {
        "kind": "group",
        "name": unique("Group"),
        "percent_off": 10,
        "min_quantity": 4,
        "ticket_type_id": w.ids["type_id"],
    },
    ("DELETE", "/events/{event_id}/price-rules/{rule_id}"): lambda w: None,
    ("POST", "/events/{event_id}/quote"): lambda w: {
        "ticket_type_id": w.ids["type_id"],
        "quantity": 2,
    },
    ("GET", "/events/{event_id}/check-in-lists"): lambda w: None,
    ("POST", "/events/{event_id}/check-in-lists"): lambda w: {
        "name": unique("List"),
        "gates": ["south"],
        "ticket_type_ids": [w.ids["type_id"]],
    },
    ("DELETE", "/events/{event_id}/check-in-lists/{list_id}"): lambda w: None,
    ("GET", "/events/{event_id}/gate-rules"): lambda w: None,
    ("POST", "/events/{event_id}/gate-rules"): lambda w: {
        "description": unique("Rule"),
        "rule": {"!": [{"==": [{"var": "gate"}, "loading-bay"]}]},
        "ticket_type_id": w.ids["type_id"],
    },
    ("DELETE", "/events/{event_id}/gate-rules/{rule_id}"): lambda w: None,
    ("GET", "/events/{event_id}/keys"): lambda w: None,
    ("POST", "/events/{event_id}/keys/rotate"): lambda w: {},
    ("GET", "/events/{event_id}/tickets"): lambda w: None,
    ("POST", "/events/{event_id}/tickets"): lambda w: {
        "ticket_type_id": w.ids["type_id"],
        "quantity": 1,
    },
    ("PUT", "/events/{event_id}/tickets/{ticket_id}/status"): lambda w: {"status": "valid"},
    ("GET", "/events/{event_id}/package"): lambda w: None,
    ("GET", "/events/{event_id}/gates"): lambda w: None,
    ("POST", "/events/{event_id}/gates"): lambda w: {"name": unique("Gate")},
    ("DELETE", "/events/{event_id}/gates/{gate_id}"): lambda w: None,
    ("GET", "/devices"): lambda w: None,
    ("POST", "/devices"): lambda w: {
        "name": unique("Pi"),
        "venue_id": w.ids["venue_id"],
        "event_ids": [w.ids["event_id"]],
        "gate": "south",
    },
    ("GET", "/devices/{device_id}"): lambda w: None,
    ("POST", "/devices/{device_id}/revoke"): lambda w: None,
    ("POST", "/devices/{device_id}/rekey"): lambda w: None,
    ("GET", "/events/{event_id}/live"): lambda w: None,
    # Without Accept: text/event-stream the stream sends the figures once and ends.
    ("GET", "/events/{event_id}/live/stream"): lambda w: None,
}


# Victims for routes that delete or finally change what they name.


def _fresh_member(w: World) -> dict[str, str]:
    made = join(w.org.hub, w.api, sign_up(w.org.hub), Role.READ_ONLY)
    return {"user_id": made["user_id"]}


def _fresh_invitation(w: World) -> dict[str, str]:
    made = invite(w.api, unique_email(), Role.READ_ONLY)
    return {"invitation_id": made["invitation"]["id"]}


def _created(path: str, body: Body, param: str) -> Callable[[World], dict[str, str]]:
    def make(w: World) -> dict[str, str]:
        made = ok(w.api.post("/api/v1" + path.format(**w.ids), json=body(w)), 201)
        return {param: str(made["id"])}

    return make


def _fresh_device(w: World) -> dict[str, str]:
    made = ok(w.api.post("/api/v1/devices", json=BODIES[("POST", "/devices")](w)), 201)
    return {"device_id": str(made["device"]["id"])}


FRESH: dict[tuple[str, str], Callable[[World], dict[str, str]]] = {
    ("DELETE", "/members/{user_id}"): _fresh_member,
    ("POST", "/invitations/{invitation_id}/resend"): _fresh_invitation,
    ("POST", "/invitations/{invitation_id}/revoke"): _fresh_invitation,
    ("POST", "/api-keys/{key_id}/revoke"): lambda w: {
        "key_id": api_key_id(w.org, w.org.key(Role.READ_ONLY))
    },
    ("DELETE", "/venues/{venue_id}"): _created("/venues", BODIES[("POST", "/venues")], "venue_id"),
    ("DELETE", "/layouts/{layout_id}"): _created(
        "/venues/{venue_id}/layouts", BODIES[("POST", "/venues/{venue_id}/layouts")], "layout_id"
    ),
    ("POST", "/events/{event_id}/status"): _created(
        "/events", BODIES[("POST", "/events")], "event_id"
    ),
    ("DELETE", "/events/{event_id}"): _created("/events", BODIES[("POST", "/events")], "event_id"),
    ("DELETE", "/events/{event_id}/sessions/{session_id}"): _created(
        "/events/{event_id}/sessions",
        BODIES[("POST", "/events/{event_id}/sessions")],
        "session_id",
    ),
    ("DELETE", "/events/{event_id}/ticket-types/{type_id}"): _created(
        "/events/{event_id}/ticket-types",
        BODIES[("POST", "/events/{event_id}/ticket-types")],
        "type_id",
    ),
    ("DELETE", "/events/{event_id}/price-rules/{rule_id}"): _created(
        "/events/{event_id}/price-rules",
        BODIES[("POST", "/events/{event_id}/price-rules")],
        "price_rule_id",
    ),
    ("DELETE", "/events/{event_id}/check-in-lists/{list_id}"): _created(
        "/events/{event_id}/check-in-lists",
        BODIES[("POST", "/events/{event_id}/check-in-lists")],
        "list_id",
    ),
    ("DELETE", "/events/{event_id}/gate-rules/{rule_id}"): _created(
        "/events/{event_id}/gate-rules",
        BODIES[("POST", "/events/{event_id}/gate-rules")],
        "gate_rule_id",
    ),
    ("DELETE", "/events/{event_id}/gates/{gate_id}"): _created(
        "/events/{event_id}/gates", BODIES[("POST", "/events/{event_id}/gates")], "gate_id"
    ),
    ("POST", "/devices/{device_id}/revoke"): _fresh_device,
    ("POST", "/devices/{device_id}/rekey"): _fresh_device,
}


# What an org owns, read straight from PostgreSQL: every row of every table with an org_id
# column (so a table added later is covered), and the org's own row.

# Written by reads themselves (touched once a minute by every call with the key), and by
# the hub's mail delivery loop in the background (an email queued by an earlier call is
# delivered whenever it is delivered).
_VOLATILE = {
    ("api_key", "last_used_at"),
    *(
        ("mail_outbox", column)
        for column in (
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "delivery_note",
            "sent_by",
            "sent_at",
        )
    ),
}


class OrgSnapshots:
    """Snapshots of orgs' rows over one PostgreSQL connection (kept open between calls)."""

    def __init__(self, database_url: str) -> None:
        self._runner = asyncio.Runner()
        self._conn: asyncpg.Connection = self._runner.run(asyncpg.connect(database_url))
        self._tables: list[str] = self._runner.run(self._tenant_tables())

    async def _tenant_tables(self) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE column_name = 'org_id' AND table_schema = 'public' ORDER BY table_name"
        )
        return [r["table_name"] for r in rows]

    def take(self, org_slug: str) -> dict[str, list[dict[str, Any]]]:
        return self._runner.run(self._take(org_slug))

    async def _take(self, org_slug: str) -> dict[str, list[dict[str, Any]]]:
        org = await self._conn.fetchrow("SELECT * FROM org WHERE slug = $1", org_slug)
        assert org is not None
        out = {"org": [dict(org)]}
        for table in self._tables:
            # Table names come from the catalogue, not from input.
            rows = await self._conn.fetch(
                f'SELECT * FROM "{table}" WHERE org_id = $1',
                org["id"],
            )
            out[table] = sorted(
                ({k: v for k, v in r.items() if (table, k) not in _VOLATILE} for r in rows),
                key=repr,
            )
        return out

    def close(self) -> None:
        self._runner.run(self._conn.close())
        self._runner.close()


def describe_change(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> list[str]:
    """Which tables changed between two snapshots, and how many rows each way."""
    changes = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, []), after.get(table, [])
        if old != new:
            gone = [r for r in old if r not in new]
            added = [r for r in new if r not in old]
            changes.append(f"{table}: {len(gone)} rows gone or changed, {len(added)} new: {added}")
    return changes
