"""An event's gates: the entrances check-in lists, entry rules and devices name.

Gate names used to be free text; now each is a row of the event, so a typo in a list or a
rule is refused instead of making a gate nobody scans at.
"""

from __future__ import annotations

import datetime as dt

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub.device_schemas import GateIn, GateOut
from hub.errors import Conflict, GateInUse, ValidationFailed
from hub.models import CheckInList, Device, DeviceState, Event, EventGate, GateRuleRow
from hub.replication import event_rows
from hub.roles import Action
from hub.services import audit
from hub.services.events import editable_event
from hub.tenancy import Principal, get_owned, require, scoped


def gate_out(g: EventGate) -> GateOut:
    return GateOut(g.id, g.name, g.created_at)


async def list_gates(principal: Principal, event_id: object) -> list[GateOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    return [gate_out(g) for g in await EventGate.filter(event_id=event.id).order_by("name")]


async def add_gate(
    principal: Principal, event_id: object, data: GateIn, now: dt.datetime
) -> GateOut:
    event = await editable_event(principal, event_id)
    name = data.name.strip()
    if not name or "\x00" in name:
        raise ValidationFailed("a gate needs a name of 1 to 64 characters")
    if "," in name:
        # Forms and rules list gates separated by commas ("north, south").
        raise ValidationFailed("a gate's name cannot contain a comma")
    try:
        async with in_transaction() as conn:
            row = await EventGate.create(org_id=principal.org_id, event=event, name=name)
            await event_rows.publish_event(conn, event, now, tables=("gates",))
            await audit.record(principal, "gate.created", f"gate {name} ({event.name})", now)
    except IntegrityError:
        raise Conflict(f"the event already has a gate called {name!r}") from None
    return gate_out(row)


async def delete_gate(
    principal: Principal, event_id: object, gate_id: object, now: dt.datetime
) -> None:
    """Remove a gate nothing names; GateInUse says what still uses it."""
    event = await editable_event(principal, event_id)
    row = await get_owned(EventGate, principal, gate_id, event_id=event.id)
    async with in_transaction() as conn:
        # Locked, so a list, rule or device cannot be made with the name meanwhile.
        await EventGate.filter(id=row.id).select_for_update()
        users = await _users(principal, event, row.name)
        if users:
            raise GateInUse(
                f"the gate {row.name!r} is used by {'; '.join(users)}: change or delete those first"
            )
        await row.delete()
        await event_rows.publish_event(conn, event, now, tables=("gates",))
        await audit.record(principal, "gate.deleted", f"gate {row.name} ({event.name})", now)


async def _users(principal: Principal, event: Event, name: str) -> list[str]:
    lists = [
        c.name for c in await scoped(CheckInList, principal, event_id=event.id) if name in c.gates
    ]
    rules = await scoped(GateRuleRow, principal, event_id=event.id, gate=name).values_list(
        "description", flat=True
    )
    devices = await scoped(
        Device, principal, serves__event_id=event.id, gate=name, state__not=DeviceState.REVOKED
    ).values_list("name", flat=True)
    users = []
    if lists:
        users.append("check-in list " + ", ".join(sorted(lists)))
    if rules:
        users.append("entry rule " + ", ".join(sorted(str(r) for r in rules)))
    if devices:
        users.append("device " + ", ".join(sorted(str(d) for d in devices)))
    return users
