"""Exporting an event package straight from the database (the tech's `hub export-event`)."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from contract.event_package import EventPackage
from hub import database
from hub.errors import NotFound
from hub.models import Event, Org
from hub.roles import Role
from hub.services.packages import build_package
from hub.tenancy import Principal


async def export_event(database_url: str | None, data_dir: Path, event_id: str) -> EventPackage:
    """The package of event `event_id`, acting as the event's org's admin."""
    url = database.resolve_url(database_url, data_dir)
    async with database.connected(url):
        try:
            key = uuid.UUID(event_id)
        except ValueError:
            raise NotFound(f"{event_id!r} is not an event id") from None
        event = await Event.get_or_none(id=key)
        if event is None:
            raise NotFound(f"no event {event_id}")
        org = await Org.get(id=event.org_id)
        principal = Principal(org.id, org.slug, Role.ADMIN, display="voelgoed hub export-event")
        return await build_package(principal, key, dt.datetime.now(dt.UTC))
