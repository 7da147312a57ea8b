"""What an event's gates need: check-in lists, entry rules, signing keys and the package.

Entry rules are made with a form of conditions ("at most 2 entries a day", "only at gates
north, south") that `hub.rule_editor` turns into JSON logic, so the page works without
JavaScript; rules.js only shows each condition's own fields and adds rows. The JSON itself
stays available as an advanced field, read by `hub.rule_text` with its mistakes in words.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.responses import Response

from contract.event_package import encode_package
from hub.device_schemas import GateIn
from hub.errors import InvalidRule
from hub.roles import Action
from hub.rule_editor import KINDS, MAX_CONDITIONS, WEEKDAYS, build_rule, read_conditions, used_rows
from hub.rule_text import RULE_HELP, parse_rule_json
from hub.rule_words import describe_rule
from hub.schemas import CheckInListIn, GateName, GateRuleIn, Input, KeyRotation
from hub.services import events, gates, keys, packages, ticket_types
from hub.services.gate_names import require_gates
from hub.web.event_pages import event_context
from hub.web.forms import FormError, convert
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
RULE_EXAMPLE = '{"<": [{"var": "entries_today"}, 2]}'
# Condition rows shown without JavaScript (rules.js adds more, up to MAX_CONDITIONS).
CONDITION_ROWS = 3


class GateRuleScope(Input):
    """The rule form's own fields: its name (blank: the rule in words) and where it applies.
    The rule itself comes from the condition rows or the advanced JSON field."""

    description: Annotated[str, msgspec.Meta(max_length=200)] = ""
    ticket_type_id: Annotated[str, msgspec.Meta(max_length=36)] | None = None
    gate: GateName | None = None


@router.org("GET", "/events/{event_id}/gates", Action.EVENTS_READ)
async def gates_page(visit: Visit) -> Response:
    context = await event_context(visit)
    event_id = context["event"].id
    types = await ticket_types.list_ticket_types(visit.member, event_id)
    rules = await events.list_gate_rules(visit.member, event_id)
    names = {str(t.id): t.name for t in types}
    # A refused rule form comes back with as many condition rows as it had.
    typed = {}
    if visit.failed is not None and visit.failed.form == "gate_rule":
        typed = {k: v.split("\n") for k, v in visit.failed.values.items()}
    event_gates = await gates.list_gates(visit.member, event_id)
    return visit.render(
        "gates.html",
        **context,
        gates=event_gates,
        gate_options=[(g.name, g.name) for g in event_gates],
        ticket_types=types,
        type_names={t.id: t.name for t in types},
        check_in_lists=await events.list_check_in_lists(visit.member, event_id),
        gate_rules=rules,
        rule_words={r.id: describe_rule(r.rule, names) for r in rules},
        keys=await keys.list_keys(visit.member, event_id),
        rule_example=RULE_EXAMPLE,
        rule_help=RULE_HELP,
        rule_kinds=KINDS,
        weekdays=list(enumerate(WEEKDAYS, 1)),
        condition_rows=min(MAX_CONDITIONS, max(CONDITION_ROWS, used_rows(typed) + 1)),
    )


def _to_gates(visit: Visit, notice: str) -> Response:
    return visit.redirect(visit.org_url(f"/events/{visit.param('event_id')}/gates"), notice)


@router.org(
    "POST",
    "/events/{event_id}/check-in-lists",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="check_in_list",
)
async def add_check_in_list(visit: Visit) -> Response:
    data = convert(visit.form, CheckInListIn, multi=("gates", "ticket_type_ids"))
    # Ticked boxes, or names typed with commas (a form without the boxes' page).
    data.gates = [g.strip() for v in data.gates for g in v.split(",") if g.strip()]
    if not data.gates:
        raise FormError("Gates: choose at least one of the event's gates", "gates")
    await events.add_check_in_list(visit.member, visit.param("event_id"), data, visit.now)
    return _to_gates(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/check-in-lists/{list_id}/delete",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="check_in_lists",
)
async def delete_check_in_list(visit: Visit) -> Response:
    await events.delete_check_in_list(
        visit.member, visit.param("event_id"), visit.param("list_id"), visit.now
    )
    return _to_gates(visit, "deleted")


@router.org("POST", "/events/{event_id}/gates", Action.EVENTS_WRITE, page=gates_page, form="gate")
async def add_gate(visit: Visit) -> Response:
    await gates.add_gate(
        visit.member, visit.param("event_id"), convert(visit.form, GateIn), visit.now
    )
    return _to_gates(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/gates/{gate_id}/delete",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="gates",
)
async def delete_gate(visit: Visit) -> Response:
    await gates.delete_gate(
        visit.member, visit.param("event_id"), visit.param("gate_id"), visit.now
    )
    return _to_gates(visit, "deleted")


@router.org(
    "POST",
    "/events/{event_id}/gate-rules",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="gate_rule",
)
async def add_gate_rule(visit: Visit) -> Response:
    event_id = visit.param("event_id")
    scope = convert(visit.form, GateRuleScope)
    types = await ticket_types.list_ticket_types(visit.member, event_id)
    names = {str(t.id): t.name for t in types}
    fields = {key: [str(v) for v in visit.form.getlist(key)] for key in visit.form}
    conditions = read_conditions(fields, names)
    named = [g for c in conditions.items for g in c.gates]
    if named:
        await require_gates(event_id, named, "Conditions")
    written = str(visit.form.get("rule") or "").strip()
    if written and conditions.items:
        raise InvalidRule("use either the conditions or the JSON rule, not both: clear one")
    if written:
        try:
            rule = parse_rule_json(written)
        except InvalidRule as exc:
            raise InvalidRule(f"Rule (JSON): {exc}") from None
    else:
        rule = build_rule(conditions)
    type_ids = {str(t.id): t.id for t in types}
    if scope.ticket_type_id is not None and scope.ticket_type_id not in type_ids:
        raise InvalidRule("Applies to: choose one of this event's ticket types")
    if "\x00" in scope.description or "\x00" in (scope.gate or ""):
        raise InvalidRule("Description and gate: remove the NUL character")
    # Door staff read the description when the rule refuses a ticket: never leave it empty.
    description = scope.description or describe_rule(rule, names)
    if len(description) > 200:
        description = description[:199] + "…"
    data = GateRuleIn(
        description=description,
        rule=rule,
        ticket_type_id=None if scope.ticket_type_id is None else type_ids[scope.ticket_type_id],
        gate=scope.gate,
    )
    await events.add_gate_rule(visit.member, event_id, data, visit.now)
    return _to_gates(visit, "added")


@router.org(
    "POST",
    "/events/{event_id}/gate-rules/{rule_id}/delete",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="gate_rules",
)
async def delete_gate_rule(visit: Visit) -> Response:
    await events.delete_gate_rule(
        visit.member, visit.param("event_id"), visit.param("rule_id"), visit.now
    )
    return _to_gates(visit, "deleted")


@router.org(
    "POST", "/events/{event_id}/keys/rotate", Action.KEYS_ROTATE, page=gates_page, form="keys"
)
async def rotate_key(visit: Visit) -> Response:
    change = convert(visit.form, KeyRotation, checkboxes=("compromised",))
    await keys.rotate(visit.member, visit.param("event_id"), change.compromised, visit.now)
    return _to_gates(visit, "rotated")


@router.org("GET", "/events/{event_id}/package", Action.PACKAGE_EXPORT)
async def download_package(visit: Visit) -> Response:
    package = await packages.build_package(visit.member, visit.param("event_id"), visit.now)
    return Response(
        encode_package(package),
        media_type="application/gzip",
        headers={
            "content-disposition": f'attachment; filename="event-{package.event.id}.vgpkg"',
            "cache-control": "no-store",
        },
    )
