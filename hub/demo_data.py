"""The demo organisation `make demo` shows: an organiser login, a venue with a seated
layout, and a published seated event with a few complimentary tickets.

Made through the services, as an organiser would make it in the app; made once (a second
run finds the org and leaves it as the user may have changed it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hub import database
from hub.models import Org
from hub.schemas import (
    EventIn,
    LayoutIn,
    OrgUpdate,
    SeatBatchIn,
    SectionIn,
    SessionIn,
    StatusChange,
    TicketIssueIn,
    TicketTypeIn,
    VenueIn,
    ZoneIn,
)
from hub.services import accounts, events, ticket_types, tickets, venues

DEMO_SLUG = "demo-theatre"
DEMO_EMAIL = "organiser@demo.voelgoed.test"
# Printed by `make demo` for anyone to sign in with: a demo, not a secret.
DEMO_PASSWORD = "voelgoed-demo"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    org_slug: str
    created: bool


async def seed_demo(database_url: str | None, data_dir: Path, now: dt.datetime) -> DemoLogin:
    """Create the demo org and its event unless they exist."""
    url = database.resolve_url(database_url, data_dir)
    await database.migrate(url)
    async with database.connected(url):
        if await Org.exists(slug=DEMO_SLUG):
            return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, created=False)
        user = await accounts.sign_up(DEMO_EMAIL, "Demo Organiser", DEMO_PASSWORD)
        org = await accounts.create_org(user, "Demo Theatre", DEMO_SLUG, now)
        me = await accounts.member_principal(user, org.slug)
        # The theatre is in Johannesburg: its audit log and keys read in SAST too.
        await accounts.update_org(me, OrgUpdate(timezone="Africa/Johannesburg"), now)
        venue = await venues.create_venue(
            me,
            VenueIn(name="Civic Theatre", address="1 Long Street", timezone="Africa/Johannesburg"),
            now,
        )
        layout = await venues.create_layout(me, venue.id, LayoutIn(name="Main house"), now)
        front = await venues.create_zone(
            me, layout.id, ZoneIn(name="Front stalls", colour="#d9480f"), now
        )
        back = await venues.create_zone(
            me, layout.id, ZoneIn(name="Back stalls", colour="#1971c2"), now
        )
        stalls = await venues.create_section(me, layout.id, SectionIn(name="Stalls"), now)
        for first, last, zone in (("A", "F", front.id), ("G", "P", back.id)):
            await venues.add_seat_batch(
                me,
                layout.id,
                SeatBatchIn(
                    section_id=stalls.id,
                    first_row=first,
                    last_row=last,
                    first_seat=1,
                    last_seat=24,
                    aisles_after=[6, 18],
                    zone_id=zone,
                ),
                now,
            )
        event = await events.create_event(
            me,
            EventIn(
                name="Opening Night",
                venue_id=venue.id,
                layout_id=layout.id,
                description="The season opens.",
                timezone="Africa/Johannesburg",
            ),
            now,
        )
        start = (now + dt.timedelta(days=30)).replace(hour=17, minute=0, second=0, microsecond=0)
        await events.add_session(
            me, event.id, SessionIn(starts_at=start, ends_at=start + dt.timedelta(hours=3)), now
        )
        front_type = await ticket_types.add_ticket_type(
            me,
            event.id,
            TicketTypeIn(name="Front stalls", kind="seated", price_cents=45000, zone_id=front.id),
            now,
        )
        await ticket_types.add_ticket_type(
            me,
            event.id,
            TicketTypeIn(name="Back stalls", kind="seated", price_cents=30000, zone_id=back.id),
            now,
        )
        await events.change_status(me, event.id, StatusChange(status="published").status, now)
        detail = await venues.layout_detail(me, layout.id)
        front_seats = [s.id for s in detail.seats if s.zone_id == front.id][:4]
        await tickets.issue(
            me,
            event.id,
            TicketIssueIn(ticket_type_id=front_type.id, holder="Press", seat_ids=front_seats),
            now,
        )
        return DemoLogin(DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG, created=True)
