"""What an event's gates need: check-in lists, entry rules, signing keys and the package."""

from __future__ import annotations

from starlette.responses import Response

from contract.event_package import encode_package
from hub.roles import Action
from hub.schemas import CheckInListIn, GateRuleIn, KeyRotation
from hub.services import events, keys, packages, ticket_types
from hub.web.event_pages import event_context
from hub.web.forms import convert
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
RULE_EXAMPLE = '{"<=": [{"var": "entries_today"}, 1]}'


@router.org("GET", "/events/{event_id}/gates", Action.EVENTS_READ)
async def gates_page(visit: Visit) -> Response:
    context = await event_context(visit)
    event_id = context["event"].id
    types = await ticket_types.list_ticket_types(visit.member, event_id)
    return visit.render(
        "gates.html",
        **context,
        ticket_types=types,
        type_names={t.id: t.name for t in types},
        check_in_lists=await events.list_check_in_lists(visit.member, event_id),
        gate_rules=await events.list_gate_rules(visit.member, event_id),
        keys=await keys.list_keys(visit.member, event_id),
        rule_example=RULE_EXAMPLE,
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
    data = convert(visit.form, CheckInListIn, comma_lists=("gates",), multi=("ticket_type_ids",))
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


@router.org(
    "POST",
    "/events/{event_id}/gate-rules",
    Action.EVENTS_WRITE,
    page=gates_page,
    form="gate_rule",
)
async def add_gate_rule(visit: Visit) -> Response:
    data = convert(visit.form, GateRuleIn, json_fields=("rule",))
    await events.add_gate_rule(visit.member, visit.param("event_id"), data, visit.now)
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
