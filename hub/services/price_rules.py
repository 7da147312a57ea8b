"""An event's price rules (early bird, promo code, group) and quotes that apply them."""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub import pricing
from hub.errors import Conflict, ValidationFailed
from hub.local_time import shown
from hub.models import Event, PriceRule, TicketType
from hub.roles import Action
from hub.schemas import PriceRuleIn, PriceRuleOut, QuoteIn, QuoteOut
from hub.services import audit
from hub.services.events import editable_event
from hub.tenancy import Principal, get_owned, require, scoped


def price_rule_out(r: PriceRule) -> PriceRuleOut:
    return PriceRuleOut(
        r.id,
        r.kind.value,
        r.name,
        r.ticket_type_id,
        r.percent_off,
        r.amount_off_cents,
        r.starts_at,
        r.ends_at,
        r.code,
        r.min_quantity,
    )


async def list_price_rules(principal: Principal, event_id: object) -> list[PriceRuleOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(PriceRule, principal, event_id=event.id).order_by("name")
    return [price_rule_out(r) for r in rows]


async def add_price_rule(
    principal: Principal, event_id: object, data: PriceRuleIn, now: dt.datetime
) -> PriceRuleOut:
    event = await editable_event(principal, event_id)
    if (data.percent_off is None) == (data.amount_off_cents is None):
        raise ValidationFailed("give either percent_off or amount_off_cents")
    if data.starts_at and data.ends_at and data.ends_at <= data.starts_at:
        raise ValidationFailed("the rule must end after it starts")
    if data.kind == "early_bird" and data.ends_at is None:
        raise ValidationFailed("an early-bird price needs an end (ends_at)")
    if data.kind == "promo_code" and not data.code:
        raise ValidationFailed("a promo code rule needs a code")
    if data.kind != "promo_code" and data.code:
        raise ValidationFailed("only promo code rules have a code")
    if data.kind == "group" and data.min_quantity is None:
        raise ValidationFailed("a group discount needs min_quantity")
    if data.ticket_type_id is not None:
        await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    try:
        async with in_transaction():
            r = await PriceRule.create(
                org_id=principal.org_id,
                event=event,
                ticket_type_id=data.ticket_type_id,
                kind=data.kind,
                name=data.name,
                percent_off=data.percent_off,
                amount_off_cents=data.amount_off_cents,
                starts_at=data.starts_at,
                ends_at=data.ends_at,
                code=data.code,
                min_quantity=data.min_quantity,
            )
            await audit.record(
                principal, "price_rule.created", _target(r, event), now, **_terms(r, event)
            )
    except IntegrityError:
        raise Conflict(f"the code {data.code!r} is already used in this event") from None
    return price_rule_out(r)


async def delete_price_rule(
    principal: Principal, event_id: object, rule_id: object, now: dt.datetime
) -> None:
    event = await editable_event(principal, event_id)
    row = await get_owned(PriceRule, principal, rule_id, event_id=event.id)
    async with in_transaction():
        await row.delete()
        await audit.record(principal, "price_rule.deleted", _target(row, event), now)


def _target(r: PriceRule, event: Event) -> str:
    return f"price rule {r.name} ({event.name})"


def _terms(r: PriceRule, event: Event) -> dict[str, object]:
    """What the rule takes off and when, as the audit log shows it."""
    terms: dict[str, object] = {"kind": r.kind.value}
    if r.percent_off is not None:
        terms["percent_off"] = r.percent_off
    if r.amount_off_cents is not None:
        terms["amount_off_cents"] = r.amount_off_cents
    if r.code:
        terms["code"] = r.code
    if r.min_quantity is not None:
        terms["min_quantity"] = r.min_quantity
    if r.starts_at is not None:
        terms["from"] = shown(r.starts_at, event.timezone)
    if r.ends_at is not None:
        terms["until"] = shown(r.ends_at, event.timezone)
    return terms


async def quote(
    principal: Principal, event_id: object, data: QuoteIn, now: dt.datetime
) -> QuoteOut:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    ticket_type = await get_owned(TicketType, principal, data.ticket_type_id, event_id=event.id)
    rows = await scoped(PriceRule, principal, event_id=event.id)
    rules = [
        pricing.Rule(
            r.name,
            r.kind.value,
            r.percent_off,
            r.amount_off_cents,
            r.starts_at,
            r.ends_at,
            r.code,
            r.min_quantity,
        )
        for r in rows
        if r.ticket_type_id in (None, ticket_type.id)
    ]
    q = pricing.quote(
        ticket_type.price_cents, data.quantity, rules, data.promo_code, data.at or now
    )
    return QuoteOut(
        ticket_type.id,
        q.quantity,
        q.unit_price_cents,
        q.discount_cents,
        q.total_cents,
        q.applied_rule,
    )
