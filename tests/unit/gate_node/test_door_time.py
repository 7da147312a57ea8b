"""door_time: every time a gate puts into words, on the event's clock, 24-hour, labelled.

The cases are shared with the door pages' JS (tests/integration/kiosk_ui/test_door_time.py)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from pathlib import Path

import pytest

from gate_node.door_time import door_time, offset_label, zone_label, zone_labels
from gate_node.timestamps import parse_time

CASES = json.loads((Path(__file__).parents[2] / "door_time_cases.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c['zone']} {c['at']}" for c in CASES])
def test_door_time_writes_the_shared_cases(case: dict[str, str | None]) -> None:
    at, zone, now = case["at"], case["zone"], case["now"]
    assert at is not None
    assert zone is not None
    seen = None if now is None else parse_time(now)
    assert door_time(parse_time(at), zoneinfo.ZoneInfo(zone), seen) == case["text"]


@pytest.mark.parametrize(
    ("minutes", "label"),
    [(0, "UTC"), (120, "UTC+2"), (-180, "UTC-3"), (345, "UTC+5:45"), (-210, "UTC-3:30")],
)
def test_offset_label(minutes: int, label: str) -> None:
    assert offset_label(dt.timedelta(minutes=minutes)) == label


def test_zone_labels_cover_both_sides_of_daylight_saving() -> None:
    amsterdam = zoneinfo.ZoneInfo("Europe/Amsterdam")
    assert zone_labels(amsterdam, dt.datetime(2026, 11, 25, tzinfo=dt.UTC)) == {
        "60": "CET",
        "120": "CEST",
    }
    joburg = zoneinfo.ZoneInfo("Africa/Johannesburg")
    assert zone_labels(joburg, dt.datetime(2026, 11, 25, tzinfo=dt.UTC)) == {"120": "SAST"}


def test_every_label_is_the_one_door_time_writes() -> None:
    for case in CASES:
        assert case["at"] is not None
        assert case["zone"] is not None
        at, tz = parse_time(case["at"]), zoneinfo.ZoneInfo(case["zone"])
        offset = int((at.astimezone(tz).utcoffset() or dt.timedelta()).total_seconds()) // 60
        assert zone_labels(tz, at)[str(offset)] == zone_label(at, tz)
        assert str(case["text"]).endswith(" " + zone_label(at, tz))
