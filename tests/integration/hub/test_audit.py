"""The audit log records every change to what is sold or admitted, with who made it, in the
same transaction as the change: through the JSON API and through the pages."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest

from hub import database
from hub.models import AuditEntry, Event, User, Venue
from hub.models import Org as OrgRow
from hub.schemas import EventIn, VenueIn
from hub.services import accounts, audit, events, venues
from tests.integration.hub.conftest import Org, OrgFactory
from tests.integration.hub.seated_event import build_seated_event, ok
from tests.integration.hub.web_user import sign_in


def log(org: Org) -> list[dict[str, Any]]:
    return list(ok(org.api.get("/api/v1/audit", params={"limit": 1000})))


def new_entries(org: Org, before: int) -> list[tuple[str, str]]:
    """(action, target) of the entries after the first `before`, oldest first."""
    entries = log(org)
    return [(e["action"], e["target"]) for e in reversed(entries[: len(entries) - before])]


@pytest.fixture
def org(make_org: OrgFactory) -> Org:
    return make_org("Audited org")


def test_what_is_sold_and_admitted_is_audited_through_the_api(org: Org) -> None:
    api = org.api
    before = len(log(org))
    venue = ok(api.post("/api/v1/venues", json={"name": "Civic Hall", "timezone": "UTC"}), 201)
    ok(api.patch(f"/api/v1/venues/{venue['id']}", json={"timezone": "Africa/Johannesburg"}))
    layout = ok(api.post(f"/api/v1/venues/{venue['id']}/layouts", json={"name": "Main"}), 201)
    lid = layout["id"]
    zone = ok(api.post(f"/api/v1/layouts/{lid}/zones", json={"name": "Stalls"}), 201)
    section = ok(api.post(f"/api/v1/layouts/{lid}/sections", json={"name": "Floor"}), 201)
    seats = ok(
        api.post(
            f"/api/v1/layouts/{lid}/seats/batch",
            json={"section_id": section["id"], "first_row": "A", "last_row": "B", "last_seat": 3},
        ),
        201,
    )
    seat_ids = [s["id"] for s in seats]
    ok(
        api.patch(
            f"/api/v1/layouts/{lid}/seats",
            json={"seat_ids": seat_ids[:4], "set_zone": True, "zone_id": zone["id"]},
        )
    )
    ok(api.patch(f"/api/v1/layouts/{lid}/seats", json={"seat_ids": seat_ids[4:], "remove": True}))
    event = ok(
        api.post("/api/v1/events", json={"name": "Opening night", "venue_id": venue["id"]}), 201
    )
    # Without a timezone of its own, the event takes its venue's.
    assert event["timezone"] == "Africa/Johannesburg"
    base = f"/api/v1/events/{event['id']}"
    ok(api.patch(base, json={"name": "Gala night"}))
    date = ok(
        api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-03-01T16:00:00Z", "ends_at": "2031-03-01T21:00:00Z"},
        ),
        201,
    )
    standing = ok(
        api.post(
            f"{base}/ticket-types",
            json={"name": "Standing", "kind": "general", "price_cents": 5000, "quota": 100},
        ),
        201,
    )
    rule = ok(
        api.post(
            f"{base}/price-rules",
            json={"kind": "promo_code", "name": "Crew", "code": "CREW", "percent_off": 50},
        ),
        201,
    )
    gate = ok(api.post(f"{base}/gates", json={"name": "north"}), 201)
    check_in = ok(
        api.post(
            f"{base}/check-in-lists",
            json={"name": "Main", "gates": ["north"], "ticket_type_ids": [standing["id"]]},
        ),
        201,
    )
    gate_rule = ok(
        api.post(f"{base}/gate-rules", json={"description": "Adults", "rule": {"==": [1, 1]}}),
        201,
    )
    for path in (
        f"{base}/gate-rules/{gate_rule['id']}",
        f"{base}/check-in-lists/{check_in['id']}",
        f"{base}/gates/{gate['id']}",
        f"{base}/price-rules/{rule['id']}",
        f"{base}/ticket-types/{standing['id']}",
        f"{base}/sessions/{date['id']}",
        base,
        f"/api/v1/layouts/{lid}",
        f"/api/v1/venues/{venue['id']}",
    ):
        ok(api.delete(path), 204)

    assert new_entries(org, before) == [
        ("venue.created", "venue Civic Hall"),
        ("venue.updated", "venue Civic Hall"),
        ("layout.created", "layout Main (Civic Hall)"),
        ("zone.created", "layout Main (Civic Hall)"),
        ("section.created", "layout Main (Civic Hall)"),
        ("seats.created", "layout Main (Civic Hall)"),
        ("seats.updated", "layout Main (Civic Hall)"),
        ("seats.deleted", "layout Main (Civic Hall)"),
        ("event.created", "event Opening night"),
        ("event.updated", "event Gala night"),
        ("date.created", "event Gala night"),
        ("ticket_type.created", "ticket type Standing (Gala night)"),
        ("price_rule.created", "price rule Crew (Gala night)"),
        ("gate.created", "gate north (Gala night)"),
        ("check_in_list.created", "check-in list Main (Gala night)"),
        ("gate_rule.created", "entry rule Adults (Gala night)"),
        ("gate_rule.deleted", "entry rule Adults (Gala night)"),
        ("check_in_list.deleted", "check-in list Main (Gala night)"),
        ("gate.deleted", "gate north (Gala night)"),
        ("price_rule.deleted", "price rule Crew (Gala night)"),
        ("ticket_type.deleted", "ticket type Standing (Gala night)"),
        ("date.deleted", "event Gala night"),
        ("event.deleted", "event Gala night"),
        ("layout.deleted", "layout Main (Civic Hall)"),
        ("venue.deleted", "venue Civic Hall"),
    ]
    everything = log(org)
    entries = {e["action"]: e for e in everything[: len(everything) - before]}
    assert all(e["actor"].startswith("API key admin key") for e in entries.values())
    # The details say what changed, with times in the event's zone as its page shows them.
    assert entries["venue.updated"]["detail"] == {"timezone": "Africa/Johannesburg"}
    assert entries["event.updated"]["detail"] == {"name": "Gala night"}
    assert entries["date.created"]["detail"] == {
        "starts": "Sat 01 Mar 2031, 18:00 SAST",
        "ends": "Sat 01 Mar 2031, 23:00 SAST",
    }
    assert entries["seats.created"]["detail"] == {"section": "Floor", "rows": "A-B", "seats": "6"}
    assert entries["seats.updated"]["detail"] == {"seats": "4", "zone": "Stalls"}
    assert entries["seats.deleted"]["detail"] == {"seats": "2"}
    assert entries["price_rule.created"]["detail"] == {
        "kind": "promo_code",
        "percent_off": "50",
        "code": "CREW",
    }
    # The API keeps ISO 8601 with an offset for the moment itself.
    assert dt.datetime.fromisoformat(entries["event.deleted"]["at"]).utcoffset() is not None


def test_refused_changes_leave_no_entry(org: Org) -> None:
    api = org.api
    venue = ok(api.post("/api/v1/venues", json={"name": "Busy Hall"}), 201)
    event = ok(api.post("/api/v1/events", json={"name": "Kept", "venue_id": venue["id"]}), 201)
    general = ok(
        api.post(
            f"/api/v1/events/{event['id']}/ticket-types",
            json={"name": "Door", "kind": "general", "price_cents": 0, "quota": 5},
        ),
        201,
    )
    ok(
        api.post(f"/api/v1/events/{event['id']}/tickets", json={"ticket_type_id": general["id"]}),
        201,
    )
    before = len(log(org))
    assert api.delete(f"/api/v1/venues/{venue['id']}").status_code == 409
    assert api.delete(f"/api/v1/events/{event['id']}").status_code == 409  # it has tickets
    assert (
        api.delete(f"/api/v1/events/{event['id']}/ticket-types/{general['id']}").status_code == 409
    )
    assert api.patch(f"/api/v1/venues/{venue['id']}", json={"name": ""}).status_code == 422
    assert len(log(org)) == before


def test_a_published_event_is_cancelled_not_deleted(org: Org) -> None:
    ev = build_seated_event(org.api)
    refused = org.api.delete(f"/api/v1/events/{ev.event_id}")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invalid_transition"
    assert "cancel it instead" in refused.json()["error"]["message"]
    ok(org.api.post(f"/api/v1/events/{ev.event_id}/status", json={"status": "cancelled"}))
    ok(org.api.delete(f"/api/v1/events/{ev.event_id}"), 204)
    assert org.api.get(f"/api/v1/events/{ev.event_id}").status_code == 404
    assert [e["action"] for e in log(org)][:2] == ["event.deleted", "event.cancelled"]


def test_pages_audit_with_the_member_who_acted(org: Org) -> None:
    admin = sign_in(org.hub, org.admin_email)
    before = len(log(org))
    made = admin.post(f"/o/{org.slug}/venues", {"name": "Town Hall", "timezone": "UTC"})
    assert made.status_code == 303
    venue_id = made.headers["location"].split("/")[-1].split("?")[0]
    event = admin.post(f"/o/{org.slug}/events", {"name": "Recital", "venue_id": venue_id})
    assert event.status_code == 303
    event_path = event.headers["location"].split("?")[0]
    deleted = admin.post(f"{event_path}/delete", {"confirmed": "yes"})
    assert deleted.status_code == 303, deleted.text
    assert new_entries(org, before) == [
        ("venue.created", "venue Town Hall"),
        ("event.created", "event Recital"),
        ("event.deleted", "event Recital"),
    ]
    assert {e["actor"] for e in log(org)[:3]} == {f"Admin <{org.admin_email}>"}


# The change and its entry commit together: when recording fails, the change is undone.


async def _when_recording_fails(url: str, slug: str, email: str) -> dict[str, bool]:
    async with database.connected(url):
        principal = await accounts.member_principal(await User.get(email=email), slug)
        org_id = (await OrgRow.get(slug=slug)).id
        now = dt.datetime.now(dt.UTC)
        venue = await venues.create_venue(principal, VenueIn(name="Doomed Hall"), now)
        event = await events.create_event(principal, EventIn(name="Doomed", venue_id=venue.id), now)
        original = audit.record

        async def failing(*args: object, **kwargs: object) -> None:
            await original(*args, **kwargs)  # type: ignore[arg-type]
            raise RuntimeError("the audit log is unavailable")

        audit.record = failing
        try:
            for attempt in (
                venues.create_venue(principal, VenueIn(name="Unlogged Hall"), now),
                events.delete_event(principal, event.id, now),
            ):
                with pytest.raises(RuntimeError):
                    await attempt
        finally:
            audit.record = original
        return {
            "unlogged venue made": await Venue.exists(org_id=org_id, name="Unlogged Hall"),
            "event kept": await Event.exists(id=event.id),
            "entries of the failed changes": await AuditEntry.filter(
                org_id=org_id, action__in=["event.deleted"]
            ).exists()
            or await AuditEntry.filter(org_id=org_id, target="venue Unlogged Hall").exists(),
        }


def test_a_change_and_its_entry_commit_together(org: Org) -> None:
    outcome = asyncio.run(_when_recording_fails(org.hub.database_url, org.slug, org.admin_email))
    assert outcome == {
        "unlogged venue made": False,
        "event kept": True,
        "entries of the failed changes": False,
    }
