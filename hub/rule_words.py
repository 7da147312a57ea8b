"""Entry rules in plain language, for the gates page's list of rules.

Pure. Any rule gates can evaluate gets words: the editor's conditions read as the
organiser picked them ("at most 2 entries a day"), anything written by hand as what it
compares ("the gate is not "loading-bay""). A rule says when a scan is admitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from hub.rule_editor import WEEKDAYS

VARIABLE_WORDS: Final = {
    "gate": "the gate",
    "ticket_type": "the ticket type",
    "entries": "the entries so far",
    "entries_today": "the entries so far today",
    "minutes_since_last_entry": "the minutes since the last entry",
    "now": "the time (UTC)",
    "local_time": "the local time",
    "local_date": "the local date",
    "weekday": "the day of the week",
}
_COMPARE_WORDS: Final = {
    "==": "is",
    "!=": "is not",
    "<": "is less than",
    "<=": "is at most",
    ">": "is more than",
    ">=": "is at least",
}
_MAX_WORDS = 2000


def describe_rule(rule: object, type_names: Mapping[str, str]) -> str:
    """When `rule` admits a scan, as a sentence ("At most 2 entries a day, and only at
    gate north"). `type_names` names the event's ticket types by id."""
    text = _Words(type_names).rule(rule, nested=False)
    text = text[:1].upper() + text[1:]
    return text if len(text) <= _MAX_WORDS else text[: _MAX_WORDS - 1] + "…"


def _var(node: object) -> str | None:
    if isinstance(node, Mapping) and len(node) == 1 and "var" in node:
        name = node["var"]
        if isinstance(name, list) and len(name) == 1:
            name = name[0]
        return name if isinstance(name, str) else None
    return None


def _args(node: Mapping[str, object]) -> tuple[str, list[object]]:
    ((op, raw),) = node.items()
    return op, list(raw) if isinstance(raw, list) else [raw]


def _plural(n: object, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


class _Words:
    def __init__(self, type_names: Mapping[str, str]) -> None:
        self.type_names = type_names

    def rule(self, node: object, nested: bool) -> str:
        if not isinstance(node, Mapping) or len(node) != 1:
            return "always" if node else "never"
        op, args = _args(node)
        if op == "var":
            return self.value(node, None)
        known = self.condition(op, args)
        if known is not None:
            return known
        if op in ("and", "or"):
            parts = [self.rule(a, nested=True) for a in args]
            joined = f", {op} ".join(parts)
            return f"({joined})" if nested and len(parts) > 1 else joined
        if op == "!":
            return f"not ({self.rule(args[0], nested=True)})"
        return self.comparison(op, args)

    def condition(self, op: str, args: list[object]) -> str | None:
        """The editor's conditions, read as the organiser picked them."""
        names = [_var(a) for a in args]
        if len(args) == 2 and names[0] in ("entries_today", "entries") and _count(args[1]):
            assert isinstance(args[1], int)
            most = {"<": args[1], "<=": args[1] + 1}.get(op)
            if most is not None:
                per = " a day" if names[0] == "entries_today" else " in all"
                return f"at most {_plural(most, 'entry', 'entries')}{per}"
        if op == "or" and len(args) == 2:
            first, second = args
            if (
                isinstance(first, Mapping)
                and isinstance(second, Mapping)
                and _args(first) == ("==", [{"var": "minutes_since_last_entry"}, None])
                and list(second) == [">="]
            ):
                _, (since, minutes) = _args(second)
                if _var(since) == "minutes_since_last_entry" and _count(minutes):
                    return f"at least {_plural(minutes, 'minute', 'minutes')} since the last entry"
            late, early = (_time_bound(a) for a in args)
            if late and early and late[0] == ">=" and early[0] == "<=":
                return f"only from {late[1]} to {early[1]} the next morning (local time)"
        if op == "!" and len(args) == 1 and isinstance(args[0], Mapping) and len(args[0]) == 1:
            inner_op, inner = _args(args[0])
            if inner_op == "in" and len(inner) == 2 and _var(inner[0]) in ("gate", "ticket_type"):
                return self.membership(inner, negated=True)
        if op == "in" and len(args) == 2 and _var(args[0]) in ("gate", "ticket_type", "weekday"):
            return self.membership(args, negated=False)
        if op in ("<", "<=") and len(args) == 3 and _var(args[1]) in ("local_time", "local_date"):
            low, high = self.value(args[0], names[1]), self.value(args[2], names[1])
            strictly = "strictly " if op == "<" else ""
            if names[1] == "local_time":
                return f"only {strictly}between {low} and {high} (local time)"
            return f"only {strictly}from {low} to {high}"
        if op == "==" and len(args) == 2 and names[0] == "local_date":
            return f"only on {self.value(args[1], 'local_date')}"
        return None

    def membership(self, args: list[object], negated: bool) -> str | None:
        name, haystack = _var(args[0]), args[1]
        if not isinstance(haystack, list):
            return None
        # Gate names as the gates are called, without quotes: "at gates north, south".
        items = [
            v if name == "gate" and isinstance(v, str) else self.value(v, name) for v in haystack
        ]
        listed = ", ".join(items) if items else "none"
        if name == "gate":
            what = f"at {'gate' if len(items) == 1 else 'gates'} {listed}"
        elif name == "ticket_type":
            what = f"for {'ticket type' if len(items) == 1 else 'ticket types'} {listed}"
        else:
            what = f"on {listed}"
        return f"not {what}" if negated else f"only {what}"

    def comparison(self, op: str, args: list[object]) -> str:
        names = [_var(a) for a in args]
        context = next((n for n in names if n), None)
        values = [self.value(a, context) for a in args]
        if op == "in":
            if isinstance(args[1], list):
                return f"{values[0]} is one of {values[1]}"
            return f"{values[1]} contains {values[0]}"
        if op in ("<", "<=") and len(values) == 3:
            ends = "" if op == "<=" else " (ends excluded)"
            return f"{values[1]} is between {values[0]} and {values[2]}{ends}"
        words = _COMPARE_WORDS.get(op, op)
        return f"{values[0]} {words} {values[1]}"

    def value(self, node: object, context: str | None) -> str:
        """A rule's value in words; `context` is the variable it is compared with."""
        name = _var(node)
        if name is not None:
            return VARIABLE_WORDS.get(name, name)
        if isinstance(node, Mapping):
            return self.rule(node, nested=True)
        if isinstance(node, list):
            return "[" + ", ".join(self.value(v, context) for v in node) + "]"
        if node is None:
            return "nothing"
        if isinstance(node, bool):
            return "true" if node else "false"
        if context == "ticket_type" and isinstance(node, str):
            return self.type_names.get(node, "a ticket type this event no longer has")
        if context == "weekday" and _count(node) and isinstance(node, int) and node <= 7:
            return WEEKDAYS[node - 1]
        if isinstance(node, str) and context in ("gate", None):
            return f'"{node}"'
        return str(node)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _time_bound(node: object) -> tuple[str, str] | None:
    """(">=", "22:00") for {">=": [{"var": "local_time"}, "22:00"]}."""
    if not isinstance(node, Mapping) or len(node) != 1:
        return None
    op, args = _args(node)
    if len(args) == 2 and _var(args[0]) == "local_time" and isinstance(args[1], str):
        return op, args[1]
    return None
