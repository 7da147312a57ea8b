"""Building a seated event through the API: shared by the hub's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


@dataclass
class SeatedEvent:
    venue_id: str
    layout_id: str
    zone_id: str
    section_id: str
    event_id: str
    ticket_type_id: str
    general_type_id: str
    seat_ids: list[str]


# The gates every built event has (check-in lists and rules choose from an event's gates).
GATES = ("east", "north", "south")


def add_gates(api: httpx.Client, event_id: str, names: tuple[str, ...] = GATES) -> list[Any]:
    """Give the event these gates; their rows as the API answers them."""
    return [
        ok(api.post(f"/api/v1/events/{event_id}/gates", json={"name": name}), 201) for name in names
    ]


def build_seated_event(api: httpx.Client, publish: bool = True) -> SeatedEvent:
    """Venue, layout (rows A-C, seats 1-10, aisle after 5), zone, dated event with gates
    east, north and south, a seated and a general-admission ticket type; published unless
    told not to."""
    venue = ok(api.post("/api/v1/venues", json={"name": "Civic Hall"}), 201)
    layout = ok(api.post(f"/api/v1/venues/{venue['id']}/layouts", json={"name": "Main"}), 201)
    zone = ok(
        api.post(
            f"/api/v1/layouts/{layout['id']}/zones", json={"name": "Stalls", "colour": "#cc3300"}
        ),
        201,
    )
    section = ok(api.post(f"/api/v1/layouts/{layout['id']}/sections", json={"name": "Floor"}), 201)
    seats = ok(
        api.post(
            f"/api/v1/layouts/{layout['id']}/seats/batch",
            json={
                "section_id": section["id"],
                "first_row": "A",
                "last_row": "C",
                "first_seat": 1,
                "last_seat": 10,
                "aisles_after": [5],
                "zone_id": zone["id"],
            },
        ),
        201,
    )
    event = ok(
        api.post(
            "/api/v1/events",
            json={"name": "Opening night", "venue_id": venue["id"], "layout_id": layout["id"]},
        ),
        201,
    )
    add_gates(api, event["id"])
    ok(
        api.post(
            f"/api/v1/events/{event['id']}/sessions",
            json={"starts_at": "2031-03-01T18:00:00Z", "ends_at": "2031-03-01T23:00:00Z"},
        ),
        201,
    )
    seated = ok(
        api.post(
            f"/api/v1/events/{event['id']}/ticket-types",
            json={"name": "Stalls", "kind": "seated", "price_cents": 35000, "zone_id": zone["id"]},
        ),
        201,
    )
    general = ok(
        api.post(
            f"/api/v1/events/{event['id']}/ticket-types",
            json={"name": "Standing", "kind": "general", "price_cents": 15000, "quota": 50},
        ),
        201,
    )
    if publish:
        ok(api.post(f"/api/v1/events/{event['id']}/status", json={"status": "published"}))
    return SeatedEvent(
        venue["id"],
        layout["id"],
        zone["id"],
        section["id"],
        event["id"],
        seated["id"],
        general["id"],
        [s["id"] for s in seats],
    )
