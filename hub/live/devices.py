"""Each device's health on the live page: what the device roster says of the gates serving
an event. The roster lives with the devices (hub.services.devices); the app is given a
`DeviceHealthSource` at start (`create_app(settings, device_health=...)`), so the live
figures read devices without knowing how they are stored. Without one, no devices."""

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
