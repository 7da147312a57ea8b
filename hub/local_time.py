"""How the hub shows a moment to people: one format, in a named zone, labelled with it.

Every page and every message meant for people writes times through `shown`, so an audit
entry, an API key's last use and an event's date read alike: "Sat 01 Mar 2031, 18:00 SAST".
An event's own times (its dates, price windows, publishing) are shown in the event's
timezone, which is its venue's; everything else in the organisation's default timezone.
The JSON API is not affected: it keeps ISO 8601 with offsets.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping
from typing import Protocol

FORMAT = "%a %d %b %Y, %H:%M"
INPUT_FORMAT = "%Y-%m-%dT%H:%M"  # what a datetime-local input holds


class HasTimezone(Protocol):
    """An event or a venue: something with a tz database name of its own."""

    @property
    def timezone(self) -> str: ...


class HasSettings(Protocol):
    """An organisation (row or API struct), whose settings hold its default timezone."""

    @property
    def settings(self) -> Mapping[str, str]: ...


Where = str | HasTimezone | HasSettings | None


def zone(timezone: str) -> dt.tzinfo:
    """The tz database zone `timezone`, or UTC for a name the hub does not know."""
    try:
        return zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def timezone_of(where: Where) -> str:
    """The zone name of `where`: a name itself, an event's or venue's, or an org's default."""
    if where is None:
        return "UTC"
    if isinstance(where, str):
        return where
    own = getattr(where, "timezone", None)
    if isinstance(own, str):
        return own
    settings: Mapping[str, str] = getattr(where, "settings", {})
    return settings.get("timezone") or "UTC"


def zone_label(moment: dt.datetime) -> str:
    """The zone's abbreviation at that moment (SAST, CEST, UTC); "UTC+04" where the tz
    database has only an offset, so the label never reads as a bare number."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.utcoffset() or dt.timedelta(0)
        minutes = int(offset.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name


def shown(moment: dt.datetime | None, where: Where = None) -> str:
    """`moment` as people read it in the zone of `where`, labelled: "Sat 01 Mar 2031, 18:00
    SAST". Empty for no moment. A naive moment is taken to be UTC (the database's)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone(timezone_of(where)))
    return f"{local.strftime(FORMAT)} {zone_label(local)}"


def input_value(moment: dt.datetime | None, where: Where = None) -> str:
    """`moment` as the value of a `datetime-local` input in the zone of `where`."""
    if moment is None:
        return ""
    return moment.astimezone(zone(timezone_of(where))).strftime(INPUT_FORMAT)


def clock(moment: dt.datetime, where: Where = None) -> str:
    """The time of day of `moment` in the zone of `where`, "18:05": for a chart's axis or
    rows that say once which zone they are in."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(timezone_of(where))).strftime("%H:%M")
