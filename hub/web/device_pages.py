"""An event's gate devices: add one (its enrolment token and QR shown once), the list with
each device's health, revoke (asked first: it is final) and re-key.

The token exists only in the answer to the post that made it: the page is rendered, not
redirected to, and marked no-store, as API keys are.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from starlette.responses import Response

from hub.device_schemas import DeviceCreated, DeviceIn, DeviceOut
from hub.errors import NotFound
from hub.roles import Action
from hub.schemas import GateName, Input, ShortName
from hub.services import devices, events, gates
from hub.web.event_pages import event_context
from hub.web.forms import convert
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()


class DeviceForm(Input):
    """The add form: the device serves this event, and any other events ticked."""

    name: ShortName
    gate: GateName
    event_ids: Annotated[list[str], msgspec.Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )


async def devices_page(
    visit: Visit, created: DeviceCreated | None = None, status: int = 200
) -> Response:
    context = await event_context(visit)
    event = context["event"]
    listed, _ = await devices.list_devices(
        visit.member, devices.DeviceQuery(limit=1000, event_id=event.id)
    )
    # Other events at the venue the device may serve too (those that can still change).
    others = [
        e
        for e in await events.list_events(visit.member)
        if e.venue_id == event.venue_id and e.id != event.id and e.status in ("draft", "published")
    ]
    event_gates = await gates.list_gates(visit.member, event.id)
    response = visit.render(
        "devices.html",
        status=status,
        **context,
        tab="devices",
        devices=listed,
        gates=event_gates,
        gate_options=[(g.name, g.name) for g in event_gates],
        hub_url=str(visit.request.base_url).rstrip("/"),
        other_events=others,
        created=created,
    )
    if created is not None:
        response.headers["cache-control"] = "no-store"
    return response


async def _list_page(visit: Visit) -> Response:
    return await devices_page(visit)


router.org("GET", "/events/{event_id}/devices", Action.DEVICES_READ)(_list_page)


@router.org(
    "POST", "/events/{event_id}/devices", Action.DEVICES_MANAGE, page=_list_page, form="device"
)
async def add_device(visit: Visit) -> Response:
    form = convert(visit.form, DeviceForm, multi=("event_ids",))
    event = await events.get_event(visit.member, visit.param("event_id"))
    others = []
    for value in form.event_ids:
        try:
            others.append(uuid.UUID(value))
        except ValueError:
            raise NotFound("Also serves: no such event") from None
    data = DeviceIn(
        name=form.name, venue_id=event.venue_id, event_ids=[event.id, *others], gate=form.gate
    )
    created = await devices.add_device(visit.member, data, visit.now)
    return await devices_page(visit, created, status=201)


async def _device_of_event(visit: Visit) -> DeviceOut:
    device = await devices.get_device(visit.member, visit.param("device_id"))
    if str(visit.param("event_id")) not in {str(e) for e in device.event_ids}:
        raise NotFound("no such device")
    return device


@router.org(
    "POST",
    "/events/{event_id}/devices/{device_id}/revoke",
    Action.DEVICES_MANAGE,
    page=_list_page,
    form="devices",
)
async def revoke_device(visit: Visit) -> Response:
    device = await _device_of_event(visit)
    await devices.revoke_device(visit.member, device.id, visit.now)
    return visit.redirect(visit.org_url(f"/events/{visit.param('event_id')}/devices"), "revoked")


@router.org(
    "POST",
    "/events/{event_id}/devices/{device_id}/rekey",
    Action.DEVICES_MANAGE,
    page=_list_page,
    form="devices",
)
async def rekey_device(visit: Visit) -> Response:
    device = await _device_of_event(visit)
    created = await devices.rekey_device(visit.member, device.id, visit.now)
    return await devices_page(visit, created)
