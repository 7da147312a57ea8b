"""The entry rule editor: conditions an organiser picks in a form, as JSON logic.

Pure: `read_conditions` reads the gates page's condition rows (plain form fields, so the
editor works without JavaScript) and `build_rule` turns them into the rule gates evaluate
with `contract.gate_rules`. Rules run before a scan is admitted, so "entries" are the
admissions so far: "at most 2 entries a day" is `entries_today < 2`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from hub.errors import InvalidRule

Combine = Literal["all", "any"]
MAX_CONDITIONS = 20
# The inputs of a condition row: name in the form -> what the page calls it.
INPUTS: Final = {
    "number": "Number",
    "gates": "Gates",
    "from": "From",
    "to": "To",
    "weekdays": "Days",
    "types": "Ticket types",
}
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Kind:
    """One kind of condition: what the page offers, and which inputs it reads."""

    label: str
    inputs: tuple[str, ...]
    hint: str


KINDS: Final[dict[str, Kind]] = {
    "entries_today": Kind("At most this many entries a day", ("number",), "Number: 1 or more"),
    "entries": Kind("At most this many entries in all", ("number",), "Number: 1 or more"),
    "minutes_since": Kind(
        "At least this many minutes since the last entry", ("number",), "Number: minutes"
    ),
    "gates": Kind("Only at these gates", ("gates",), "Gates: north, south"),
    "not_gates": Kind("Not at these gates", ("gates",), "Gates: north, south"),
    "times": Kind("Only between these times", ("from", "to"), "From and To: 18:00, 23:30"),
    "dates": Kind(
        "Only on these dates", ("from", "to"), "From and To: 2031-03-01 (To blank: one day)"
    ),
    "weekdays": Kind("Only on these days of the week", ("weekdays",), "Days: choose some"),
    "types": Kind("Only these ticket types", ("types",), "Ticket types: choose some"),
    "not_types": Kind("Not these ticket types", ("types",), "Ticket types: choose some"),
}


@dataclass(frozen=True)
class Condition:
    """One condition as the organiser meant it."""

    kind: str
    number: int | None = None
    gates: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    weekdays: tuple[int, ...] = ()
    types: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conditions:
    """What the editor's rows say: the conditions and how they combine."""

    items: list[Condition] = field(default_factory=list)
    combine: Combine = "all"


def _var(name: str) -> dict[str, str]:
    return {"var": name}


def condition_rule(c: Condition) -> dict[str, Any]:
    """The JSON logic of one condition."""
    if c.kind in ("entries_today", "entries"):
        return {"<": [_var(c.kind), c.number]}
    if c.kind == "minutes_since":
        # Null (never admitted) compares with nothing: a first entry must still pass.
        since = _var("minutes_since_last_entry")
        return {"or": [{"==": [since, None]}, {">=": [since, c.number]}]}
    if c.kind in ("gates", "not_gates"):
        inside = {"in": [_var("gate"), list(c.gates)]}
        return inside if c.kind == "gates" else {"!": [inside]}
    if c.kind == "times":
        now = _var("local_time")
        if c.start is not None and c.end is not None and c.start > c.end:
            # Past midnight (22:00 to 02:00): late enough, or early enough.
            return {"or": [{">=": [now, c.start]}, {"<=": [now, c.end]}]}
        return {"<=": [c.start, now, c.end]}
    if c.kind == "dates":
        if c.end is None or c.end == c.start:
            return {"==": [_var("local_date"), c.start]}
        return {"<=": [c.start, _var("local_date"), c.end]}
    if c.kind == "weekdays":
        return {"in": [_var("weekday"), list(c.weekdays)]}
    inside = {"in": [_var("ticket_type"), list(c.types)]}
    return inside if c.kind == "types" else {"!": [inside]}


def build_rule(conditions: Conditions) -> dict[str, Any]:
    """The rule that admits a scan when all (or any) of the conditions hold."""
    rules = [condition_rule(c) for c in conditions.items]
    if not rules:
        raise InvalidRule("add at least one condition (or write the rule as JSON)")
    if len(rules) == 1:
        return rules[0]
    return {"and" if conditions.combine == "all" else "or": rules}


Fields = Mapping[str, Sequence[str]]


def used_rows(fields: Fields) -> int:
    """How many condition rows the form carries (the highest row with anything in it)."""
    used = 0
    for name, values in fields.items():
        found = re.fullmatch(r"c(\d+)_(\w+)", name)
        if found and any(v.strip() for v in values) and int(found.group(1)) < MAX_CONDITIONS:
            used = max(used, int(found.group(1)) + 1)
    return used


def read_conditions(fields: Fields, type_ids: Collection[str]) -> Conditions:
    """The conditions of the form's rows ``c0_kind``, ``c0_number``... (InvalidRule names
    the row and says what to fix). Rows without a kind and without values are unused;
    `type_ids` are the event's ticket types."""
    combine = _one(fields, "combine") or "all"
    if combine not in ("all", "any"):
        raise InvalidRule("Combine: choose all or any of the conditions")
    items = []
    for row in range(MAX_CONDITIONS):
        condition = _read_row(fields, row, type_ids)
        if condition is not None:
            items.append(condition)
    return Conditions(items, "all" if combine == "all" else "any")


def _one(fields: Fields, name: str) -> str:
    values = [v.strip() for v in fields.get(name, ()) if v.strip()]
    return values[0] if values else ""


def _read_row(fields: Fields, row: int, type_ids: Collection[str]) -> Condition | None:
    prefix = f"c{row}_"
    values = {
        name: [v.strip() for v in fields.get(prefix + name, ()) if v.strip()] for name in INPUTS
    }
    kind_key = _one(fields, prefix + "kind")
    filled = [name for name, got in values.items() if got]
    where = f"Condition {row + 1}"
    if not kind_key:
        if filled:
            raise InvalidRule(f"{where}: choose what it checks, or clear its fields")
        return None
    kind = KINDS.get(kind_key)
    if kind is None:
        raise InvalidRule(f"{where}: choose what it checks from the list")
    where = f"{where} ({kind.label.lower()})"
    unused = [INPUTS[name] for name in filled if name not in kind.inputs]
    if unused:
        raise InvalidRule(f"{where} does not use {', '.join(unused)}: clear it, or check another")
    if kind.inputs == ("number",):
        return Condition(kind_key, number=_number(values["number"], where))
    if kind.inputs == ("gates",):
        return Condition(kind_key, gates=_gates(values["gates"], where))
    if kind_key == "times":
        start = _time(values["from"], where, "From")
        return Condition(kind_key, start=start, end=_time(values["to"], where, "To", start))
    if kind_key == "dates":
        start = _date(values["from"], where, "From")
        end = _date(values["to"], where, "To") if values["to"] else None
        if end is not None and end < start:
            raise InvalidRule(f"{where}: the last date comes before the first")
        return Condition(kind_key, start=start, end=end)
    if kind_key == "weekdays":
        return Condition(kind_key, weekdays=_weekdays(values["weekdays"], where))
    return Condition(kind_key, types=_types(values["types"], where, type_ids))


def _number(got: list[str], where: str) -> int:
    text = got[0] if got else ""
    if not text.isdigit() or len(text) > 6:
        raise InvalidRule(f"{where}: enter a whole number in Number, like 2")
    if int(text) < 1:
        raise InvalidRule(f"{where}: the number is at least 1")
    return int(text)


def _gates(got: list[str], where: str) -> tuple[str, ...]:
    names = [g for g in (part.strip() for text in got for part in text.split(",")) if g]
    if not names:
        raise InvalidRule(f"{where}: name the gates in Gates, separated by commas: north, south")
    too_long = [g for g in names if len(g) > 64 or "\x00" in g]
    if too_long:
        raise InvalidRule(f"{where}: a gate's name has 1 to 64 characters")
    return tuple(dict.fromkeys(names))


def _time(got: list[str], where: str, which: str, start: str | None = None) -> str:
    text = got[0] if got else ""
    found = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if found is None or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise InvalidRule(f"{where}: enter {which} as a time of day, like 18:00")
    value = f"{int(found.group(1)):02d}:{found.group(2)}"
    if start is not None and value == start:
        raise InvalidRule(f"{where}: the times are the same: give the first and the last minute")
    return value


def _date(got: list[str], where: str, which: str) -> str:
    text = got[0] if got else ""
    try:
        # fromisoformat also takes "20310301" and week dates: only YYYY-MM-DD is meant.
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise InvalidRule(f"{where}: enter {which} as a date, like 2031-03-01") from None


def _weekdays(got: list[str], where: str) -> tuple[int, ...]:
    days = set()
    for text in got:
        if not (text.isdigit() and 1 <= int(text) <= 7):
            raise InvalidRule(f"{where}: choose days of the week from the list")
        days.add(int(text))
    if not days:
        raise InvalidRule(f"{where}: choose at least one day of the week")
    return tuple(sorted(days))


def _types(got: list[str], where: str, type_ids: Collection[str]) -> tuple[str, ...]:
    if not got:
        raise InvalidRule(f"{where}: choose at least one ticket type")
    if any(t not in type_ids for t in got):
        raise InvalidRule(f"{where}: a chosen ticket type is not one of this event's")
    return tuple(dict.fromkeys(got))
