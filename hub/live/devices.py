"""Each device's health on the live page: what the device roster says of the gates serving
an event (`device_health_of`, over hub.models.Device); `create_app(settings,
device_health=...)` may be given another `DeviceHealthSource`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable

import msgspec


class DeviceHealth(msgspec.Struct, frozen=True):
    """One device serving the event, as the roster last heard from it."""

    name: str
    gate: str
    state: str  # pending | active | revoked
    last_seen_at: dt.datetime | None = None
    software_version: str | None = None
    clock_offset_ms: int | None = None  # the device's clock minus the hub's
    backlog: int | None = None  # changes the device holds that have not reached the hub


DeviceHealthSource = Callable[[uuid.UUID], Awaitable[list[DeviceHealth]]]


async def no_devices(event_id: uuid.UUID) -> list[DeviceHealth]:
    """The source of a hub that keeps no device roster."""
    return []


async def device_health_of(event_id: uuid.UUID) -> list[DeviceHealth]:
    """The devices serving the event, by name, as the hub last heard from them: one indexed
    query (it runs about once a second per open live page)."""
    from hub.models import Device  # noqa: PLC0415 (the models import nothing of the live page)

    return [
        DeviceHealth(
            name=d.name,
            gate=d.gate,
            state=d.state.value,
            last_seen_at=d.last_seen_at,
            software_version=d.software_version or None,
            clock_offset_ms=d.clock_offset_ms,
            backlog=d.backlog,
        )
        for d in await Device.filter(serves__event_id=event_id).order_by("name", "id")
    ]


# A device the hub has not heard from for this long is reported silent; gates sync every
# second or so while the hub is reachable.
SILENT_AFTER = dt.timedelta(seconds=60)
CLOCK_TOLERANCE_MS = 2000
BACKLOG_TOLERANCE = 100


def device_problems(device: DeviceHealth, now: dt.datetime) -> list[str]:
    """What a tech should look at on this device, in words (empty: healthy)."""
    if device.state != "active":
        return [f"{device.state}: does not serve the event"]
    problems = []
    if device.last_seen_at is None:
        problems.append("never heard from")
    elif now - device.last_seen_at > SILENT_AFTER:
        minutes = int((now - device.last_seen_at).total_seconds() // 60)
        problems.append(f"silent for {minutes} min" if minutes else "silent for a minute")
    if device.clock_offset_ms is not None and abs(device.clock_offset_ms) > CLOCK_TOLERANCE_MS:
        problems.append(f"clock off by {device.clock_offset_ms / 1000:+.1f} s")
    if device.backlog is not None and device.backlog > BACKLOG_TOLERANCE:
        problems.append(f"{device.backlog} changes not yet uploaded")
    return problems
