"""What an event needs before it can be published, and which status changes are allowed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hub.local_time import shown

TRANSITIONS = {
    "draft": {"published", "cancelled"},
    "published": {"ended", "cancelled"},
    "ended": set[str](),
    "cancelled": set[str](),
}


@dataclass(frozen=True)
class EventFacts:
    """What publishing checks, loaded by the service."""

    name: str
    has_layout: bool
    sessions: list[tuple[dt.datetime, dt.datetime]]
    # (name, kind, price_cents, quota, zone seat count or None)
    ticket_types: list[tuple[str, str, int, int | None, int | None]]
    # The event's zone: problems name its dates as its pages show them.
    timezone: str = "UTC"


def publish_problems(facts: EventFacts, now: dt.datetime) -> list[str]:
    """Every reason the event cannot be published (empty: it can)."""
    problems = []
    if not facts.sessions:
        problems.append("add at least one date")
    for starts, ends in facts.sessions:
        if ends <= starts:
            when = shown(starts, facts.timezone)
            problems.append(f"the date starting {when} ends before it starts")
    # A festival published late, on its second day, is still worth publishing; an event
    # whose every date is over is not.
    if facts.sessions and all(ends <= now for _starts, ends in facts.sessions):
        problems.append("every date is already over")
    if not facts.ticket_types:
        problems.append("add at least one ticket type")
    for name, kind, _price, quota, zone_seats in facts.ticket_types:
        if kind == "general" and not quota:
            problems.append(f"ticket type {name!r} needs a quota")
        if kind == "seated":
            if not facts.has_layout:
                problems.append(f"ticket type {name!r} is seated but the event has no layout")
            elif not zone_seats:
                problems.append(f"ticket type {name!r} is seated in a zone with no seats")
    return problems


def starts_in_past(starts_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a new date would start before `now`: allowed only when the organiser says
    they mean it (a festival entered late), since it is usually a wrong year or month."""
    return starts_at < now


def transition_allowed(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, set())
