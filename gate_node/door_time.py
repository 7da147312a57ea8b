"""Times as door staff read them: the event's wall clock, 24-hour, labelled with its zone.

`door_time` writes every time a gate puts into words (scan messages, the door window); the
door pages write theirs with `formatTime` in kiosk_ui/static/door_time.js, and both are held
to the same cases (tests/door_time_cases.json). Browsers know zone abbreviations only
through their locale's data ("GMT+2" in one, "SAST" in another), so the gate hands the
pages its own labels for the event's zone (`zone_labels`), keyed by UTC offset.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

# Offsets seen over this span around a day are the ones a door page can meet.
_LABEL_SPAN_DAYS = 400


def offset_label(offset: dt.timedelta) -> str:
    """A zone label from a UTC offset alone: UTC, UTC+2, UTC-3:30."""
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def zone_label(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """The zone's abbreviation at `moment` (SAST, CEST), or its offset when the tz
    database has only numbers for it ("+04" becomes UTC+4)."""
    local = moment.astimezone(tz)
    name = local.tzname() or ""
    if name and name[0] not in "+-" and not name[0].isdigit():
        return name
    return offset_label(local.utcoffset() or dt.timedelta(0))


def door_time(moment: dt.datetime, tz: zoneinfo.ZoneInfo, now: dt.datetime | None = None) -> str:
    """`moment` on the event's clock: "20:13:05 SAST" when it falls on the local date of
    `now`, else "2026-11-24 20:13 SAST"."""
    local = moment.astimezone(tz)
    label = zone_label(moment, tz)
    if now is not None and local.date() == now.astimezone(tz).date():
        return f"{local:%H:%M:%S} {label}"
    return f"{local:%Y-%m-%d %H:%M} {label}"


@functools.lru_cache(maxsize=16)
def _labels(zone: str, day: dt.date) -> dict[str, str]:
    tz = zoneinfo.ZoneInfo(zone)
    labels: dict[str, str] = {}
    start = dt.datetime.combine(day, dt.time(12), dt.UTC)
    for n in range(-_LABEL_SPAN_DAYS, _LABEL_SPAN_DAYS + 1):
        moment = start + dt.timedelta(days=n)
        offset = moment.astimezone(tz).utcoffset() or dt.timedelta(0)
        labels.setdefault(str(int(offset.total_seconds()) // 60), zone_label(moment, tz))
    return labels


def zone_labels(tz: zoneinfo.ZoneInfo, around: dt.datetime) -> dict[str, str]:
    """The zone's labels by UTC offset in minutes ("120": "SAST") over a year either side
    of `around`: what a door page needs to label times as `door_time` does."""
    return dict(_labels(str(tz.key), around.astimezone(dt.UTC).date()))
