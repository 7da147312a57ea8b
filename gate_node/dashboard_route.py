"""`GET /api/v1/dashboard`: load the rows the dashboard needs, summarise them, answer.

The load runs in a worker thread on its own read-only connection: the scan path shares the
event loop, and a dashboard polled by several managers must not delay a scan at the door.
WAL lets this reader see every committed scan without blocking the writer.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gate_node import replica
from gate_node.dashboard import (
    DashboardSettings,
    DashboardView,
    GateCount,
    PeerLink,
    ScanRow,
    build_dashboard,
)
from gate_node.scanning import utc_now
from gate_node.settings import GateSettings
from gate_node.type_admissions import load_type_admissions

# An annulled admission no longer counts anywhere.
_COUNTS_SQL = (
    "SELECT coalesce(gate, ''), direction, status, reason, count(*), max(at) FROM scans"
    " WHERE id NOT IN (SELECT scan_id FROM annulments) GROUP BY 1, 2, 3, 4"
)
_RECENT_SQL = (
    "SELECT id, coalesce(gate, ''), direction, status, reason, at, device, staff_id FROM scans"
    " WHERE id >= ? AND at IS NOT NULL AND id NOT IN (SELECT scan_id FROM annulments)"
)
_encode = msgspec.json.Encoder().encode


def scan_id_floor(moment: dt.datetime) -> str:
    """The smallest scan id (UUIDv7 layout) that a scan at `moment` or later can have.

    Scan ids start with the scan's Unix time in milliseconds, so a range on the primary key
    finds recent scans without an index on `at`.
    """
    ms = max(0, int(moment.timestamp() * 1000))
    digits = f"{ms:012x}"
    return f"{digits[:8]}-{digits[8:12]}"


def load_dashboard(
    db_path: Path,
    gate_name: str,
    now: dt.datetime,
    settings: DashboardSettings,
    peer_links: Sequence[PeerLink] = (),
) -> DashboardView:
    """Read the replica at `db_path` (read-only) and build the dashboard at `now`."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        counts = [GateCount(*row) for row in conn.execute(_COUNTS_SQL)]
        since = now - dt.timedelta(minutes=settings.recent_minutes)
        recent = [ScanRow(*row) for row in conn.execute(_RECENT_SQL, (scan_id_floor(since),))]
        inside = replica.inside_count(conn)
        types = load_type_admissions(conn)
    finally:
        conn.close()
    return build_dashboard(
        counts,
        recent,
        now=now,
        this_gate=gate_name,
        inside=inside,
        settings=settings,
        peer_links=peer_links,
        ticket_types=types,
    )


def dashboard_route(
    settings: GateSettings,
    dashboard: DashboardSettings = DashboardSettings(),  # noqa: B008
    peer_links: Callable[[], list[PeerLink]] = list,
) -> Route:
    """The route answering the dashboard's JSON for the gate described by `settings`."""
    db_path = settings.data_dir / replica.REPLICA_FILE

    async def endpoint(request: Request) -> Response:
        view = await anyio.to_thread.run_sync(
            load_dashboard, db_path, settings.gate_name, utc_now(), dashboard, peer_links()
        )
        return Response(
            _encode(view), media_type="application/json", headers={"cache-control": "no-store"}
        )

    return Route("/api/v1/dashboard", endpoint, methods=["GET"])
