"""The hub counts the gates' way: for any scans, the hub's figures over PostgreSQL equal a
gate's over its SQLite replica (the inside count of LATEST_SCANS, the scan totals), and
the hub's pre-filtered double admissions equal the rule run over every accepted scan."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract.admission_verdicts import double_admissions
from gate_node import replica
from hub import database
from hub.live.devices import no_devices
from hub.live.figures import HubScan
from hub.live.queries import live_figures
from hub.models import Event, Org, Venue
from hub.models.gate_scans import GateAnnulment, GateScan
from tests.integration.hub.conftest import Hub

NOW = dt.datetime(2031, 3, 1, 20, 0, tzinfo=dt.UTC)
TICKETS = [str(uuid.UUID(int=i + 1)) for i in range(3)]

# (ticket, direction, hlc, site, accepted, annulled)
ScanSpec = tuple[str | None, str, int, str, bool, bool]
SCANS = st.lists(
    st.tuples(
        st.sampled_from([*TICKETS, None]),
        st.sampled_from(["in", "out"]),
        st.integers(0, 3),  # few stamps: ties between sites are common
        st.sampled_from(["0a", "0b", "1c"]),
        st.booleans(),
        st.booleans(),
    ),
    max_size=10,
    unique_by=lambda s: (s[2], s[3]),  # a site never stamps two scans alike
)


@pytest.fixture(scope="module")
def event_id(hub: Hub) -> uuid.UUID:
    async def make() -> uuid.UUID:
        async with database.connected(hub.database_url):
            org = await Org.create(name="Agree", slug=f"agree-{secrets.token_hex(4)}")
            venue = await Venue.create(org=org, name="Hall")
            event = await Event.create(org=org, venue=venue, name="Night")
            return uuid.UUID(str(event.id))

    return asyncio.run(make())


def _gate(folder: Path, scans: list[ScanSpec]) -> tuple[int, replica.ScanTotals]:
    conn = replica.open_replica(folder)
    conn.execute("DELETE FROM annulments")
    conn.execute("DELETE FROM scans")
    for i, (ticket, direction, hlc, site, accepted, annulled) in enumerate(scans):
        scan_id = f"s{i}"
        replica.record_scan(
            conn,
            scan_id=scan_id,
            nonce=None,
            ticket_id=ticket,
            code="code",
            gate="north",
            direction="out" if direction == "out" else "in",
            status="ok" if accepted else "rejected",
            reason=None if accepted else "already_scanned",
            at=NOW.isoformat(),
            message="",
            hlc=hlc,
            site=site,
        )
        if annulled and accepted:
            replica.record_annulment(conn, scan_id, "sup", "mistake", NOW.isoformat())
    counts = replica.inside_count(conn), replica.scan_totals(conn)
    conn.close()
    return counts


async def _hub(url: str, event_id: uuid.UUID, scans: list[ScanSpec]) -> tuple[object, ...]:
    async with database.connected(url):
        event = await Event.get(id=event_id)
        await GateAnnulment.filter(event_id=event_id).delete()
        await GateScan.filter(event_id=event_id).delete()
        ids = [uuid.uuid4() for _ in scans]
        for scan_id, (ticket, direction, hlc, site, accepted, annulled) in zip(
            ids, scans, strict=True
        ):
            await GateScan.create(
                id=scan_id,
                org_id=event.org_id,
                event_id=event_id,
                ticket_id=ticket,
                gate="north",
                direction=direction,
                status="ok" if accepted else "rejected",
                reason=None if accepted else "already_scanned",
                at=NOW,
                hlc=hlc,
                site=site,
            )
            if annulled and accepted:
                await GateAnnulment.create(scan_id=scan_id, org_id=event.org_id, event_id=event_id)
        figures = await live_figures(event_id, "UTC", NOW, 1, no_devices)
    history: dict[str, list[HubScan]] = {}
    for scan_id, (ticket, direction, hlc, site, accepted, annulled) in zip(ids, scans, strict=True):
        if ticket is not None and accepted and not annulled:
            history.setdefault(ticket, []).append(
                HubScan(str(scan_id), direction, "north", None, NOW, hlc, site)
            )
    rule = {(v.stands.scan_id, v.double.scan_id) for v in double_admissions(history, {})}
    found = {(d.stands.scan_id, d.double.scan_id) for d in figures.double_admissions}
    by_reason = {r.reason: r.count for r in figures.rejections}
    return figures.inside, figures.admitted, figures.exits, by_reason, rule == found


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@given(scans=SCANS)
def test_the_hub_and_a_gate_count_alike(
    scans: list[ScanSpec], hub: Hub, event_id: uuid.UUID, tmp_path: Path
) -> None:
    inside, totals = _gate(tmp_path / "gate", scans)
    hub_inside, admitted, exits, by_reason, same_doubles = asyncio.run(
        _hub(hub.database_url, event_id, scans)
    )
    assert hub_inside == inside
    assert (admitted, exits, by_reason) == (totals.admitted, totals.exits, totals.by_reason)
    assert same_doubles
