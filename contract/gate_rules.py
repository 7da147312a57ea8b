"""Check-in rules as data: a small, total subset of JSON Logic.

Organisers attach rules to an event, a ticket type or a gate ("not before 18:00", "at most
two entries a day"); the hub validates them and every gate evaluates them with this one
function, so a rule means the same thing everywhere. Evaluation is total: a comparison of
values that do not compare (a number with null, say) is false rather than an error, so a
rule can never crash a scan.

A rule is a literal or ``{"op": [args...]}`` with op one of `OPERATORS` (``and or ! == !=
< <= > >= in var``); ``<`` and ``<=`` also take three arguments (between). Variables
(``{"var": name}``) are those of `VARIABLES`.
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

# Every operator, with how many arguments it takes (None: any number, at least one) and
# what it means: the one table that validation, the hub's help text and its plain-language
# descriptions read.
OPERATORS: Final[dict[str, tuple[int, int | None, str]]] = {
    "and": (1, None, "all of its arguments are true"),
    "or": (1, None, "at least one of its arguments is true"),
    "!": (1, 1, "its argument is not true"),
    "==": (2, 2, "two values are equal"),
    "!=": (2, 2, "two values differ"),
    "<": (2, 3, "less than (with three arguments: strictly between)"),
    "<=": (2, 3, "at most (with three arguments: between, ends included)"),
    ">": (2, 2, "greater than"),
    ">=": (2, 2, "at least"),
    "in": (2, 2, "a value is in a list, or a text contains another"),
    "var": (1, 1, "the value of a variable"),
}
_MAX_DEPTH = 32
_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _args(node: Mapping[str, object]) -> tuple[str, list[object]]:
    ((op, raw),) = node.items()
    return op, list(raw) if isinstance(raw, list) else [raw]


def _ordinal(n: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def _arity(low: int, high: int | None) -> str:
    if high is None:
        return f"at least {low} argument{'' if low == 1 else 's'}"
    if low == high:
        return f"exactly {low} argument{'' if low == 1 else 's'}"
    return f"{low} or {high} arguments" if high == low + 1 else f"{low} to {high} arguments"


def validate_rule(rule: object, depth: int = 0, where: str = "") -> None:
    """Raise GateRuleError unless `rule` is a rule this version evaluates.

    The message says what is wrong and, below the top of the rule, where: "unknown
    variable 'age' (in the 1st argument of '<')".
    """

    def refuse(problem: str) -> GateRuleError:
        return GateRuleError(f"{problem} ({where})" if where else problem)

    if depth > _MAX_DEPTH:
        raise refuse("rule is nested too deeply")
    if isinstance(rule, list):
        for index, item in enumerate(rule, 1):
            validate_rule(item, depth + 1, f"in the {_ordinal(index)} item of a list")
        return
    if rule is None or isinstance(rule, str | int | float | bool):
        return
    if not isinstance(rule, Mapping) or len(rule) != 1:
        raise refuse("a rule node must be an object with exactly one operator")
    op, args = _args(rule)
    if op not in OPERATORS:
        raise refuse(f"unknown operator {op!r}")
    if op == "var":
        # A list or object as the name is unhashable: it must be refused, not crash `in`.
        if len(args) != 1:
            raise refuse("operator 'var' takes exactly one variable name")
        if not isinstance(args[0], str) or args[0] not in VARIABLES:
            raise refuse(f"unknown variable {args[0]!r}")
        return
    low, high, _ = OPERATORS[op]
    if len(args) < low or (high is not None and len(args) > high):
        given = f"{len(args)} given"
        raise refuse(f"operator {op!r} takes {_arity(low, high)}, {given}")
    for index, arg in enumerate(args, 1):
        validate_rule(arg, depth + 1, f"in the {_ordinal(index)} argument of {op!r}")


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
