"""What blocks publishing (every problem at once) and which status changes are allowed."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.publishing import TRANSITIONS, EventFacts, publish_problems, transition_allowed

NOW = dt.datetime(2031, 2, 1, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=30)
SHOW = (LATER, LATER + dt.timedelta(hours=4))


def facts(**change: object) -> EventFacts:
    base: dict[str, object] = {
        "name": "Opening night",
        "has_layout": True,
        "sessions": [SHOW],
        "ticket_types": [
            ("Stalls", "seated", 35000, None, 30),
            ("Standing", "general", 0, 50, None),
        ],
    }
    return EventFacts(**{**base, **change})  # type: ignore[arg-type]


def test_a_complete_event_can_be_published() -> None:
    assert publish_problems(facts(), NOW) == []


def test_an_empty_event_lists_every_missing_part() -> None:
    assert publish_problems(facts(sessions=[], ticket_types=[]), NOW) == [
        "add at least one date",
        "add at least one ticket type",
    ]


def test_every_problem_is_listed_at_once() -> None:
    problems = publish_problems(
        facts(
            has_layout=False,
            sessions=[
                (LATER, LATER - dt.timedelta(hours=1)),
                (NOW - dt.timedelta(days=2), NOW - dt.timedelta(days=1)),
                SHOW,
            ],
            ticket_types=[
                ("Standing", "general", 100, None, None),
                ("Free standing", "general", 0, 0, None),
                ("Stalls", "seated", 35000, None, 30),
            ],
        ),
        NOW,
    )
    assert problems == [
        "the date starting Mon 03 Mar 2031, 12:00 UTC ends before it starts",
        "ticket type 'Standing' needs a quota",
        "ticket type 'Free standing' needs a quota",
        "ticket type 'Stalls' is seated but the event has no layout",
    ]


def test_a_seated_type_needs_seats_in_its_zone() -> None:
    for seats in (0, None):
        assert publish_problems(
            facts(ticket_types=[("Stalls", "seated", 1, None, seats)]), NOW
        ) == ["ticket type 'Stalls' is seated in a zone with no seats"]


def test_a_date_ending_now_is_over() -> None:
    assert publish_problems(facts(sessions=[(NOW - dt.timedelta(hours=1), NOW)]), NOW) == [
        "every date is already over"
    ]


def test_an_event_with_dates_still_to_come_may_publish_after_its_first() -> None:
    first_day = (NOW - dt.timedelta(days=1), NOW - dt.timedelta(hours=20))
    assert publish_problems(facts(sessions=[first_day, SHOW]), NOW) == []


@pytest.mark.parametrize(
    ("current", "new", "allowed"),
    [
        ("draft", "published", True),
        ("draft", "cancelled", True),
        ("draft", "ended", False),
        ("published", "ended", True),
        ("published", "cancelled", True),
        ("published", "draft", False),
        ("published", "published", False),
        ("ended", "published", False),
        ("ended", "cancelled", False),
        ("cancelled", "published", False),
        ("cancelled", "draft", False),
        ("cancelled", "ended", False),
        ("archived", "published", False),
    ],
)
def test_status_transitions(current: str, new: str, allowed: bool) -> None:
    assert transition_allowed(current, new) is allowed


def test_ended_and_cancelled_are_final() -> None:
    for final in ("ended", "cancelled"):
        assert not any(transition_allowed(final, s) for s in TRANSITIONS)


def test_problems_name_dates_in_the_event_zone_as_its_page_shows_them() -> None:
    backwards = facts(sessions=[(LATER, LATER - dt.timedelta(hours=1))], timezone="Asia/Tokyo")
    assert publish_problems(backwards, NOW) == [
        "the date starting Mon 03 Mar 2031, 21:00 JST ends before it starts"
    ]
