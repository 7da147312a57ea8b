"""An event's live figures at the hub, from scans stored as the ingest stores them: the JSON
figures, the server-sent event stream, who may see them, and the device health hook."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub import database
from hub.live.devices import DeviceHealth
from hub.live.stream import Live
from hub.roles import Role
from tests.integration.hub.conftest import Hub, Org, OrgFactory, serve_hub, stop_hub
from tests.integration.hub.gate_scans import (
    ScanEvent,
    Scans,
    build_scan_event,
    change_reason,
    store,
)
from tests.integration.hub.seated_event import ok

NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
T0 = NOW - dt.timedelta(minutes=30)


def at(minute: int, second: int = 0) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute, seconds=second)


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Live org")


@pytest.fixture(scope="module")
def scanned(org: Org, hub: Hub) -> tuple[ScanEvent, Scans]:
    """Six tickets through two gates, partitioned for a while."""
    ev = build_scan_event(org.api)
    t = ev.tickets
    s = Scans(ev.event_id)
    # Ann: in, out, in again: inside, no double admission (her type allows re-entry).
    s.scan(t["Ann Adams"], "in", "north", 10, at(0))
    s.scan(t["Ann Adams"], "out", "north", 20, at(1))
    s.scan(t["Ann Adams"], "in", "south", 30, at(2))
    # Ben: admitted at both gates while they could not see each other.
    s.scan(t["Ben Botha"], "in", "north", 11, at(0, 30))
    s.scan(t["Ben Botha"], "in", "south", 12, at(0, 40))
    # Cas: admitted, then a supervisor annulled it: not inside.
    s.annul(s.scan(t["Cas Cele"], "in", "north", 13, at(1, 10)))
    # Dee: in at north, out at south.
    s.scan(t["Dee Dlamini"], "in", "north", 14, at(1, 20))
    s.scan(t["Dee Dlamini"], "out", "south", 15, at(2, 5))
    # Eve: the same clock stamp at two sites: the higher site id is the later scan (out).
    s.scan(t["Eve Eksteen"], "in", "north", 16, at(2, 10), site="aa")
    s.scan(t["Eve Eksteen"], "out", "south", 16, at(2, 11), site="bb")
    # Fay's type has no re-entry: in, out, in again is a double admission.
    s.scan(t["Fay Fourie"], "in", "north", 17, at(3))
    s.scan(t["Fay Fourie"], "out", "north", 18, at(4))
    s.scan(t["Fay Fourie"], "in", "south", 19, at(5))
    # Turned away.
    s.scan(t["Ben Botha"], "in", "north", 40, at(6), status="rejected", reason="already_scanned")
    s.scan(t["Ann Adams"], "in", "south", 41, at(6), status="rejected", reason="already_scanned")
    s.scan(None, "in", "south", 42, at(7), status="rejected", reason="forged")
    s.scan(None, "in", "south", 43, at(7), status="rejected")  # its reason not merged yet
    store(hub.database_url, s)
    return ev, s


def _figures(client: httpx.Client, event_id: str, **params: str) -> dict[str, Any]:
    figures: dict[str, Any] = ok(client.get(f"/api/v1/events/{event_id}/live", params=params))
    return figures


def test_the_figures_follow_the_gates_rules(org: Org, scanned: tuple[ScanEvent, Scans]) -> None:
    ev, s = scanned
    figures = _figures(org.api, ev.event_id)
    assert (figures["inside"], figures["admitted"], figures["exits"]) == (3, 8, 4)
    assert figures["rejected"] == 4
    assert [(r["reason"], r["count"]) for r in figures["rejections"]] == [
        ("already_scanned", 2),
        ("forged", 1),
        ("unknown", 1),
    ]
    doubles = figures["double_admissions"]
    assert isinstance(doubles, list)
    by_holder = {d["holder"]: d for d in doubles}
    assert set(by_holder) == {"Ben Botha", "Fay Fourie"}
    ben = by_holder["Ben Botha"]
    assert (ben["stands"]["gate"], ben["stands"]["hlc"]) == ("north", 11)
    assert (ben["double"]["gate"], ben["double"]["hlc"]) == ("south", 12)
    assert ben["ticket_type"] == "Standing"
    ids = {row["hlc"]: row["id"] for row in s.scans if row["ticket_id"] == ev.tickets["Ben Botha"]}
    assert (ben["stands"]["scan_id"], ben["double"]["scan_id"]) == (ids[11], ids[12])
    fay = by_holder["Fay Fourie"]
    assert (fay["stands"]["hlc"], fay["double"]["hlc"], fay["ticket_type"]) == (17, 19, "One way")
    assert ben["stands"]["shown"].endswith("SAST")
    assert figures["devices"] == []


def test_admissions_per_gate_per_minute_on_the_events_clock(
    org: Org, scanned: tuple[ScanEvent, Scans]
) -> None:
    ev, _ = scanned
    admissions = _figures(org.api, ev.event_id, hours="1")["admissions"]
    assert isinstance(admissions, dict)
    assert (admissions["hours"], admissions["zone"]) == (1, "SAST")
    minutes = {
        g["gate"]: {(m["label"], m["admitted"]) for m in g["minutes"]} for g in admissions["gates"]
    }

    def label(minute: int) -> str:
        return (at(minute) + dt.timedelta(hours=2)).strftime("%H:%M")  # SAST is UTC+2

    # Annulled (Cas) and rejected scans do not count; exits are not admissions.
    assert minutes == {
        "north": {(label(0), 2), (label(1), 1), (label(2), 1), (label(3), 1)},
        "south": {(label(0), 1), (label(2), 1), (label(5), 1)},
    }
    assert {g["gate"]: g["admitted"] for g in admissions["gates"]} == {"north": 5, "south": 3}
    assert ok(org.api.get(f"/api/v1/events/{ev.event_id}/live", params={"hours": "0"}), 422)


def test_roles_that_may_not_read_tickets_see_no_holders(
    org: Org, scanned: tuple[ScanEvent, Scans]
) -> None:
    ev, _ = scanned
    reader = org.client(Role.READ_ONLY)
    figures = _figures(reader, ev.event_id)
    doubles = figures["double_admissions"]
    assert isinstance(doubles, list)
    assert len(doubles) == 2
    assert {d["holder"] for d in doubles} == {None}
    assert "Ben Botha" not in json.dumps(figures)
    door = _figures(org.client(Role.DOOR_STAFF), ev.event_id)
    assert {d["holder"] for d in door["double_admissions"]} == {"Ben Botha", "Fay Fourie"}


def test_another_org_gets_404(make_org: OrgFactory, scanned: tuple[ScanEvent, Scans]) -> None:
    ev, _ = scanned
    other = make_org("Nosy org")
    for path in ("live", "live/stream"):
        response = other.api.get(f"/api/v1/events/{ev.event_id}/{path}")
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"


class Stream:
    """An SSE client of the live stream, reading one event at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines: Iterator[str] = response.iter_lines()

    def next_figures(self) -> dict[str, Any]:
        name, data = "", ""
        for line in self.lines:
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
            elif line == "" and name == "figures":
                figures: dict[str, Any] = json.loads(data)
                return figures
        raise AssertionError("the stream ended")

    def figures_until(self, wanted: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The first update that shows `wanted` (the stream also refreshes each minute)."""
        for _ in range(5):
            figures = self.next_figures()
            if wanted(figures):
                return figures
        raise AssertionError("five updates and still not there")


def test_the_stream_pushes_new_scans_without_notify(org: Org, hub: Hub) -> None:
    ev = build_scan_event(org.api)
    url = f"/api/v1/events/{ev.event_id}/live/stream"
    client = hub.client(headers={"authorization": f"Bearer {org.admin_key}"})
    with client.stream("GET", url, headers={"accept": "text/event-stream"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = Stream(response)
        assert stream.next_figures()["inside"] == 0
        batch = Scans(ev.event_id)
        batch.scan(ev.tickets["Ann Adams"], "in", "north", 1, NOW)
        store(hub.database_url, batch)  # no NOTIFY: the stream's poll finds it
        assert stream.figures_until(lambda f: f["inside"] == 1)["admitted"] == 1


def test_a_notify_tells_the_stream_of_rows_changed_in_place(org: Org, hub: Hub) -> None:
    ev = build_scan_event(org.api)
    url = f"/api/v1/events/{ev.event_id}/live/stream"
    batch = Scans(ev.event_id)
    scan_id = batch.scan(None, "in", "north", 1, NOW, status="rejected")
    store(hub.database_url, batch, notify=True)
    client = hub.client(headers={"authorization": f"Bearer {org.admin_key}"})
    with client.stream("GET", url, headers={"accept": "text/event-stream"}) as response:
        stream = Stream(response)
        first = stream.next_figures()
        assert [r["reason"] for r in first["rejections"]] == ["unknown"]
        # The same number of rows: only the ingest's NOTIFY can tell of this change.
        change_reason(hub.database_url, scan_id, "forged", notify=True)
        second = stream.figures_until(lambda f: f["rejections"][0]["reason"] != "unknown")
        assert [r["reason"] for r in second["rejections"]] == ["forged"]


def test_a_hub_with_open_streams_stops_at_ctrl_c(org: Org, hub: Hub, tmp_path: Path) -> None:
    ev = build_scan_event(org.api)
    (tmp_path / "hub").mkdir()
    own = serve_hub(hub.database_url, tmp_path / "hub")
    try:
        client = own.client(headers={"authorization": f"Bearer {org.admin_key}"})
        url = f"/api/v1/events/{ev.event_id}/live/stream"
        with client.stream("GET", url, headers={"accept": "text/event-stream"}) as response:
            Stream(response).next_figures()
            # SIGINT; a hub still waiting for the stream to end would be killed (-9).
            assert own.process.stop(timeout=15) == 0
    finally:
        stop_hub(own)


def test_without_an_event_stream_accept_the_stream_answers_once(
    org: Org, scanned: tuple[ScanEvent, Scans]
) -> None:
    ev, _ = scanned
    response = org.api.get(f"/api/v1/events/{ev.event_id}/live/stream")
    assert response.status_code == 200
    events = [block for block in response.text.split("\n\n") if "event: figures" in block]
    assert len(events) == 1
    assert '"inside":3' in events[0]


def test_the_device_health_source_fills_the_devices(
    hub: Hub, scanned: tuple[ScanEvent, Scans]
) -> None:
    """A source of DeviceHealth (the hub's own is hub.live.devices.device_health_of) fills
    the devices, each with its problems."""
    ev, _ = scanned
    seen = NOW - dt.timedelta(minutes=5)

    async def roster(event_id: object) -> list[DeviceHealth]:
        assert str(event_id) == ev.event_id
        return [
            DeviceHealth("south-pi", "south", "active", NOW, "0.1.0", 40, 0),
            DeviceHealth("north-pi", "north", "active", seen, "0.1.0", -3500, 250),
        ]

    async def figures() -> list[dict[str, object]]:
        async with database.connected(hub.database_url):
            live = Live(roster, clock=lambda: NOW)
            made = await live.figures(uuid.UUID(ev.event_id), "UTC", 3)
            return [{"name": d.name, "problems": d.problems} for d in made.devices]

    assert asyncio.run(figures()) == [
        {
            "name": "north-pi",
            "problems": ["silent for 5 min", "clock off by -3.5 s", "250 changes not yet uploaded"],
        },
        {"name": "south-pi", "problems": []},
    ]
