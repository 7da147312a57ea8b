"""The live figures' pure steps: reason words in step with the gates' codes, ordering,
the chart's window and labels on the event's clock, devices' problems."""

from __future__ import annotations

import datetime as dt

from contract.admission_verdicts import DoubleAdmission
from contract.reasons import REASONS
from hub.live.devices import DeviceHealth, device_problems
from hub.live.figures import (
    DOUBLES_LISTED,
    REASON_WORDS,
    HubScan,
    admissions,
    double_admission_views,
    rejections,
    window,
)
from hub.web.live_pages import chart_data, minute_rows

NOW = dt.datetime(2031, 3, 1, 18, 7, 30, tzinfo=dt.UTC)


def test_every_reason_code_of_the_gates_has_words() -> None:
    assert set(REASON_WORDS) == {*REASONS, "unknown"}


def test_rejections_most_first_then_in_the_gates_order() -> None:
    ranked = rejections({"rules": 2, "forged": 2, "already_scanned": 5, "revoked": 0, "new": 2})
    assert [(r.reason, r.count) for r in ranked] == [
        ("already_scanned", 5),
        ("forged", 2),
        ("rules", 2),
        ("new", 2),  # a code a newer gate sends: last among equals, in its own words
    ]
    assert ranked[-1].words == "new"


def test_the_window_ends_with_the_current_minute() -> None:
    since, until = window(NOW, 3)
    assert until == dt.datetime(2031, 3, 1, 18, 8, tzinfo=dt.UTC)
    assert until - since == dt.timedelta(hours=3)


def test_minutes_are_labelled_on_the_events_clock() -> None:
    since, until = window(NOW, 1)
    m1 = dt.datetime(2031, 3, 1, 17, 30, tzinfo=dt.UTC)
    m2 = dt.datetime(2031, 3, 1, 18, 5, tzinfo=dt.UTC)
    made = admissions(
        [("south", m2, 1), ("north", m2, 2), ("north", m1, 3)], since, until, "Africa/Johannesburg"
    )
    assert made.zone == "SAST"
    assert [(g.gate, g.admitted) for g in made.gates] == [("north", 5), ("south", 1)]
    assert [m.label for m in made.gates[0].minutes] == ["19:30", "20:05"]
    assert minute_rows(made) == [("19:30", [3, 0]), ("20:05", [2, 1])]
    chart = chart_data(made, "Africa/Johannesburg")
    assert chart["minutes"] == 60
    assert chart["gates"][0]["points"] == [[22, 3], [57, 2]]
    assert chart["ticks"] == [[52, "20:00"]]  # whole hours of the event's clock


def test_a_device_is_healthy_or_says_what_to_look_at() -> None:
    healthy = DeviceHealth("n1", "north", "active", NOW, "0.1.0", 30, 0)
    assert device_problems(healthy, NOW) == []
    assert device_problems(DeviceHealth("n2", "north", "pending"), NOW) == [
        "pending: does not serve the event"
    ]
    assert device_problems(DeviceHealth("n3", "north", "active"), NOW) == ["never heard from"]
    late = DeviceHealth("n4", "north", "active", NOW - dt.timedelta(seconds=90), None, 2500, 101)
    assert device_problems(late, NOW) == [
        "silent for 1 min",
        "clock off by +2.5 s",
        "101 changes not yet uploaded",
    ]


def test_the_newest_double_admissions_are_listed() -> None:
    def scan(hlc: int) -> HubScan:
        return HubScan(f"s{hlc}", "in", "north", None, NOW, hlc, "a")

    verdicts = [DoubleAdmission(f"t{i}", scan(2 * i), scan(2 * i + 1)) for i in range(205)]
    views = double_admission_views(verdicts, {}, "UTC")
    assert len(views) == DOUBLES_LISTED == 200
    assert views[0].double.hlc == 409  # newest first
