"""door_time.js in a real browser writes every time exactly as the gate's door_time does.

The browser runs in New York with a US locale, so a time that came out in the browser's own
zone or format ("5:29:16 AM") instead of the event's could not pass."""

from __future__ import annotations

import json
import zoneinfo
from pathlib import Path

from playwright.sync_api import Browser

from gate_node.door_time import zone_labels
from gate_node.timestamps import parse_time
from tests.integration.conftest import Gate

CASES = json.loads((Path(__file__).parents[2] / "door_time_cases.json").read_text())["cases"]

FORMAT_ALL = """async (cases) => {
  const { formatTime } = await import("/static/door_time.js");
  return cases.map((c) => formatTime(c.at, { zone: c.zone, labels: c.labels }, c.now));
}"""


def test_the_browser_writes_the_shared_cases_as_the_gate_does(
    browser: Browser, shared_gate: Gate
) -> None:
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{shared_gate.url}/static/door.css")
    cases = [
        {**c, "labels": zone_labels(zoneinfo.ZoneInfo(c["zone"]), parse_time(c["at"]))}
        for c in CASES
    ]
    written = page.evaluate(FORMAT_ALL, cases)
    assert written == [c["text"] for c in CASES]
    context.close()


def test_without_the_gates_labels_the_browser_still_writes_the_offset(
    browser: Browser, shared_gate: Gate
) -> None:
    context = browser.new_context(locale="en-US", timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{shared_gate.url}/static/door.css")
    written = page.evaluate(
        FORMAT_ALL,
        [
            {
                "at": "2026-11-25T05:29:16Z",
                "zone": "Africa/Johannesburg",
                "labels": {},
                "now": None,
            },
            {"at": "2026-11-25T05:29:16Z", "zone": "Not/AZone", "labels": {}, "now": None},
            {"at": "not a time", "zone": "UTC", "labels": {}, "now": None},
        ],
    )
    assert written == ["2026-11-25 07:29 UTC+2", "2026-11-25 05:29 UTC", "not a time"]
    context.close()
