"""Check-in rules as data: a small, total subset of JSON Logic.

Organisers attach rules to an event, a ticket type or a gate ("not before 18:00", "at most
two entries a day"); the hub validates them and every gate evaluates them with this one
function, so a rule means the same thing everywhere. Evaluation is total: a comparison of
values that do not compare (a number with null, say) is false rather than an error, so a
rule can never crash a scan.

A rule is a literal or ``{"op": [args...]}`` with op one of ``and or ! == != < <= > >= in
var``; ``<`` and ``<=`` also take three arguments (between). Variables (``{"var": name}``)
are those of `VARIABLES`.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Mapping
from typing import Any, Final

from contract.errors import GateRuleError

VARIABLES: Final = {
    "gate": "name of the gate scanning",
    "ticket_type": "id of the ticket's type",
    "entries": "admissions of this ticket so far",
    "entries_today": "admissions of this ticket so far on the event's local date",
    "minutes_since_last_entry": "minutes since the last admission, null if none",
    "now": "current time, ISO 8601 in UTC",
    "local_time": "current time of day in the event's timezone, HH:MM",
    "local_date": "current date in the event's timezone, YYYY-MM-DD",
    "weekday": "day of the week in the event's timezone, 1 = Monday",
}

_MAX_DEPTH = 32
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_OPERATORS = {"and", "or", "!", "==", "!=", "in", "var", *_COMPARE}


def _args(node: Mapping[str, object]) -> tuple[str, list[object]]:
    ((op, raw),) = node.items()
    return op, list(raw) if isinstance(raw, list) else [raw]


def validate_rule(rule: object, depth: int = 0) -> None:
    """Raise GateRuleError unless `rule` is a rule this version evaluates."""
    if depth > _MAX_DEPTH:
        raise GateRuleError("rule is nested too deeply")
    if isinstance(rule, list):
        for item in rule:
            validate_rule(item, depth + 1)
        return
    if rule is None or isinstance(rule, str | int | float | bool):
        return
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise GateRuleError("a rule node must be an object with exactly one operator")
    op, args = _args(rule)
    if op not in _OPERATORS:
        raise GateRuleError(f"unknown operator {op!r}")
    if op == "var":
        # A list or object as the name is unhashable: it must be refused, not crash `in`.
        if len(args) != 1:
            raise GateRuleError("operator 'var' takes exactly one variable name")
        if not isinstance(args[0], str) or args[0] not in VARIABLES:
            raise GateRuleError(f"unknown variable {args[0]!r}")
        return
    arity = {"!": (1, 1), "==": (2, 2), "!=": (2, 2), "in": (2, 2)}.get(op)
    if op in _COMPARE:
        arity = (2, 3) if op in ("<", "<=") else (2, 2)
    if arity and not arity[0] <= len(args) <= arity[1]:
        raise GateRuleError(f"operator {op!r} takes {arity[0]} to {arity[1]} arguments")
    if op in ("and", "or") and not args:
        raise GateRuleError(f"operator {op!r} needs at least one argument")
    for arg in args:
        validate_rule(arg, depth + 1)


def _compare(fn: Callable[[Any, Any], bool], a: object, b: object) -> bool:
    # Only like with like: bools are not numbers here, and null compares with nothing.
    numeric = (int, float)
    same = (
        isinstance(a, numeric)
        and isinstance(b, numeric)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ) or (isinstance(a, str) and isinstance(b, str))
    return bool(fn(a, b)) if same else False


def evaluate_rule(rule: object, facts: Mapping[str, object]) -> object:
    """Evaluate a validated rule against the scan's facts (see `VARIABLES`)."""
    if isinstance(rule, list):
        return [evaluate_rule(item, facts) for item in rule]
    if not isinstance(rule, Mapping):
        return rule
    op, args = _args(rule)
    if op == "var":
        return facts.get(str(args[0]))
    if op == "and":
        result: object = True
        for arg in args:
            result = evaluate_rule(arg, facts)
            if not result:
                return result
        return result
    if op == "or":
        result = False
        for arg in args:
            result = evaluate_rule(arg, facts)
            if result:
                return result
        return result
    values = [evaluate_rule(arg, facts) for arg in args]
    if op == "!":
        return not values[0]
    if op == "==":
        return type(values[0]) is type(values[1]) and values[0] == values[1]
    if op == "!=":
        return not (type(values[0]) is type(values[1]) and values[0] == values[1])
    if op == "in":
        haystack = values[1]
        if isinstance(haystack, list):
            # Strict like `==`: true is not 1, and 1 is not 1.0.
            return any(type(item) is type(values[0]) and item == values[0] for item in haystack)
        if isinstance(haystack, str) and isinstance(values[0], str):
            return values[0] in haystack
        return False
    fn = _COMPARE[op]
    return all(_compare(fn, a, b) for a, b in itertools.pairwise(values))


def rule_allows(rule: object, facts: Mapping[str, object]) -> bool:
    """Whether a validated rule admits a scan with these facts."""
    return bool(evaluate_rule(rule, facts))
