"""The live figures' queries: aggregates in PostgreSQL over the indexes on gate_scan
(event_id, at) and (event_id, ticket_id), so an event of 100,000 scans is never loaded
into Python. Only the scans of tickets that may have been admitted twice are read row by
row: the double-admission rule needs them, and they are few (100,000 scans with 700
double admissions: about 0.25 s for all the figures, 10 ms for the stamp)."""

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

# Tickets that may have been admitted twice: a necessary condition of each way the rule
# (contract.admission_verdicts) finds one, so that only these tickets' scans are read and
# judged by the rule itself: two entries in a row (one entry at a time), a second entry
# without re-entry, more entries than the type allows. A ticket the hub does not know is
# judged as single entry with re-entry, as the rule does.
_MAYBE_TWICE: Final = f"""
WITH accepted AS (
  SELECT s.ticket_id, s.direction, lag(s.direction) OVER (
    PARTITION BY s.ticket_id
    ORDER BY coalesce(s.hlc, 0), coalesce(s.site, '') COLLATE "C", s.id
  ) AS before
  FROM gate_scan s
  WHERE s.event_id = $1 AND s.status = 'ok' AND s.ticket_id IS NOT NULL AND {_COUNTS}
), entries AS (
  SELECT ticket_id, count(*) FILTER (WHERE direction = 'in') AS n,
         bool_or(direction = 'in' AND before = 'in') AS in_twice
  FROM accepted GROUP BY ticket_id HAVING count(*) FILTER (WHERE direction = 'in') >= 2
)
SELECT e.ticket_id FROM entries e
LEFT JOIN ticket t ON t.id = e.ticket_id AND t.event_id = $1
LEFT JOIN ticket_type tt ON tt.id = t.ticket_type_id
WHERE (coalesce(tt.entry_mode, 'single') <> 'multi'
       AND (e.in_twice OR NOT coalesce(tt.reentry, true)))
   OR (tt.max_entries IS NOT NULL AND e.n > tt.max_entries)
"""  # noqa: S608

_SCANS_OF: Final = f"""
SELECT s.ticket_id, s.id, s.direction, s.gate, s.device, s.at, coalesce(s.hlc, 0) AS hlc,
       coalesce(s.site, '') AS site
FROM gate_scan s
WHERE s.event_id = $1 AND s.ticket_id = ANY($2::uuid[]) AND s.status = 'ok' AND {_COUNTS}
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
    candidates = [r["ticket_id"] for r in await _rows(_MAYBE_TWICE, event_id)]
    history: dict[str, list[HubScan]] = {}
    tickets: dict[str, TicketOfScans] = {}
    if candidates:
        for r in await _rows(_SCANS_OF, event_id, candidates):
            scan = HubScan(
                str(r["id"]), r["direction"], r["gate"], r["device"], r["at"], r["hlc"], r["site"]
            )
            history.setdefault(str(r["ticket_id"]), []).append(scan)
        for r in await _rows(_TICKETS, event_id, candidates):
            tickets[str(r["id"])] = TicketOfScans(
                r["holder"], r["name"], r["entry_mode"], r["max_entries"], r["reentry"]
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
        double_admissions_total=len(verdicts),
        devices=device_views(await device_health(event_id), now, timezone),
    )
