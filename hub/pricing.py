"""Prices: the best applicable discount for a quantity of one ticket type at a moment.

Pure: the caller loads the ticket type's price and rules and passes `now`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """A price rule as the pricing needs it (see `hub.models.PriceRule`)."""

    name: str
    kind: str  # early_bird, promo_code or group
    percent_off: int | None = None
    amount_off_cents: int | None = None
    starts_at: dt.datetime | None = None
    ends_at: dt.datetime | None = None
    code: str | None = None
    min_quantity: int | None = None


@dataclass(frozen=True)
class Quote:
    unit_price_cents: int
    quantity: int
    discount_cents: int
    total_cents: int
    applied_rule: str | None


def rule_applies(rule: Rule, quantity: int, promo_code: str | None, now: dt.datetime) -> bool:
    """Whether `rule` may discount this purchase."""
    if rule.starts_at is not None and now < rule.starts_at:
        return False
    if rule.ends_at is not None and now >= rule.ends_at:
        return False
    if rule.kind == "promo_code":
        # Codes are read off posters and typed on phones: case does not matter.
        return promo_code is not None and (rule.code or "").casefold() == promo_code.casefold()
    if rule.kind == "group":
        return quantity >= (rule.min_quantity or 2)
    return rule.kind == "early_bird"


def discount_per_ticket(rule: Rule, unit_price_cents: int) -> int:
    """What `rule` takes off one ticket, never more than its price."""
    off = 0
    if rule.percent_off is not None:
        # Round half up to the cent, in the buyer's favour only by rounding.
        off = (unit_price_cents * rule.percent_off + 50) // 100
    elif rule.amount_off_cents is not None:
        off = rule.amount_off_cents
    return min(off, unit_price_cents)


def quote(
    unit_price_cents: int,
    quantity: int,
    rules: list[Rule],
    promo_code: str | None,
    now: dt.datetime,
) -> Quote:
    """The price of `quantity` tickets: the single best applicable rule (rules never stack,
    so a promo code cannot be combined with an early-bird price)."""
    best: Rule | None = None
    best_off = 0
    for rule in rules:
        if not rule_applies(rule, quantity, promo_code, now):
            continue
        off = discount_per_ticket(rule, unit_price_cents)
        if off > best_off:
            best, best_off = rule, off
    gross = unit_price_cents * quantity
    discount = best_off * quantity
    return Quote(
        unit_price_cents, quantity, discount, gross - discount, best.name if best else None
    )
