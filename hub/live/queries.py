"""The live figures' queries: aggregates in PostgreSQL over the indexes on gate_scan
(event_id, at) and (event_id, ticket_id), so an event of 100,000 scans is never loaded
into Python. Only the scans of tickets admitted twice or more are read row by row: the
double-admission rule needs them, and they are few."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Final

from tortoise import connections

from contract.admission_verdicts import double_admissions
from hub.live.devices import DeviceHealthSource
from hub.live.figures import (
    HubScan,
    LiveFigures,
    TicketOfScans,
    admissions,
    device_views,
    double_admission_views,
    rejections,
    window,
)

# An accepted scan still counts unless a supervisor annulled it.
_COUNTS: Final = "NOT EXISTS (SELECT 1 FROM gate_annulment a WHERE a.scan_id = s.id)"

# Each ticket's latest accepted scan, in the order every replica agrees on: hybrid clock
# stamp, then site id compared bytewise (COLLATE "C", as SQLite compares text), as the
# gates' LATEST_SCANS (gate_node/replica.py) does.
_INSIDE: Final = f"""
SELECT count(*) FILTER (WHERE direction = 'in') AS inside FROM (
  SELECT DISTINCT ON (s.ticket_id) s.direction FROM gate_scan s
  WHERE s.event_id = $1 AND s.status = 'ok' AND s.ticket_id IS NOT NULL AND {_COUNTS}
  ORDER BY s.ticket_id, coalesce(s.hlc, 0) DESC, coalesce(s.site, '') COLLATE "C" DESC
) latest
"""  # noqa: S608 (constant text)

_TOTALS: Final = f"""
SELECT s.status, s.direction, coalesce(s.reason, 'unknown') AS reason, count(*) AS n
FROM gate_scan s WHERE s.event_id = $1 AND {_COUNTS} GROUP BY 1, 2, 3
"""  # noqa: S608

_MINUTES: Final = f"""
SELECT s.gate, date_trunc('minute', s.at AT TIME ZONE 'UTC') AS minute, count(*) AS n
FROM gate_scan s
WHERE s.event_id = $1 AND s.at >= $2 AND s.at < $3 AND s.status = 'ok'
  AND s.direction = 'in' AND {_COUNTS}
GROUP BY 1, 2
"""  # noqa: S608

_TWICE_ADMITTED: Final = f"""
SELECT s.ticket_id, s.id, s.direction, s.gate, s.device, s.at, coalesce(s.hlc, 0) AS hlc,
       coalesce(s.site, '') AS site
FROM gate_scan s
WHERE s.event_id = $1 AND s.status = 'ok' AND {_COUNTS} AND s.ticket_id IN (
  SELECT t.ticket_id FROM gate_scan t
  WHERE t.event_id = $1 AND t.status = 'ok' AND t.direction = 'in' AND t.ticket_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM gate_annulment a WHERE a.scan_id = t.id)
  GROUP BY t.ticket_id HAVING count(*) >= 2
)
"""  # noqa: S608

_TICKETS: Final = """
SELECT t.id, t.holder, tt.name, tt.entry_mode, tt.max_entries, tt.reentry
FROM ticket t JOIN ticket_type tt ON tt.id = t.ticket_type_id
WHERE t.event_id = $1 AND t.id = ANY($2::uuid[])
"""

_STAMP: Final = """
SELECT (SELECT count(*) FROM gate_scan WHERE event_id = $1) AS scans,
       (SELECT count(*) FROM gate_annulment WHERE event_id = $1) AS annulments
"""


async def _rows(sql: str, *params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = await connections.get("default").execute_query_dict(
        sql, list(params)
    )
    return rows


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


async def scan_stamp(event_id: uuid.UUID) -> tuple[int, int]:
    """How many scans and annulments the hub holds of the event: cheap, and it changes
    with every ingested row (the ingest adds rows, once each)."""
    [row] = await _rows(_STAMP, event_id)
    return int(row["scans"]), int(row["annulments"])


async def live_figures(
    event_id: uuid.UUID,
    timezone: str,
    now: dt.datetime,
    hours: int,
    device_health: DeviceHealthSource,
) -> LiveFigures:
    """The event's live figures as of `now`, with the holders' names."""
    [inside] = await _rows(_INSIDE, event_id)
    admitted = exits = 0
    by_reason: dict[str, int] = {}
    for row in await _rows(_TOTALS, event_id):
        if row["status"] == "ok":
            if row["direction"] == "in":
                admitted += row["n"]
            else:
                exits += row["n"]
        else:
            by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + row["n"]
    since, until = window(now, hours)
    minutes = [
        (r["gate"], _utc(r["minute"]), int(r["n"]))
        for r in await _rows(_MINUTES, event_id, since, until)
    ]
    history: dict[str, list[HubScan]] = {}
    for r in await _rows(_TWICE_ADMITTED, event_id):
        scan = HubScan(
            str(r["id"]), r["direction"], r["gate"], r["device"], r["at"], r["hlc"], r["site"]
        )
        history.setdefault(str(r["ticket_id"]), []).append(scan)
    tickets = (
        {
            str(r["id"]): TicketOfScans(
                r["holder"], r["name"], r["entry_mode"], r["max_entries"], r["reentry"]
            )
            for r in await _rows(_TICKETS, event_id, [uuid.UUID(t) for t in history])
        }
        if history
        else {}
    )
    verdicts = double_admissions(history, {t: tickets.get(t) for t in history})
    return LiveFigures(
        event_id=str(event_id),
        as_of=now,
        inside=int(inside["inside"] or 0),
        admitted=admitted,
        exits=exits,
        rejected=sum(by_reason.values()),
        rejections=rejections(by_reason),
        admissions=admissions(minutes, since, until, timezone),
        double_admissions=double_admission_views(verdicts, tickets, timezone),
        devices=device_views(await device_health(event_id), now, timezone),
    )
