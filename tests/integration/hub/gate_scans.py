"""Scans as the hub's ingest stores them (GateScan, GateAnnulment rows), for the live tests;
and an event with holders and entry rules to scan."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from hub import database
from hub.live.signals import notify_scans
from hub.models import Event
from hub.models.gate_scans import GateAnnulment, GateScan
from tests.integration.hub.seated_event import ok


@dataclass
class ScanEvent:
    """An event in Africa/Johannesburg with tickets of three entry rules, by holder."""

    event_id: str
    tickets: dict[str, str]  # holder -> ticket id


def build_scan_event(api: httpx.Client) -> ScanEvent:
    venue = ok(
        api.post("/api/v1/venues", json={"name": "Karoo Hall", "timezone": "Africa/Johannesburg"}),
        201,
    )
    event = ok(
        api.post("/api/v1/events", json={"name": "Live night", "venue_id": venue["id"]}), 201
    )
    base = f"/api/v1/events/{event['id']}"
    ok(
        api.post(
            f"{base}/sessions",
            json={"starts_at": "2031-03-01T18:00:00Z", "ends_at": "2031-03-01T23:00:00Z"},
        ),
        201,
    )
    types = {
        "single": {"name": "Standing", "kind": "general", "price_cents": 100, "quota": 100},
        "once": {
            "name": "One way",
            "kind": "general",
            "price_cents": 100,
            "quota": 100,
            "reentry": False,
        },
    }
    type_ids = {
        k: ok(api.post(f"{base}/ticket-types", json=v), 201)["id"] for k, v in types.items()
    }
    tickets = {}
    for holder, kind in (
        ("Ann Adams", "single"),
        ("Ben Botha", "single"),
        ("Cas Cele", "single"),
        ("Dee Dlamini", "single"),
        ("Eve Eksteen", "single"),
        ("Fay Fourie", "once"),
    ):
        [made] = ok(
            api.post(f"{base}/tickets", json={"ticket_type_id": type_ids[kind], "holder": holder}),
            201,
        )
        tickets[holder] = made["id"]
    return ScanEvent(event["id"], tickets)


@dataclass
class Scans:
    """Rows to store at once, as one ingested changeset would."""

    event_id: str
    scans: list[dict[str, Any]] = field(default_factory=list)
    annulled: list[str] = field(default_factory=list)

    def scan(
        self,
        ticket_id: str | None,
        direction: str,
        gate: str,
        hlc: int,
        at: dt.datetime,
        *,
        status: str = "ok",
        reason: str | None = None,
        site: str = "",
    ) -> str:
        scan_id = str(uuid.uuid4())
        self.scans.append(
            {
                "id": scan_id,
                "ticket_id": ticket_id,
                "direction": direction,
                "gate": gate,
                "device": f"{gate}-pi",
                "status": status,
                "reason": reason,
                "at": at,
                "hlc": hlc,
                "site": site or gate,
            }
        )
        return scan_id

    def annul(self, scan_id: str) -> None:
        self.annulled.append(scan_id)


async def _store(url: str, batch: Scans, notify: bool) -> None:
    async with database.connected(url):
        event = await Event.get(id=batch.event_id)
        async with in_transaction() as conn:
            for row in batch.scans:
                await GateScan.create(using_db=conn, org_id=event.org_id, event_id=event.id, **row)
            for scan_id in batch.annulled:
                await GateAnnulment.create(
                    using_db=conn, scan_id=scan_id, org_id=event.org_id, event_id=event.id
                )
            if notify:
                await notify_scans(conn, event.id)


def store(url: str, batch: Scans, notify: bool = False) -> None:
    """Store the rows in one transaction (and NOTIFY in it, as the ingest may)."""
    asyncio.run(_store(url, batch, notify))


async def _change_reason(url: str, scan_id: str, reason: str, notify: bool) -> None:
    async with database.connected(url), in_transaction() as conn:
        scan = await GateScan.get(id=scan_id, using_db=conn)
        await GateScan.filter(id=scan_id).using_db(conn).update(reason=reason)
        if notify:
            await notify_scans(conn, scan.event_id)


def change_reason(url: str, scan_id: str, reason: str, notify: bool = True) -> None:
    """A merged column arriving later: the row changes in place (no new row to count)."""
    asyncio.run(_change_reason(url, scan_id, reason, notify))
