"""Big seating layouts made through the seat batch API, as an organiser's script would."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from tests.integration.hub.seated_event import ok


@dataclass
class BigLayout:
    venue_id: str
    layout_id: str
    section_ids: dict[str, str]
    zone_id: str
    seat_count: int


def make_big_layout(
    api: httpx.Client,
    sections: tuple[str, ...] = ("North", "East", "South"),
    last_row: str = "AM",
    seats_per_row: int = 60,
) -> BigLayout:
    """A layout of `sections`, each rows A..`last_row` of seats 1..`seats_per_row` with an
    aisle after seat 30, all in one zone. The defaults make 3 x 39 x 60 = 7,020 seats."""
    venue = ok(api.post("/api/v1/venues", json={"name": "Arena"}), 201)
    layout = ok(api.post(f"/api/v1/venues/{venue['id']}/layouts", json={"name": "Bowl"}), 201)
    base = f"/api/v1/layouts/{layout['id']}"
    zone = ok(api.post(f"{base}/zones", json={"name": "Bowl", "colour": "#00798c"}), 201)
    section_ids: dict[str, str] = {}
    count = 0
    for name in sections:
        section = ok(api.post(f"{base}/sections", json={"name": name}), 201)
        section_ids[name] = section["id"]
        made = ok(
            api.post(
                f"{base}/seats/batch",
                json={
                    "section_id": section["id"],
                    "first_row": "A",
                    "last_row": last_row,
                    "first_seat": 1,
                    "last_seat": seats_per_row,
                    "aisles_after": [30],
                    "zone_id": zone["id"],
                },
            ),
            201,
        )
        count += len(made)
    return BigLayout(venue["id"], layout["id"], section_ids, zone["id"], count)
