"""The API's event gates, gate devices and enrolment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub import device_schemas as d
from hub.api.router import api, paged, route
from hub.api_routing import Call, PublicRoute
from hub.roles import Action
from hub.services import devices, enrolment, gates


@route(
    "GET",
    "/events/{event_id}/gates",
    summary="The event's gates",
    tag="gates",
    action=Action.EVENTS_READ,
    response=list[d.GateOut],
)
async def list_gates(call: Call) -> Any:
    return await gates.list_gates(call.principal, call.params["event_id"])


@route(
    "POST",
    "/events/{event_id}/gates",
    summary="Add a gate",
    tag="gates",
    action=Action.EVENTS_WRITE,
    body=d.GateIn,
    response=d.GateOut,
    status=201,
)
async def add_gate(call: Call) -> Any:
    return await gates.add_gate(call.principal, call.params["event_id"], call.body, call.now)


@route(
    "DELETE",
    "/events/{event_id}/gates/{gate_id}",
    summary="Remove a gate no check-in list, rule or device uses",
    tag="gates",
    action=Action.EVENTS_WRITE,
    status=204,
)
async def delete_gate(call: Call) -> Any:
    await gates.delete_gate(
        call.principal, call.params["event_id"], call.params["gate_id"], call.now
    )


@route(
    "GET",
    "/devices",
    summary="Gate devices: state, gate, last seen, version, clock offset, backlog",
    tag="devices",
    action=Action.DEVICES_READ,
    response=list[d.DeviceOut],
    query=devices.DeviceQuery,
)
async def list_devices(call: Call) -> Any:
    return paged(*await devices.list_devices(call.principal, call.query))


@route(
    "POST",
    "/devices",
    summary="Add a gate device (answers its one-time enrolment token)",
    tag="devices",
    action=Action.DEVICES_MANAGE,
    body=d.DeviceIn,
    response=d.DeviceCreated,
    status=201,
)
async def add_device(call: Call) -> Any:
    return await devices.add_device(call.principal, call.body, call.now)


@route(
    "GET",
    "/devices/{device_id}",
    summary="A gate device",
    tag="devices",
    action=Action.DEVICES_READ,
    response=d.DeviceOut,
)
async def get_device(call: Call) -> Any:
    return await devices.get_device(call.principal, call.params["device_id"])


@route(
    "POST",
    "/devices/{device_id}/revoke",
    summary="Revoke a device (final)",
    tag="devices",
    action=Action.DEVICES_MANAGE,
    response=d.DeviceOut,
)
async def revoke_device(call: Call) -> Any:
    return await devices.revoke_device(call.principal, call.params["device_id"], call.now)


@route(
    "POST",
    "/devices/{device_id}/rekey",
    summary="A new enrolment token; the old key stops working",
    tag="devices",
    action=Action.DEVICES_MANAGE,
    response=d.DeviceCreated,
)
async def rekey_device(call: Call) -> Any:
    return await devices.rekey_device(call.principal, call.params["device_id"], call.now)


async def enrol(body: d.EnrolIn, now: dt.datetime) -> Any:
    return await enrolment.enrol(body, now)


api.public(
    PublicRoute(
        "POST",
        "/enrol",
        enrol,
        summary="Enrol a gate device with its one-time token and public key",
        tag="devices",
        credential="a one-time enrolment token",
        body=d.EnrolIn,
        response=d.EnrolOut,
        errors=(
            ("400", "Not JSON, or token_other_hub: the token was made by another hub"),
            ("403", "device_revoked: the token's device was revoked"),
            ("404", "token_unknown: this hub does not know the token"),
            ("409", "token_used: the token was already used"),
            ("410", "token_expired: the token expired"),
            ("413", "The body is too large"),
            ("422", "The body is not acceptable (the message says why)"),
        ),
    )
)
