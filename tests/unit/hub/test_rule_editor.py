"""The entry rule editor: form rows to JSON logic that gates evaluate as the organiser meant,
the rules in words, and JSON typed by hand with its mistakes explained."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from contract.gate_rules import rule_allows, validate_rule
from hub.errors import InvalidRule
from hub.rule_editor import KINDS, build_rule, read_conditions, used_rows
from hub.rule_text import RULE_HELP, check_rule, parse_rule_json
from hub.rule_words import describe_rule
from tests.unit.contract.test_gate_rules import _rules

STALLS = "8d0a4c64-1f0e-4a57-9b55-3f3a0e0e7c11"
STANDING = "0b5e6f1c-95b2-4a4e-8f6e-7d2f0d4b9a22"
TYPES = {STALLS: "Stalls", STANDING: "Standing"}


def scan(**facts: object) -> dict[str, object]:
    """The facts of a scan as a gate computes them (see gate_node.decision._rule_facts):
    a first entry at north at 19:30 on Saturday 1 March 2031, unless told otherwise."""
    base: dict[str, object] = {
        "gate": "north",
        "ticket_type": STALLS,
        "entries": 0,
        "entries_today": 0,
        "minutes_since_last_entry": None,
        "now": "2031-03-01T17:30:00Z",
        "local_time": "19:30",
        "local_date": "2031-03-01",
        "weekday": 6,
    }
    return {**base, **facts}


def rule_of(**fields: str | list[str]) -> dict[str, object]:
    form = {k: v if isinstance(v, list) else [v] for k, v in fields.items()}
    rule = build_rule(read_conditions(form, TYPES))
    validate_rule(rule)
    check_rule(rule)
    return rule


# What each condition admits, on example scans: (form rows, scans admitted, scans refused).
CASES = [
    (
        {"c0_kind": "entries_today", "c0_number": "2"},
        [scan(), scan(entries=5, entries_today=1)],
        [scan(entries_today=2), scan(entries_today=3)],
        "At most 2 entries a day",
    ),
    (
        {"c0_kind": "entries", "c0_number": "1"},
        [scan()],
        [scan(entries=1, entries_today=0)],
        "At most 1 entry in all",
    ),
    (
        {"c0_kind": "minutes_since", "c0_number": "30"},
        [scan(), scan(entries=1, minutes_since_last_entry=30.5)],
        [scan(entries=1, minutes_since_last_entry=12.0)],
        "At least 30 minutes since the last entry",
    ),
    (
        {"c0_kind": "gates", "c0_gates": "north, vip east"},
        [scan(), scan(gate="vip east")],
        [scan(gate="south"), scan(gate="North")],
        "Only at gates north, vip east",
    ),
    (
        {"c0_kind": "not_gates", "c0_gates": "loading-bay"},
        [scan()],
        [scan(gate="loading-bay")],
        "Not at gate loading-bay",
    ),
    (
        {"c0_kind": "times", "c0_from": "18:00", "c0_to": "23:30"},
        [scan(), scan(local_time="18:00"), scan(local_time="23:30")],
        [scan(local_time="17:59"), scan(local_time="23:31"), scan(local_time="02:00")],
        "Only between 18:00 and 23:30 (local time)",
    ),
    (
        {"c0_kind": "times", "c0_from": "22:00", "c0_to": "2:00"},
        [scan(local_time="23:15"), scan(local_time="01:59"), scan(local_time="02:00")],
        [scan(local_time="19:30"), scan(local_time="02:01")],
        "Only from 22:00 to 02:00 the next morning (local time)",
    ),
    (
        {"c0_kind": "dates", "c0_from": "2031-03-01", "c0_to": "2031-03-02"},
        [scan(), scan(local_date="2031-03-02")],
        [scan(local_date="2031-02-28"), scan(local_date="2031-03-03")],
        "Only from 2031-03-01 to 2031-03-02",
    ),
    (
        {"c0_kind": "dates", "c0_from": "2031-03-02"},
        [scan(local_date="2031-03-02")],
        [scan()],
        "Only on 2031-03-02",
    ),
    (
        {"c0_kind": "weekdays", "c0_weekdays": ["6", "7"]},
        [scan(), scan(weekday=7)],
        [scan(weekday=5)],
        "Only on Saturday, Sunday",
    ),
    (
        {"c0_kind": "types", "c0_types": [STANDING]},
        [scan(ticket_type=STANDING)],
        [scan()],
        "Only for ticket type Standing",
    ),
    (
        {"c0_kind": "not_types", "c0_types": [STALLS, STANDING]},
        [scan(ticket_type="another")],
        [scan(), scan(ticket_type=STANDING)],
        "Not for ticket types Stalls, Standing",
    ),
    (
        # all of: evenings, and once a day
        {
            "c0_kind": "times",
            "c0_from": "18:00",
            "c0_to": "23:00",
            "c1_kind": "entries_today",
            "c1_number": "1",
        },
        [scan()],
        [scan(entries_today=1), scan(local_time="12:00")],
        "Only between 18:00 and 23:00 (local time), and at most 1 entry a day",
    ),
    (
        # any of: the VIP gate, or a Standing ticket; the blank row between is unused
        {
            "combine": "any",
            "c0_kind": "gates",
            "c0_gates": "vip",
            "c2_kind": "types",
            "c2_types": [STANDING],
        },
        [scan(gate="vip"), scan(ticket_type=STANDING)],
        [scan()],
        "Only at gate vip, or only for ticket type Standing",
    ),
]


@pytest.mark.parametrize(("form", "admitted", "refused", "words"), CASES)
def test_rules_made_in_the_form_admit_what_the_organiser_meant(
    form: dict[str, str | list[str]],
    admitted: list[dict[str, object]],
    refused: list[dict[str, object]],
    words: str,
) -> None:
    rule = rule_of(**form)
    assert [rule_allows(rule, facts) for facts in admitted] == [True] * len(admitted)
    assert [rule_allows(rule, facts) for facts in refused] == [False] * len(refused)
    assert describe_rule(rule, TYPES) == words


def test_every_kind_of_condition_is_tried() -> None:
    forms: list[dict[str, str | list[str]]] = [case[0] for case in CASES]  # type: ignore[misc]
    tried = {str(form[k]) for form in forms for k in form if k.endswith("_kind")}
    assert tried == set(KINDS)


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"c0_kind": "entries_today"}, "Condition 1 (at most this many entries a day): enter a"),
        ({"c0_kind": "entries_today", "c0_number": "0"}, "the number is at least 1"),
        ({"c0_kind": "entries_today", "c0_number": "-2"}, "enter a whole number"),
        ({"c0_kind": "gates", "c0_gates": " , "}, "name the gates in Gates"),
        ({"c0_kind": "gates", "c0_gates": "x" * 65}, "a gate's name has 1 to 64 characters"),
        ({"c0_kind": "times", "c0_from": "18:00", "c0_to": "25:00"}, "enter To as a time of day"),
        ({"c0_kind": "times", "c0_from": "18:00", "c0_to": "18:00"}, "the times are the same"),
        ({"c0_kind": "dates", "c0_from": "20310301"}, "enter From as a date, like 2031-03-01"),
        ({"c0_kind": "dates", "c0_from": "2031-02-30"}, "enter From as a date"),
        (
            {"c0_kind": "dates", "c0_from": "2031-03-02", "c0_to": "2031-03-01"},
            "the last date comes before the first",
        ),
        ({"c0_kind": "weekdays", "c0_weekdays": "8"}, "choose days of the week from the list"),
        ({"c0_kind": "weekdays"}, "choose at least one day of the week"),
        ({"c0_kind": "types", "c0_types": "not-a-type"}, "not one of this event's"),
        ({"c0_kind": "shoe_size"}, "Condition 1: choose what it checks from the list"),
        ({"c1_number": "3"}, "Condition 2: choose what it checks, or clear its fields"),
        (
            {"c0_kind": "gates", "c0_gates": "north", "c0_number": "2"},
            "Condition 1 (only at these gates) does not use Number",
        ),
        ({"combine": "most"}, "Combine: choose all or any"),
        ({}, "add at least one condition"),
    ],
)
def test_form_mistakes_name_the_condition_and_what_to_fix(
    form: dict[str, str], problem: str
) -> None:
    with pytest.raises(InvalidRule, match=problem.replace("(", r"\(").replace(")", r"\)")):
        build_rule(read_conditions({k: [v] for k, v in form.items()}, TYPES))


def test_the_rows_in_use_are_counted_to_show_them_again() -> None:
    assert used_rows({"c0_kind": ["gates"], "c4_gates": ["x"], "c6_to": [" "]}) == 5
    assert used_rows({"description": ["x"]}) == 0


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"<=": [{"var": "entries_today"}, 1]}, "At most 2 entries a day"),
        ({"!=": [{"var": "gate"}, "loading-bay"]}, 'The gate is not "loading-bay"'),
        ({"==": [{"var": "ticket_type"}, STALLS]}, "The ticket type is Stalls"),
        (
            {"==": [{"var": "ticket_type"}, "gone"]},
            "The ticket type is a ticket type this event no longer has",
        ),
        (
            {"<": [1, {"var": "weekday"}, 6]},
            "The day of the week is between Monday and Saturday (ends excluded)",
        ),
        ({"in": ["vip", {"var": "gate"}]}, 'The gate contains "vip"'),
        (
            {">": [{"var": "now"}, "2031-03-01T18:00:00Z"]},
            "The time (UTC) is more than 2031-03-01T18:00:00Z",
        ),
        (
            {"or": [{"!": [{"var": "minutes_since_last_entry"}]}, {"and": [True, False]}]},
            "Not (the minutes since the last entry), or (always, and never)",
        ),
    ],
)
def test_rules_written_by_hand_are_described_too(rule: object, words: str) -> None:
    validate_rule(rule)
    assert describe_rule(rule, TYPES) == words


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "line 1, character 1: the rule ends too early"),
        ('{"<": [1, 2', 'line 1, character 12 (after `{"<": [1, 2`): the rule ends too early'),
        ('{\n  "and": [\n    {"<": [1 2]}]}', "line 3, character 14"),
        ('{\n  "and": [\n    {"<": [1 2]}]}', "a comma (,) between two items, or a closing ]"),
        ("{'<': [1, 2]}", 'an operator needs double quotes ("<="), not single quotes'),
        ('{"<": [1, 2,]}', "a comma is followed by nothing"),
        ('{"==": [{"var": "gate"}, \'north\']}', "text needs double quotes"),
        ('{"<": [1, 2]} {"<": [1, 2]}', "something follows the end of the rule"),
        ('{"<" [1, 2]}', "a colon (:) should follow the operator name"),
        ('{"==": ["nor', "this text in double quotes is never closed"),
        ('{"==": ["a\\q", 1]}', "a backslash"),
        ("\x00", "the character U+0000 is not a value"),
        ('{"==": ["a\\u0000", 1]}', "the rule cannot be stored: it contains a NUL character"),
        ('{"<": [1, NaN]}', "NaN is not a number JSON has"),
        ('{"<": [1, 1e999]}', "the rule cannot be stored: the number inf is out of range"),
        ('{"<": [1, 99999999999999999999]}', "the number 99999999999999999999 is too large"),
        ('{"and": [true], "and": [false]}', "'and' is written twice in one object"),
        ("[1, 2]", "the rule is not one gates can evaluate: it is not an object"),
        ('{"<": [{"var": "shoe_size"}, 1]}', "unknown variable 'shoe_size' (in the 1st argument"),
        ('{"max": [1, 2]}', "unknown operator 'max'"),
        ('{"<": [1]}', "operator '<' takes 2 or 3 arguments, 1 given"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_json_mistakes_are_explained_in_words(text: str, problem: str) -> None:
    with pytest.raises(InvalidRule) as refused:
        parse_rule_json(text)
    assert problem in str(refused.value)
    assert "invalid character (byte" not in str(refused.value)


def test_json_errors_say_what_a_rule_may_contain() -> None:
    with pytest.raises(InvalidRule) as refused:
        parse_rule_json('{"<": [1, 2')
    assert str(refused.value).endswith(RULE_HELP)
    assert "entries_today" in RULE_HELP
    assert "<=" in RULE_HELP


def test_valid_json_is_the_rule() -> None:
    text = '{\n  "<=": [\n    {"var": "entries_today"},\n    1\n  ]\n}'
    assert parse_rule_json(text) == {"<=": [{"var": "entries_today"}, 1]}


@settings(max_examples=300)
@given(rule=_rules(5))
def test_every_rule_gates_evaluate_has_words(rule: object) -> None:
    validate_rule(rule)
    words = describe_rule(rule, TYPES)
    assert words
    assert len(words) <= 2000
