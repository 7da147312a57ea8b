"""One way to show a moment: in the zone that fits, in one format, labelled with the zone."""

from __future__ import annotations

import datetime as dt
import uuid

from hub.local_time import input_value, shown, timezone_of, zone_label
from hub.schemas import EventOut, OrgOut, VenueOut

MOMENT = dt.datetime(2031, 3, 1, 16, 0, tzinfo=dt.UTC)


def _event(timezone: str) -> EventOut:
    return EventOut(
        id=uuid.uuid4(),
        name="Opening night",
        venue_id=uuid.uuid4(),
        layout_id=None,
        description="",
        status="draft",
        timezone=timezone,
        currency="ZAR",
        published_at=None,
        door_opens_minutes=120,
        door_policy="warn",
    )


def test_a_moment_is_shown_in_the_zone_asked_for_with_its_label() -> None:
    assert shown(MOMENT, "Africa/Johannesburg") == "Sat 01 Mar 2031, 18:00 SAST"
    assert shown(MOMENT, "UTC") == "Sat 01 Mar 2031, 16:00 UTC"
    assert shown(MOMENT, "Europe/Amsterdam") == "Sat 01 Mar 2031, 17:00 CET"
    # Summer time changes the label as well as the hour.
    july = MOMENT.replace(month=7)
    assert shown(july, "Europe/Amsterdam") == "Tue 01 Jul 2031, 18:00 CEST"


def test_zones_known_only_by_offset_are_labelled_as_offsets_from_utc() -> None:
    assert shown(MOMENT, "Asia/Dubai") == "Sat 01 Mar 2031, 20:00 UTC+04"
    assert shown(MOMENT, "Asia/Kathmandu").endswith("21:45 UTC+05:45")
    assert shown(MOMENT, "America/Sao_Paulo") == "Sat 01 Mar 2031, 13:00 UTC-03"
    assert zone_label(MOMENT.astimezone(dt.timezone(dt.timedelta(hours=-9, minutes=-30)))) == (
        "UTC-09:30"
    )


def test_the_zone_comes_from_an_event_a_venue_or_an_org() -> None:
    venue = VenueOut(id=uuid.uuid4(), name="Civic", address="", timezone="Asia/Tokyo")
    org = OrgOut(
        id=uuid.uuid4(),
        name="Org",
        slug="org",
        branding={},
        settings={"timezone": "Africa/Nairobi", "currency": "KES"},
    )
    assert timezone_of(_event("Africa/Johannesburg")) == "Africa/Johannesburg"
    assert timezone_of(venue) == "Asia/Tokyo"
    assert timezone_of(org) == "Africa/Nairobi"
    assert shown(MOMENT, org) == "Sat 01 Mar 2031, 19:00 EAT"
    assert shown(MOMENT, _event("Africa/Johannesburg")) == "Sat 01 Mar 2031, 18:00 SAST"
    # An org that never chose one, or no org at all: UTC, and it says so.
    assert shown(MOMENT, OrgOut(org.id, "Org", "org", {}, {})) == "Sat 01 Mar 2031, 16:00 UTC"
    assert shown(MOMENT, None) == "Sat 01 Mar 2031, 16:00 UTC"


def test_nothing_unknown_or_naive_breaks_a_page() -> None:
    assert shown(None, "UTC") == ""
    assert shown(MOMENT, "Not/AZone") == "Sat 01 Mar 2031, 16:00 UTC"
    assert shown(MOMENT.replace(tzinfo=None), "Africa/Johannesburg") == (
        "Sat 01 Mar 2031, 18:00 SAST"
    )


def test_form_values_are_datetime_local_in_the_same_zone() -> None:
    assert input_value(MOMENT, "Africa/Johannesburg") == "2031-03-01T18:00"
    assert input_value(None, "UTC") == ""
