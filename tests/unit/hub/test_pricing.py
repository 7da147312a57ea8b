"""Quotes: the single best applicable discount, for a quantity, at a moment."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hub.pricing import Rule, discount_per_ticket, quote, rule_applies

NOW = dt.datetime(2031, 2, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def early_bird(percent: int = 20, ends: dt.datetime = NOW + DAY) -> Rule:
    return Rule("Early bird", "early_bird", percent_off=percent, ends_at=ends)


def promo(code: str = "Friends", amount: int = 5000) -> Rule:
    return Rule("Friends", "promo_code", amount_off_cents=amount, code=code)


def group(min_quantity: int | None = 4, percent: int = 10) -> Rule:
    return Rule("Group", "group", percent_off=percent, min_quantity=min_quantity)


def test_without_rules_the_price_is_the_full_price() -> None:
    q = quote(15000, 3, [], None, NOW)
    assert (q.unit_price_cents, q.quantity, q.discount_cents, q.total_cents) == (15000, 3, 0, 45000)
    assert q.applied_rule is None


def test_the_single_best_rule_applies_and_rules_never_stack() -> None:
    # 20% of 15000 is 3000 off; the code gives 5000 off; together they would be 8000.
    q = quote(15000, 2, [early_bird(20), promo(amount=5000)], "FRIENDS", NOW)
    assert q.applied_rule == "Friends"
    assert q.discount_cents == 2 * 5000
    assert q.total_cents == 2 * 10000
    q = quote(15000, 2, [early_bird(50), promo(amount=5000)], "FRIENDS", NOW)
    assert q.applied_rule == "Early bird"
    assert q.total_cents == 2 * 7500


def test_promo_codes_ignore_case_and_need_the_code() -> None:
    rules = [promo(code="Friends")]
    for typed in ("friends", "FRIENDS", "Friends", "fRiEnDs"):
        assert quote(15000, 1, rules, typed, NOW).applied_rule == "Friends"
    assert quote(15000, 1, rules, None, NOW).applied_rule is None
    assert quote(15000, 1, rules, "friend", NOW).applied_rule is None
    assert quote(15000, 1, rules, "", NOW).applied_rule is None


def test_windows_start_inclusive_and_end_exclusive() -> None:
    rule = Rule("Window", "early_bird", percent_off=10, starts_at=NOW, ends_at=NOW + DAY)
    assert not rule_applies(rule, 1, None, NOW - dt.timedelta(microseconds=1))
    assert rule_applies(rule, 1, None, NOW)
    assert rule_applies(rule, 1, None, NOW + DAY - dt.timedelta(microseconds=1))
    assert not rule_applies(rule, 1, None, NOW + DAY)
    # The window bounds every kind of rule, a promo code too.
    expired = Rule("Old code", "promo_code", percent_off=10, code="OLD", ends_at=NOW)
    assert not rule_applies(expired, 1, "OLD", NOW)


def test_the_quote_moment_decides_the_early_bird() -> None:
    rules = [early_bird(20, ends=NOW)]
    assert quote(10000, 1, rules, None, NOW - DAY).total_cents == 8000
    assert quote(10000, 1, rules, None, NOW).total_cents == 10000


def test_group_discounts_need_the_minimum_quantity() -> None:
    assert quote(10000, 3, [group(4)], None, NOW).applied_rule is None
    q = quote(10000, 4, [group(4)], None, NOW)
    assert q.applied_rule == "Group"
    assert q.total_cents == 4 * 9000
    # Without a minimum, a group is two.
    assert quote(10000, 1, [group(None)], None, NOW).applied_rule is None
    assert quote(10000, 2, [group(None)], None, NOW).applied_rule == "Group"


def test_a_discount_never_takes_a_price_below_zero() -> None:
    assert quote(3000, 2, [promo(amount=5000)], "friends", NOW).total_cents == 0
    assert quote(3000, 2, [early_bird(100)], None, NOW).total_cents == 0
    assert discount_per_ticket(promo(amount=10**8), 1) == 1


def test_percentages_round_half_up_to_the_cent() -> None:
    assert discount_per_ticket(early_bird(15), 999) == 150  # 149.85
    assert discount_per_ticket(early_bird(50), 5) == 3  # 2.5
    assert discount_per_ticket(early_bird(33), 1000) == 330
    assert discount_per_ticket(early_bird(10), 1004) == 100  # 100.4
    assert discount_per_ticket(early_bird(1), 0) == 0


rules = st.lists(
    st.one_of(
        st.builds(early_bird, st.integers(1, 100)),
        st.builds(promo, st.sampled_from(["A-1", "Friends"]), st.integers(1, 10**6)),
        st.builds(group, st.integers(2, 10) | st.none(), st.integers(1, 100)),
    ),
    max_size=5,
)


@given(
    price=st.integers(0, 10**8),
    quantity=st.integers(1, 1000),
    rules=rules,
    code=st.sampled_from([None, "friends", "a-1", "nope"]),
)
def test_a_quote_adds_up_and_is_the_best_of_its_rules(
    price: int, quantity: int, rules: list[Rule], code: str | None
) -> None:
    q = quote(price, quantity, rules, code, NOW)
    assert q.total_cents == price * quantity - q.discount_cents
    assert 0 <= q.discount_cents <= price * quantity
    assert q.discount_cents % quantity == 0
    offers = [discount_per_ticket(r, price) for r in rules if rule_applies(r, quantity, code, NOW)]
    assert q.discount_cents == max(offers, default=0) * quantity
    assert (q.applied_rule is None) == (q.discount_cents == 0)
