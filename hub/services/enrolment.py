"""Enrolment: a gate trades its one-time token for a place in the roster.

No session or API key: the token is the credential. The token is checked in this order, so
each refusal is the one a tech can act on: its form and hub, whether this hub knows it, then
(under a lock, so two gates racing with one token cannot both win) whether its device was
revoked, the token used or expired. Enrolling writes the device's key, host name and
software version, marks the token used and records the audit entry in one transaction.
"""

from __future__ import annotations

import datetime as dt

from tortoise.transactions import in_transaction

from hub import enrolment_tokens
from hub.device_schemas import EnrolIn, EnrolledEvent, EnrolOut
from hub.errors import TokenUnknown
from hub.models import Device, DeviceEvent, DeviceState, EnrolmentToken, Event, Org, Venue
from hub.roles import Role
from hub.services import audit
from hub.services.devices import hub_id, publish_roster
from hub.tenancy import Principal


def sync_path(event_id: object) -> str:
    """Where a gate syncs an event with the hub (hub.sync routes)."""
    return f"/sync/events/{event_id}"


async def enrol(data: EnrolIn, now: dt.datetime) -> EnrolOut:
    """Enrol the token's device with `data.public_key`; EnrolmentRefused says why not."""
    this_hub = await hub_id()
    token = data.token.strip()
    enrolment_tokens.check_hub(token, this_hub)
    digest = enrolment_tokens.digest(token)
    async with in_transaction() as conn:
        row = await EnrolmentToken.filter(token_sha256=digest).select_for_update().first()
        if row is None:
            raise TokenUnknown(enrolment_tokens.UNKNOWN)
        device = await Device.filter(id=row.device_id).select_for_update().get()
        refused = enrolment_tokens.refusal(
            used_at=row.used_at,
            expires_at=row.expires_at,
            revoked=device.state == DeviceState.REVOKED,
            now=now,
        )
        if refused is not None:
            raise refused
        device.public_key = bytes.fromhex(data.public_key)
        device.host_name = data.host_name.strip()[:200]
        device.software_version = data.software_version.strip()[:64]
        device.state = DeviceState.ACTIVE
        device.enrolled_at = now
        device.last_seen_at = now
        await device.save(
            update_fields=[
                "public_key",
                "host_name",
                "software_version",
                "state",
                "enrolled_at",
                "last_seen_at",
            ]
        )
        row.used_at = now
        await row.save(update_fields=["used_at"])
        org = await Org.get(id=device.org_id)
        venue = await Venue.get(id=device.venue_id)
        event_ids = await DeviceEvent.filter(device_id=device.id).values_list("event_id", flat=True)
        events = await Event.filter(id__in=list(event_ids)).order_by("name")
        await publish_roster(conn, [e.id for e in events], now)
        acting = Principal(
            org.id, org.slug, Role.READ_ONLY, display=f"device {device.name} ({device.host_name})"
        )
        await audit.record(
            acting,
            "device.enrolled",
            f"device {device.name} ({venue.name})",
            now,
            host=device.host_name,
            version=device.software_version,
        )
    return EnrolOut(
        hub_id=this_hub,
        device_id=str(device.id),
        device_name=device.name,
        org=org.slug,
        venue=venue.name,
        venue_id=str(venue.id),
        gate=device.gate,
        events=[EnrolledEvent(e.id, e.name, sync_path(e.id)) for e in events],
        venue_secret=bytes(venue.sync_secret).hex(),
    )
