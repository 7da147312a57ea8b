"""Changing the seats of a selection (POST /layouts/{id}/seats/change) on big real layouts.

The layouts are made with the seat batch API, as an organiser's script would: an arena of
7,020 seats and a stadium of 50,000. Listing their seats one by one does not fit in a
request (413); a selection does, whatever its size, and applies in one transaction with the
rules of a single seat's edit.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.integration.hub.big_layout import BigLayout, make_big_layout
from tests.integration.hub.conftest import Org, OrgFactory
from tests.integration.hub.seated_event import ok
from tests.integration.hub.web_user import sign_in


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Arena org")


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


def _change(org: Org, layout: BigLayout, body: dict[str, Any]) -> httpx.Response:
    return org.api.post(f"/api/v1/layouts/{layout.layout_id}/seats/change", json=body)


def _seats(org: Org, layout: BigLayout) -> list[dict[str, Any]]:
    seats: list[dict[str, Any]] = ok(org.api.get(f"/api/v1/layouts/{layout.layout_id}"))["seats"]
    return seats


def _ticketed_event(org: Org, layout: BigLayout, labels: list[str]) -> str:
    """A published event on `layout` with tickets for the North seats `labels`."""
    event = ok(
        org.api.post(
            "/api/v1/events",
            json={"name": "Final", "venue_id": layout.venue_id, "layout_id": layout.layout_id},
        ),
        201,
    )
    base = f"/api/v1/events/{event['id']}"
    ok(
        org.api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-06-01T15:00:00Z", "ends_at": "2031-06-01T18:00:00Z"},
        ),
        201,
    )
    seated = ok(
        org.api.post(
            f"{base}/ticket-types",
            json={"name": "Bowl", "kind": "seated", "price_cents": 9000, "zone_id": layout.zone_id},
        ),
        201,
    )
    ok(org.api.post(f"{base}/status", json={"status": "published"}))
    north = layout.section_ids["North"]
    by_label = {s["label"]: s["id"] for s in _seats(org, layout) if s["section_id"] == north}
    ok(
        org.api.post(
            f"{base}/tickets",
            json={"ticket_type_id": seated["id"], "seat_ids": [by_label[x] for x in labels]},
        ),
        201,
    )
    return str(event["id"])


def test_every_seat_of_a_7020_seat_layout_goes_in_one_small_request(org: Org) -> None:
    arena = make_big_layout(org.api)
    assert arena.seat_count == 7020
    ids = [s["id"] for s in _seats(org, arena)]
    # What the builder sent before: every id. It is larger than the hub takes.
    listed = org.api.patch(
        f"/api/v1/layouts/{arena.layout_id}/seats", json={"seat_ids": ids, "remove": True}
    )
    assert _error(listed, 413)["message"] == "request body is larger than 262144 bytes"
    assert len(_seats(org, arena)) == 7020

    done = ok(
        _change(org, arena, {"select": {"all": True}, "action": "remove", "expected_seats": 7020})
    )
    assert (done["action"], done["seats"], done["layout"]["seat_count"]) == ("remove", 7020, 0)
    assert _seats(org, arena) == []
    (entry,) = [e for e in ok(org.api.get("/api/v1/audit")) if e["action"] == "seats.deleted"]
    assert entry["target"].startswith("layout Bowl (")
    assert entry["detail"] == {"seats": "7020", "selection": "the whole layout"}


def test_tickets_keep_their_seats_and_nothing_else_changes(org: Org) -> None:
    arena = make_big_layout(org.api)
    _ticketed_event(org, arena, ["C7", "C8"])
    everything = {"select": {"all": True}, "action": "remove"}
    refused = _error(_change(org, arena, everything), 409)
    assert refused["message"] == (
        "tickets were issued for 2 of these seats (C7, C8): they cannot be removed"
    )
    assert len(_seats(org, arena)) == 7020
    south = arena.section_ids["South"]
    moved = {"select": {"all": True}, "action": "set_section", "section_id": south}
    assert "cannot be moved" in _error(_change(org, arena, moved), 409)["message"]
    # Everything but row C of North goes: the selection says where, not which ids.
    north = arena.section_ids["North"]
    others = [arena.section_ids["East"], south]
    rows = [
        {"section_id": north, "first_row": "A", "last_row": "B"},
        {"section_id": north, "first_row": "D", "last_row": "AM"},
    ]
    done = ok(
        _change(org, arena, {"select": {"sections": others, "rows": rows}, "action": "remove"})
    )
    assert done["seats"] == 7020 - 60
    assert sorted({(s["section_id"], s["row_label"]) for s in _seats(org, arena)}) == [(north, "C")]


def test_rows_areas_and_ids_select_exactly_their_seats(org: Org) -> None:
    arena = make_big_layout(org.api)
    base = f"/api/v1/layouts/{arena.layout_id}"
    premium = ok(org.api.post(f"{base}/zones", json={"name": "Premium"}), 201)["id"]
    north, east = arena.section_ids["North"], arena.section_ids["East"]
    seats = _seats(org, arena)
    some_south = [s["id"] for s in seats if s["section_id"] == arena.section_ids["South"]][:3]
    # East's first row is drawn at grid row 41: 39 rows of North, then a blank row.
    east_a = next(s for s in seats if s["section_id"] == east and s["label"] == "A1")
    select = {
        "rows": [{"section_id": north, "first_row": "A", "last_row": "J", "last_seat": 30}],
        "areas": [
            {
                "first_row": east_a["grid_row"],
                "last_row": east_a["grid_row"] + 1,
                "first_column": 0,
                "last_column": 4,
            }
        ],
        "seat_ids": some_south,
    }
    done = ok(_change(org, arena, {"select": select, "action": "set_zone", "zone_id": premium}))
    assert done["seats"] == 10 * 30 + 2 * 5 + 3
    zoned = {s["id"] for s in _seats(org, arena) if s["zone_id"] == premium}
    expected = {
        s["id"]
        for s in seats
        if (s["section_id"] == north and s["row_label"] in set("ABCDEFGHIJ") and s["number"] <= 30)
        or (s["section_id"] == east and s["row_label"] in ("A", "B") and s["number"] <= 5)
        or s["id"] in some_south
    }
    assert zoned == expected
    cleared = ok(_change(org, arena, {"select": select, "action": "set_zone", "zone_id": None}))
    assert cleared["seats"] == 313
    assert not [s for s in _seats(org, arena) if s["zone_id"] is not None and s["id"] in zoned]
    entries = [e for e in ok(org.api.get("/api/v1/audit")) if e["action"] == "seats.updated"]
    assert entries[0]["detail"]["zone"] == "none"
    assert entries[1]["detail"] == {
        "seats": "313",
        "selection": "rows A-J seats 1-30 of North; 1 area of the plan; 3 seats by id",
        "zone": "Premium",
    }


def test_moving_seats_to_a_section_keeps_rows_and_labels_unique(org: Org) -> None:
    arena = make_big_layout(org.api)
    base = f"/api/v1/layouts/{arena.layout_id}"
    north, east = arena.section_ids["North"], arena.section_ids["East"]
    row_a = {"rows": [{"section_id": north, "first_row": "A"}]}
    clash = _error(
        _change(org, arena, {"select": row_a, "action": "set_section", "section_id": east}), 409
    )
    assert clash["message"].startswith("East would have two seats A1, A2, A3")
    balcony = ok(org.api.post(f"{base}/sections", json={"name": "Balcony"}), 201)["id"]
    moved = ok(
        _change(org, arena, {"select": row_a, "action": "set_section", "section_id": balcony})
    )
    assert moved["seats"] == 60
    in_balcony = [s for s in _seats(org, arena) if s["section_id"] == balcony]
    assert sorted(s["number"] for s in in_balcony) == list(range(1, 61))
    assert {s["row_label"] for s in in_balcony} == {"A"}


def test_a_selection_that_no_longer_matches_the_plan_changes_nothing(org: Org) -> None:
    arena = make_big_layout(org.api)
    body = {"select": {"all": True}, "action": "remove", "expected_seats": 7000}
    refused = _error(_change(org, arena, body), 409)
    assert refused["message"] == (
        "the selection is 7020 seats, not the 7000 expected: the layout has changed since it"
        " was loaded; reload it and select again"
    )
    assert len(_seats(org, arena)) == 7020


Ids = dict[str, str]
NONSENSE: list[tuple[Any, str]] = [
    (lambda i: {"select": {}, "action": "remove"}, "the selection is empty"),
    (lambda i: {"select": {"all": True}, "action": "set_section"}, "needs section_id"),
    (
        lambda i: {"select": {"all": True}, "action": "remove", "zone_id": i["zone"]},
        "zone_id is only for action set_zone",
    ),
    (
        lambda i: {
            "select": {"rows": [{"section_id": i["other_section"], "first_row": "A"}]},
            "action": "remove",
        },
        "a selected section belongs to another layout",
    ),
    (
        lambda i: {"select": {"all": True}, "action": "set_zone", "zone_id": i["other_zone"]},
        "the zone belongs to another layout",
    ),
    (
        lambda i: {
            "select": {"rows": [{"section_id": i["section"], "first_row": "A", "last_row": "3"}]},
            "action": "remove",
        },
        "rows are letters (A to Z) or numbers (1 to 30), not a mix",
    ),
    (
        lambda i: {
            "select": {
                "areas": [{"first_row": 5, "last_row": 1, "first_column": 0, "last_column": 1}]
            },
            "action": "remove",
        },
        "an area's first row and column come before its last",
    ),
    (
        lambda i: {"select": {"seat_ids": [i["seat"]] * 1001}, "action": "remove"},
        "Expected `array` of length <= 1000 - at `$.select.seat_ids`",
    ),
    (lambda i: {"select": {"all": True}, "action": "paint"}, "Invalid enum value 'paint'"),
]


@pytest.mark.parametrize(("body", "message"), NONSENSE)
def test_selections_and_changes_that_make_no_sense_are_refused(
    org: Org, body: Any, message: str
) -> None:
    ids = _small_layouts(org)
    response = org.api.post(f"/api/v1/layouts/{ids['layout']}/seats/change", json=body(ids))
    assert message in _error(response, 422)["message"]
    assert ok(org.api.get(f"/api/v1/layouts/{ids['layout']}"))["layout"]["seat_count"] == 20


_LAYOUTS: dict[str, Ids] = {}


def _small_layouts(org: Org) -> Ids:
    """Two small layouts of one venue: ids of the first and of the second's zone and section."""
    if org.slug not in _LAYOUTS:
        venue = ok(org.api.post("/api/v1/venues", json={"name": "Hall"}), 201)
        made = []
        for name in ("One", "Two"):
            layout = ok(
                org.api.post(f"/api/v1/venues/{venue['id']}/layouts", json={"name": name}), 201
            )
            base = f"/api/v1/layouts/{layout['id']}"
            zone = ok(org.api.post(f"{base}/zones", json={"name": "Z"}), 201)
            section = ok(org.api.post(f"{base}/sections", json={"name": "S"}), 201)
            seats = ok(
                org.api.post(
                    f"{base}/seats/batch",
                    json={
                        "section_id": section["id"],
                        "first_row": "A",
                        "last_row": "B",
                        "last_seat": 10,
                    },
                ),
                201,
            )
            made.append((layout["id"], zone["id"], section["id"], seats[0]["id"]))
        _LAYOUTS[org.slug] = {
            "layout": made[0][0],
            "zone": made[0][1],
            "section": made[0][2],
            "seat": made[0][3],
            "other_zone": made[1][1],
            "other_section": made[1][2],
        }
    return _LAYOUTS[org.slug]


def test_a_50000_seat_stadium_is_zoned_and_cleared_in_one_request_each(org: Org) -> None:
    stadium = make_big_layout(
        org.api, sections=("A", "B", "C", "D", "E"), last_row="AZ", seats_per_row=200 - 8
    )
    # 5 sections x 52 rows x 192 seats = 49,920: and one more row of 80 makes 50,000.
    extra = ok(
        org.api.post(
            f"/api/v1/layouts/{stadium.layout_id}/seats/batch",
            json={
                "section_id": stadium.section_ids["E"],
                "first_row": "BA",
                "last_row": "BA",
                "last_seat": 80,
            },
        ),
        201,
    )
    total = stadium.seat_count + len(extra)
    assert total == 50_000
    base = f"/api/v1/layouts/{stadium.layout_id}"
    pitch = ok(org.api.post(f"{base}/zones", json={"name": "Pitchside"}), 201)["id"]
    everything = {"all": True}
    zoned = ok(
        _change(org, stadium, {"select": everything, "action": "set_zone", "zone_id": pitch})
    )
    assert zoned["seats"] == 50_000
    gone = ok(
        _change(org, stadium, {"select": everything, "action": "remove", "expected_seats": 50_000})
    )
    assert (gone["seats"], gone["layout"]["seat_count"]) == (50_000, 0)


def test_the_layout_page_changes_rows_of_seats_without_javascript(org: Org) -> None:
    arena = make_big_layout(org.api)
    _ticketed_event(org, arena, ["C7"])
    admin = sign_in(org.hub, org.admin_email)
    url = f"/o/{org.slug}/layouts/{arena.layout_id}/seats/change"
    north, east = arena.section_ids["North"], arena.section_ids["East"]
    rows = {"section_id": north, "first_row": "A", "last_row": "B"}
    done = admin.post(url, {**rows, "change": "remove"})
    assert done.status_code == 303
    assert done.headers["location"].endswith("?n=removed")
    assert len(_seats(org, arena)) == 7020 - 120
    # A ticketed seat stays, and the page says why, with what was typed kept.
    refused = admin.post(url, {"section_id": north, "first_row": "C", "change": "remove"})
    assert refused.status_code == 409
    assert "tickets were issued for 1 of these seats (C7): they cannot be removed" in refused.text
    assert 'name="first_row" value="C"' in refused.text
    bad_row = admin.post(url, {"first_row": "A!", "change": "remove"})
    assert bad_row.status_code == 422
    assert "First row: use letters (A) or numbers (1)" in bad_row.text
    bad_change = admin.post(url, {"first_row": "D", "change": "paint"})
    assert bad_change.status_code == 422
    assert "Change: choose what to do with the seats" in bad_change.text
    assert len(_seats(org, arena)) == 7020 - 120
    # Seats 1-5 of rows D-E of every section lose their zone.
    cleared = admin.post(
        url, {"first_row": "D", "last_row": "E", "last_seat": "5", "change": "zone:"}
    )
    assert cleared.status_code == 303
    unzoned = {(s["section_id"], s["label"]) for s in _seats(org, arena) if s["zone_id"] is None}
    assert unzoned == {
        (section, f"{row}{n}")
        for section in arena.section_ids.values()
        for row in "DE"
        for n in range(1, 6)
    }
    page = admin.client.get(f"/o/{org.slug}/layouts/{arena.layout_id}")
    assert f'value="section:{east}"' in page.text
