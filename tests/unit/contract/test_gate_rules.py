"""gate_rules: check-in rules as data, validated by the hub and evaluated by every gate."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract.errors import ContractError, GateRuleError
from contract.gate_rules import VARIABLES, evaluate_rule, rule_allows, validate_rule


def _nest(levels: int, op: str = "!") -> object:
    rule: object = True
    for _ in range(levels):
        rule = {op: [rule]}
    return rule


# --- validate_rule ------------------------------------------------------------------------

VALID_RULES: list[object] = [
    True,
    None,
    3,
    2.5,
    "vip",
    [1, "a", None],
    {"and": [True, {"var": "gate"}]},
    {"and": True},
    {"or": [False, {"var": "entries"}, 1]},
    {"!": [{"var": "minutes_since_last_entry"}]},
    {"!": True},
    {"==": [{"var": "gate"}, "north"]},
    {"!=": [{"var": "ticket_type"}, "abc"]},
    {"<": [{"var": "entries_today"}, 3]},
    {"<": ["18:00", {"var": "local_time"}, "23:00"]},
    {"<=": [1, {"var": "weekday"}, 5]},
    {">": [{"var": "minutes_since_last_entry"}, 30]},
    {">=": [{"var": "now"}, "2025-03-01T18:00:00Z"]},
    {"in": [{"var": "gate"}, ["north", "south"]]},
    {"in": ["vip", {"var": "gate"}]},
    {"var": "local_date"},
    {"var": ["weekday"]},
    _nest(10),
]


@pytest.mark.parametrize("rule", VALID_RULES)
def test_documented_rules_are_accepted(rule: object) -> None:
    validate_rule(rule)


@pytest.mark.parametrize("name", sorted(VARIABLES))
def test_every_documented_variable_is_accepted(name: str) -> None:
    validate_rule({"var": name})
    validate_rule({"==": [{"var": name}, None]})


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({"xor": [True, False]}, "unknown operator 'xor'"),
        ({"+": [1, 2]}, "unknown operator"),
        ({"if": [True, 1, 2]}, "unknown operator"),
        ({"and": [True, {"max": [1, 2]}]}, "unknown operator 'max'"),
        ([1, {"missing": ["gate"]}], "unknown operator"),
        ({"var": "age"}, "unknown variable 'age'"),
        ({"var": "Gate"}, "unknown variable"),
        ({"var": []}, "exactly one variable name"),
        ({"var": [["gate"]]}, "unknown variable"),
        ({"var": {"gate": 1}}, "unknown variable"),
        ({"var": 3}, "unknown variable"),
        ({"var": None}, "unknown variable"),
        ({"var": ["gate", "default"]}, "exactly one variable name"),
        ({"!": [1, 2]}, "'!' takes exactly 1 argument, 2 given"),
        ({"!": []}, "'!' takes exactly 1 argument, 0 given"),
        ({"==": [1]}, "'==' takes exactly 2 arguments, 1 given"),
        ({"!=": [1, 2, 3]}, "'!=' takes exactly 2 arguments"),
        ({"in": "vip"}, "'in' takes exactly 2 arguments"),
        ({">": [1, 2, 3]}, "'>' takes exactly 2 arguments"),
        ({">=": [1, 2, 3]}, "'>=' takes exactly 2 arguments"),
        ({"<": [1]}, "'<' takes 2 or 3 arguments, 1 given"),
        ({"<=": [1, 2, 3, 4]}, "'<=' takes 2 or 3 arguments, 4 given"),
        ({"and": []}, "'and' takes at least 1 argument, 0 given"),
        ({"or": []}, "'or' takes at least 1 argument, 0 given"),
        ({}, "exactly one operator"),
        ({"and": [True], "or": [False]}, "exactly one operator"),
        (b"bytes", "exactly one operator"),
        ({1, 2}, "exactly one operator"),
        (_nest(100), "nested too deeply"),
        (_nest(100, "and"), "nested too deeply"),
        (_nest(10_000), "nested too deeply"),
    ],
)
def test_unevaluable_rules_are_refused(rule: object, problem: str) -> None:
    with pytest.raises(GateRuleError, match=problem.replace("+", r"\+")):
        validate_rule(rule)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"var": "age"}, "unknown variable 'age'"),
        ({"<": [{"var": "age"}, 3]}, "unknown variable 'age' (in the 1st argument of '<')"),
        (
            {"and": [True, {"in": [{"var": "gate"}, ["north", {"max": [1]}]]}]},
            "unknown operator 'max' (in the 2nd item of a list)",
        ),
        (
            {"or": [True, False, {"!": []}]},
            "operator '!' takes exactly 1 argument, 0 given (in the 3rd",
        ),
    ],
)
def test_refusals_say_where_in_the_rule(rule: object, message: str) -> None:
    with pytest.raises(GateRuleError) as refused:
        validate_rule(rule)
    assert str(refused.value).startswith(message)


def test_deeply_nested_lists_are_refused() -> None:
    rule: object = 1
    for _ in range(100):
        rule = [rule]
    with pytest.raises(GateRuleError, match="nested too deeply"):
        validate_rule(rule)


def test_gate_rule_error_is_a_contract_error_with_a_stable_code() -> None:
    assert issubclass(GateRuleError, ContractError)
    assert GateRuleError.code == "gate_rule_invalid"


# --- evaluate_rule ------------------------------------------------------------------------


class RecordingFacts(Mapping[str, object]):
    """Facts that remember which were looked up, to see what a rule evaluated."""

    def __init__(self, facts: dict[str, object]) -> None:
        self._facts = facts
        self.looked_up: list[str] = []

    def __getitem__(self, key: str) -> object:
        self.looked_up.append(key)
        return self._facts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)


FACTS: dict[str, object] = {
    "gate": "vip-north",
    "ticket_type": "c3d4e5f6-a7b8-4c9d-8e0f-112233445566",
    "entries": 2,
    "entries_today": 1,
    "minutes_since_last_entry": None,
    "now": "2025-03-01T18:30:00Z",
    "local_time": "20:30",
    "local_date": "2025-03-01",
    "weekday": 6,
}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # and/or give the deciding value, as JSON Logic does.
        ({"and": [1, 0, 2]}, 0),
        ({"and": [1, "x", 2]}, 2),
        ({"and": [1, "", 2]}, ""),
        ({"and": [True]}, True),
        ({"or": [0, "", "x", 5]}, "x"),
        ({"or": [0, ""]}, ""),
        ({"or": [None, False, []]}, []),
        ({"or": [{"var": "minutes_since_last_entry"}, 7]}, 7),
        ({"!": [0]}, True),
        ({"!": [[]]}, True),
        ({"!": ["no"]}, False),
        ({"!": {"var": "minutes_since_last_entry"}}, True),
        # between: three arguments
        ({"<": [1, {"var": "entries"}, 3]}, True),
        ({"<": [2, {"var": "entries"}, 3]}, False),
        ({"<": [1, {"var": "entries"}, 2]}, False),
        ({"<=": [2, {"var": "entries"}, 2]}, True),
        ({"<=": [3, {"var": "entries"}, 9]}, False),
        ({"<=": ["18:00", {"var": "local_time"}, "23:59"]}, True),
        ({"<": ["21:00", {"var": "local_time"}, "23:59"]}, False),
        ({"<": [1, 1.5]}, True),
        ({">": [{"var": "weekday"}, 5]}, True),
        ({">=": [{"var": "entries_today"}, 1]}, True),
        # in: lists and substrings
        ({"in": [{"var": "gate"}, ["vip-north", "vip-south"]]}, True),
        ({"in": [{"var": "gate"}, ["north", "south"]]}, False),
        ({"in": ["vip", {"var": "gate"}]}, True),
        ({"in": ["VIP", {"var": "gate"}]}, False),
        ({"in": [1, "123"]}, False),
        ({"in": ["1", 123]}, False),
        ({"in": ["a", None]}, False),
        # incompatible comparisons are false, never an error
        ({"<": [1, "2"]}, False),
        ({">": ["2", 1]}, False),
        ({"<": [None, 1]}, False),
        ({">": [{"var": "minutes_since_last_entry"}, 30]}, False),
        ({"<=": [{"var": "minutes_since_last_entry"}, 30]}, False),
        ({"<": [True, 2]}, False),
        ({">=": [1, False]}, False),
        ({"<": [[1], [2]]}, False),
        ({"<": [1, "x", 3]}, False),
        ({"<": [float("nan"), 1]}, False),
        # == is strict about types: True is not 1
        ({"==": [True, 1]}, False),
        ({"==": [1, True]}, False),
        ({"==": [False, 0]}, False),
        ({"!=": [True, 1]}, True),
        ({"==": ["1", 1]}, False),
        ({"==": [None, None]}, True),
        ({"==": [{"var": "gate"}, "vip-north"]}, True),
        ({"!=": [{"var": "gate"}, "vip-north"]}, False),
        # literals and lists evaluate to themselves
        ("vip", "vip"),
        ([1, {"var": "entries"}], [1, 2]),
    ],
)
def test_evaluate_examples(rule: object, expected: object) -> None:
    validate_rule(rule)
    result = evaluate_rule(rule, FACTS)
    assert result == expected
    assert type(result) is type(expected)


def test_and_stops_at_the_first_false_value() -> None:
    facts = RecordingFacts(FACTS)
    assert evaluate_rule({"and": [{"var": "entries"}, 0, {"var": "gate"}]}, facts) == 0
    assert facts.looked_up == ["entries"]


def test_or_stops_at_the_first_true_value() -> None:
    facts = RecordingFacts(FACTS)
    assert evaluate_rule({"or": [{"var": "gate"}, {"var": "entries"}]}, facts) == "vip-north"
    assert facts.looked_up == ["gate"]


def test_rule_allows_the_demo_daily_limit() -> None:
    daily_limit = {"<": [{"var": "entries_today"}, 3]}
    validate_rule(daily_limit)
    assert rule_allows(daily_limit, {"entries_today": 2}) is True
    assert rule_allows(daily_limit, {"entries_today": 3}) is False
    assert rule_allows(daily_limit, {}) is False


# --- property: a validated rule never crashes a scan ---------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | st.sampled_from(["18:00", "2025-03-01", "vip", "north"])
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=2)
    ),
    max_leaves=8,
)
variables = st.sampled_from(sorted(VARIABLES)).map(lambda name: {"var": name})
ARITY = {
    "and": (1, 3),
    "or": (1, 3),
    "!": (1, 1),
    "==": (2, 2),
    "!=": (2, 2),
    "in": (2, 2),
    "<": (2, 3),
    "<=": (2, 3),
    ">": (2, 2),
    ">=": (2, 2),
}


def _operator_nodes(children: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.sampled_from(sorted(ARITY)).flatmap(
        lambda op: st.lists(children, min_size=ARITY[op][0], max_size=ARITY[op][1]).map(
            lambda args: {op: args}
        )
    )


def _rules(depth: int) -> st.SearchStrategy[object]:
    """Rules no deeper than `depth`, well inside the validator's limit."""
    leaves = json_scalars | variables
    if depth == 0:
        return leaves
    children = _rules(depth - 1)
    return leaves | _operator_nodes(children) | st.lists(children, max_size=3)


facts_strategy = st.dictionaries(st.sampled_from(sorted(VARIABLES)), json_values)


@settings(max_examples=200)
@given(rule=_rules(6), facts=facts_strategy)
def test_validated_rules_always_evaluate(rule: object, facts: dict[str, object]) -> None:
    validate_rule(rule)
    result = evaluate_rule(rule, facts)
    assert isinstance(rule_allows(rule, facts), bool)
    if isinstance(rule, dict) and next(iter(rule)) not in ("and", "or", "var"):
        assert isinstance(result, bool)
    # Evaluation is pure: the same facts give the same answer.
    again = evaluate_rule(rule, facts)
    assert again == result or _has_nan(result)


def _has_nan(value: object) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list):
        return any(_has_nan(v) for v in value)
    return False


arbitrary_rules = st.recursive(
    json_scalars | variables,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from([*ARITY, "var", "xor"]) | st.text(max_size=3), children, max_size=2
        )
        | st.dictionaries(st.just("var"), children, min_size=1)
    ),
    max_leaves=12,
)


@settings(max_examples=200)
@given(rule=arbitrary_rules, facts=facts_strategy)
def test_validate_accepts_or_refuses_any_json_and_accepted_rules_evaluate(
    rule: object, facts: dict[str, object]
) -> None:
    try:
        validate_rule(rule)
    except GateRuleError as exc:
        message = str(exc)
        assert message
        return
    evaluate_rule(rule, facts)


@pytest.mark.parametrize(
    ("needle", "haystack", "expected"),
    [
        (True, [1], False),
        (1, [1.0], False),
        (1, [True], False),
        (1, [2, 1], True),
        ("a", ["a"], True),
    ],
)
def test_in_is_as_strict_as_equality(needle: object, haystack: object, expected: bool) -> None:
    assert evaluate_rule({"in": [needle, haystack]}, {}) is expected
