"""Entry rules as organisers write them: JSON text to a rule the gates evaluate, in words.

`check_rule` is the one check of a rule for the API (`GateRuleIn`) and the gates page:
what `contract.gate_rules` can evaluate, and what PostgreSQL and the event package can
store. `parse_rule_json` reads the page's "advanced" JSON field and says where and what is
wrong ("line 2, character 14: a comma (,) or a closing ] is missing"). Both raise
InvalidRule, whose message ends with what a rule may contain.
"""

from __future__ import annotations

import json
import math
from typing import Any

from contract.errors import GateRuleError
from contract.gate_rules import OPERATORS, VARIABLES, validate_rule
from hub.errors import InvalidRule

# Gates and the package read numbers as JSON numbers: keep them exact everywhere.
MAX_NUMBER = 2**53 - 1
RULE_HELP = (
    'A rule is one JSON object with one operator, like {"<": [{"var": "entries_today"}, 2]}'
    " (fewer than two entries today). Operators: "
    + ", ".join(OPERATORS)
    + '. Variables, as {"var": name}: '
    + ", ".join(VARIABLES)
    + "."
)


def check_rule(rule: object) -> None:
    """InvalidRule unless `rule` is a rule gates can evaluate and the hub can store."""
    if not isinstance(rule, dict):
        raise InvalidRule(
            f"the rule is not one gates can evaluate: it is not an object. {RULE_HELP}"
        )
    problem = _unstorable(rule)
    if problem:
        raise InvalidRule(f"the rule cannot be stored: {problem}")
    try:
        validate_rule(rule)
    except GateRuleError as exc:
        raise InvalidRule(f"the rule is not one gates can evaluate: {exc}. {RULE_HELP}") from None


def _unstorable(value: object) -> str | None:
    if isinstance(value, str):
        return "it contains a NUL character" if "\x00" in value else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        return f"the number {value} is too large (at most {MAX_NUMBER})"
    if isinstance(value, float) and (not math.isfinite(value) or abs(value) > MAX_NUMBER):
        return f"the number {value} is out of range"
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _unstorable(key) or _unstorable(item)
            if problem:
                return problem
    if isinstance(value, list):
        for item in value:
            problem = _unstorable(item)
            if problem:
                return problem
    return None


def parse_rule_json(text: str) -> dict[str, Any]:
    """The rule in `text` (JSON), checked with `check_rule`; InvalidRule says where the
    JSON is wrong, in words."""
    try:
        value = json.loads(text, object_pairs_hook=_one_operator, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise InvalidRule(f"the JSON is not valid: {_where(exc)}. {RULE_HELP}") from None
    except RecursionError:
        raise InvalidRule("the JSON is nested too deeply") from None
    except ValueError as exc:  # from the hooks below, or a number of thousands of digits
        raise InvalidRule(f"the JSON is not valid: {exc}. {RULE_HELP}") from None
    check_rule(value)
    assert isinstance(value, dict)  # check_rule refuses anything else
    return value


def _one_operator(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal keys: the first would vanish unseen.
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise ValueError(f"{twice[0]!r} is written twice in one object")
    return dict(pairs)


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not a number JSON has")


def _where(exc: json.JSONDecodeError) -> str:
    """Where the JSON went wrong and what is wrong there, in words."""
    doc, pos = exc.doc, exc.pos
    at_end = not doc[pos:].strip()
    found = doc[pos] if pos < len(doc) else ""
    shown = f"`{found}`" if found.isprintable() else f"the character U+{ord(found or ' '):04X}"
    before = doc[:pos].rstrip()
    place = f"line {exc.lineno}, character {exc.colno}"
    snippet = before[-20:].replace("\n", " ")
    if snippet:
        place += f" (after `{snippet}`)"
    message = exc.msg
    if at_end and message.startswith(("Expecting value", "Expecting ',' delimiter")):
        what = "the rule ends too early: a value, a closing ] or a closing } is missing"
    elif message.startswith("Expecting value") and found == "'":
        what = 'text needs double quotes ("north"), not single quotes'
    elif message.startswith("Expecting value") and before.endswith(","):
        what = "a comma is followed by nothing: remove it, or add the next item"
    elif message.startswith("Expecting value"):
        what = (
            f'{shown} is not a value: use a number, "text" in double quotes, true, false,'
            " null, a [list] or an {object}"
        )
    elif message.startswith("Expecting property name"):
        if found == "'":
            what = 'an operator needs double quotes ("<="), not single quotes'
        elif found == "}" and before.endswith(","):
            what = "a comma is followed by nothing: remove it"
        else:
            what = 'an operator name in double quotes ("<=") should come here'
    elif message.startswith("Expecting ':' delimiter"):
        what = "a colon (:) should follow the operator name"
    elif message.startswith("Expecting ',' delimiter"):
        what = "a comma (,) between two items, or a closing ] or }, is missing"
    elif message.startswith("Unterminated string"):
        what = "this text in double quotes is never closed"
    elif message.startswith("Invalid control character"):
        control = doc[pos] if pos < len(doc) else ""
        what = (
            "a line break or tab is inside double quotes: close the text first"
            if control in "\n\r\t"
            else f"the character U+{ord(control or ' '):04X} cannot be in a rule's text"
        )
    elif message.startswith("Invalid \\"):
        what = "a backslash (\\) starts an escape JSON does not have"
    elif message.startswith("Extra data"):
        what = (
            "something follows the end of the rule: a rule is one object (join several"
            ' conditions with {"and": [...]})'
        )
    else:
        what = message[:1].lower() + message[1:]
    return f"{place}: {what}"
