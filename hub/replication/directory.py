"""What the sync routes need to know of devices and venues.

``hub_directory()`` is the hub's own: ``hub.services.devices`` (``sync_key``, ``seen``),
``hub.services.device_nonces.admit_nonce`` and ``Venue.sync_secret``; ``create_app`` may be
given another (the replication tests sign as thousands of gate-like replicas).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from sync.device_auth import SignedRequest


class SeenHook(Protocol):
    """Records that a device was heard from: what the device list shows."""

    def __call__(
        self,
        device_id: str,
        *,
        clock_offset_ms: int,
        software_version: str | None,
        backlog: int | None,
        now: dt.datetime,
    ) -> Awaitable[None]: ...


@dataclass(frozen=True, slots=True)
class DeviceDirectory:
    """Device lookups for the hub's sync routes.

    - ``sync_key(event_id, device_id)``: the device's Ed25519 public key when it is active
      and serves the event, else None (the request is refused as unauthenticated);
    - ``admit_nonce(signed, now_ms)``: records a nonce, raising ``AuthenticationError`` for
      a replay (stored in PostgreSQL, so that every worker refuses it);
    - ``seen(...)``: last seen, clock offset (the device's clock minus the hub's, from the
      signed timestamp, in ms), software version (header ``x-software-version``) and
      backlog (``x-replication-backlog``, None when not sent);
    - ``sync_secret(event_id)``: the venue's sync secret that keys the changesets, or None
      when the venue has none (the event does not replicate).
    """

    sync_key: Callable[[uuid.UUID, str], Awaitable[bytes | None]]
    admit_nonce: Callable[[SignedRequest, int], Awaitable[None]]
    seen: SeenHook
    sync_secret: Callable[[uuid.UUID], Awaitable[bytes | None]]


def hub_directory() -> DeviceDirectory:
    """The hub's own directory: its enrolled devices (hub.services.devices), the nonces in
    PostgreSQL (hub.services.device_nonces) and each venue's sync secret."""
    from hub.services import device_nonces, devices  # noqa: PLC0415 (services import the app's)

    async def sync_secret(event_id: uuid.UUID) -> bytes | None:
        from hub.models import Event  # noqa: PLC0415

        event = await Event.get_or_none(id=event_id).prefetch_related("venue")
        return None if event is None else bytes(event.venue.sync_secret)

    return DeviceDirectory(
        sync_key=devices.sync_key,
        admit_nonce=device_nonces.admit_nonce,
        seen=devices.seen,
        sync_secret=sync_secret,
    )
