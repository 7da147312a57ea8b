"""The LAN dashboard's figures: pure functions from scan rows and `now` to one summary.

Nothing here reads the database or the clock. `dashboard_route.py` loads two kinds of rows
(per-gate counts over the whole event, and the individual scans of the last half hour or so)
and hands them in; the summary is what `GET /api/v1/dashboard` answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec

from gate_node.timestamps import format_time, parse_time

# Reasons that say "this is not one of our tickets at all": many of them from one device in
# a short time is someone trying codes, or a broken scanner. Both need a manager's eyes.
SUSPICIOUS_REASONS = frozenset({"invalid", "forged"})


@dataclass(frozen=True)
class DashboardSettings:
    """Windows and thresholds of the dashboard; defaults suit a venue's doors."""

    chart_minutes: int = 30
    rate_minutes: int = 5
    burst_count: int = 5
    burst_window_s: int = 60
    burst_lookback_minutes: int = 15
    quiet_minutes: int = 5

    @property
    def recent_minutes(self) -> int:
        """How far back individual scans are needed."""
        return max(self.chart_minutes, self.rate_minutes, self.burst_lookback_minutes)


class GateCount(msgspec.Struct, frozen=True):
    """One group of scans: how many a gate recorded with this direction, status and reason."""

    gate: str
    direction: str
    status: str
    reason: str | None
    count: int
    last_at: str | None


class ScanRow(msgspec.Struct, frozen=True):
    """One recent scan, as the dashboard needs it."""

    id: str
    gate: str
    direction: str
    status: str
    reason: str | None
    at: str
    device: str | None = None
    staff_id: str | None = None


class GateStats(msgspec.Struct):
    gate: str
    this_gate: bool
    admitted: int
    exits: int
    rejected: int
    rejected_by_reason: dict[str, int]
    admitted_last_minute: int
    admissions_per_minute: float
    last_scan_at: str | None


class MinuteBucket(msgspec.Struct):
    at: str
    admitted: int
    by_gate: dict[str, int]


# Double admissions are judged by the scan service (verdicts.py, GET /api/v1/alerts): the
# dashboard page shows them from there.
AlertKind = Literal["invalid_burst", "gate_quiet"]


class Alert(msgspec.Struct):
    kind: AlertKind
    gate: str
    device: str | None
    count: int
    first_at: str | None
    last_at: str | None
    message: str


class GatePanelEntry(msgspec.Struct):
    name: str
    this_gate: bool
    last_scan_at: str | None
    state: Literal["online", "quiet", "unknown"]
    # How this gate replicates with it: "this gate", "replicating" or "unreachable".
    sync: str = "this gate"
    skew_ms: int | None = None


class PeerLink(msgspec.Struct):
    """A peer as this gate's replication sees it (gate_node.venue)."""

    name: str
    reachable: bool
    skew_ms: int | None


class Totals(msgspec.Struct):
    total: int
    admitted: int
    exits: int
    rejected: int
    by_reason: dict[str, int]


class DashboardView(msgspec.Struct):
    """What `GET /api/v1/dashboard` answers."""

    generated_at: str
    gate: str
    inside: int
    totals: Totals
    gates: list[GateStats]
    admissions: list[MinuteBucket]
    alerts: list[Alert]
    peers: list[GatePanelEntry]
    chart_minutes: int


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def totals_from_counts(counts: Iterable[GateCount]) -> Totals:
    """Event-wide totals over every gate's groups."""
    admitted = exits = total = 0
    by_reason: dict[str, int] = {}
    for c in counts:
        total += c.count
        if c.status == "ok":
            if c.direction == "in":
                admitted += c.count
            else:
                exits += c.count
        else:
            reason = c.reason or "unknown"
            by_reason[reason] = by_reason.get(reason, 0) + c.count
    return Totals(total, admitted, exits, sum(by_reason.values()), dict(sorted(by_reason.items())))


def admissions_by_minute(
    recent: Sequence[ScanRow], now: dt.datetime, minutes: int
) -> list[MinuteBucket]:
    """Admissions per minute for the last `minutes` minutes (oldest first, the current last)."""
    end = _minute(now)
    starts = [end - dt.timedelta(minutes=i) for i in range(minutes - 1, -1, -1)]
    buckets: dict[dt.datetime, dict[str, int]] = {start: {} for start in starts}
    for row in recent:
        if row.status != "ok" or row.direction != "in":
            continue
        per_gate = buckets.get(_minute(parse_time(row.at)))
        if per_gate is not None:
            per_gate[row.gate] = per_gate.get(row.gate, 0) + 1
    return [
        MinuteBucket(format_time(start), sum(g.values()), dict(sorted(g.items())))
        for start, g in buckets.items()
    ]


def gate_stats(
    counts: Sequence[GateCount],
    recent: Sequence[ScanRow],
    now: dt.datetime,
    this_gate: str,
    rate_minutes: int,
) -> list[GateStats]:
    """Per gate: totals, rejections by reason, admissions in the last minute and the rate."""
    stats: dict[str, GateStats] = {}

    def entry(gate: str) -> GateStats:
        if gate not in stats:
            stats[gate] = GateStats(gate, gate == this_gate, 0, 0, 0, {}, 0, 0.0, None)
        return stats[gate]

    entry(this_gate)
    for c in counts:
        s = entry(c.gate)
        if c.status == "ok":
            if c.direction == "in":
                s.admitted += c.count
            else:
                s.exits += c.count
        else:
            reason = c.reason or "unknown"
            s.rejected += c.count
            s.rejected_by_reason[reason] = s.rejected_by_reason.get(reason, 0) + c.count
        if c.last_at is not None and (s.last_scan_at is None or c.last_at > s.last_scan_at):
            s.last_scan_at = c.last_at
    last_minute = now - dt.timedelta(minutes=1)
    rate_since = now - dt.timedelta(minutes=rate_minutes)
    for row in recent:
        if row.status != "ok" or row.direction != "in":
            continue
        at = parse_time(row.at)
        if at > now:
            continue
        s = entry(row.gate)
        if at > last_minute:
            s.admitted_last_minute += 1
        if at > rate_since:
            s.admissions_per_minute += 1 / rate_minutes
    for s in stats.values():
        s.admissions_per_minute = round(s.admissions_per_minute, 2)
        s.rejected_by_reason = dict(sorted(s.rejected_by_reason.items()))
    # This gate first, then the others by name: the reader looks for their own gate first.
    return sorted(stats.values(), key=lambda s: (not s.this_gate, s.gate))


def invalid_bursts(
    recent: Sequence[ScanRow], now: dt.datetime, settings: DashboardSettings
) -> list[Alert]:
    """Sources (device, else gate) with `burst_count` or more invalid or forged scans within
    `burst_window_s`, at any time in the last `burst_lookback_minutes`; one alert per source,
    for its largest burst."""
    since = now - dt.timedelta(minutes=settings.burst_lookback_minutes)
    window = dt.timedelta(seconds=settings.burst_window_s)
    by_source: dict[tuple[str, str | None], list[dt.datetime]] = {}
    for row in recent:
        if row.status == "ok" or row.reason not in SUSPICIOUS_REASONS:
            continue
        at = parse_time(row.at)
        if since <= at <= now:
            by_source.setdefault((row.gate, row.device), []).append(at)
    alerts: list[Alert] = []
    for (gate, device), times in sorted(
        by_source.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
    ):
        times.sort()
        best = (0, 0, 0)  # count, first index, last index
        first = 0
        for last, at in enumerate(times):
            while at - times[first] > window:
                first += 1
            if last - first + 1 >= best[0]:
                best = (last - first + 1, first, last)
        count, i, j = best
        if count >= settings.burst_count:
            source = f"device {device} at {gate}" if device else gate
            alerts.append(
                Alert(
                    "invalid_burst",
                    gate,
                    device,
                    count,
                    format_time(times[i]),
                    format_time(times[j]),
                    f"{count} invalid or forged codes within {settings.burst_window_s} s"
                    f" from {source}",
                )
            )
    return alerts


def quiet_gates(gates: Sequence[GateStats], now: dt.datetime, quiet_minutes: int) -> list[Alert]:
    """Gates with no scan for `quiet_minutes` while at least one other gate scanned in that
    time: a camera, network or staffing problem at that door."""
    since = now - dt.timedelta(minutes=quiet_minutes)
    last = {g.gate: None if g.last_scan_at is None else parse_time(g.last_scan_at) for g in gates}
    busy = {gate for gate, at in last.items() if at is not None and at > since}
    alerts: list[Alert] = []
    for gate, at in sorted(last.items()):
        if gate in busy or not busy - {gate}:
            continue
        idle = "never scanned" if at is None else f"no scans since {format_time(at)}"
        alerts.append(
            Alert(
                "gate_quiet",
                gate,
                None,
                0,
                None,
                None if at is None else format_time(at),
                f"{gate}: {idle}, while other gates are scanning",
            )
        )
    return alerts


def build_dashboard(
    counts: Sequence[GateCount],
    recent: Sequence[ScanRow],
    *,
    now: dt.datetime,
    this_gate: str,
    inside: int,
    settings: DashboardSettings = DashboardSettings(),
    peer_links: Sequence[PeerLink] = (),
) -> DashboardView:
    """The dashboard at `now` from the event's per-gate counts, its recent scans and the
    state of replication with each peer."""
    gates = gate_stats(counts, recent, now, this_gate, settings.rate_minutes)
    alerts = invalid_bursts(recent, now, settings) + quiet_gates(gates, now, settings.quiet_minutes)
    quiet = {a.gate for a in alerts if a.kind == "gate_quiet"}
    this = next(g for g in gates if g.this_gate)
    return DashboardView(
        generated_at=format_time(now),
        gate=this_gate,
        inside=inside,
        totals=totals_from_counts(counts),
        gates=gates,
        admissions=admissions_by_minute(recent, now, settings.chart_minutes),
        alerts=alerts,
        peers=[
            GatePanelEntry(
                this_gate,
                True,
                this.last_scan_at,
                "quiet" if this_gate in quiet else "online",
            ),
            *(_peer_entry(link, gates, quiet) for link in peer_links),
        ],
        chart_minutes=settings.chart_minutes,
    )


def _peer_entry(link: PeerLink, gates: list[GateStats], quiet: set[str]) -> GatePanelEntry:
    stats = next((g for g in gates if g.gate == link.name), None)
    last = None if stats is None else stats.last_scan_at
    state: Literal["online", "quiet", "unknown"] = (
        "unknown" if stats is None else "quiet" if link.name in quiet else "online"
    )
    sync = "replicating" if link.reachable else "unreachable"
    return GatePanelEntry(link.name, False, last, state, sync, link.skew_ms)
