"""The LAN dashboard's figures: pure functions from scan rows and `now` to one summary.

Nothing here reads the database or the clock. `dashboard_route.py` loads two kinds of rows
(per-gate counts over the whole event, and the individual scans of the last half hour or so)
and hands them in; the summary is what `GET /api/v1/dashboard` answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import msgspec

from gate_node.timestamps import format_time, parse_time
from gate_node.type_admissions import TicketTypeFigures

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


# Double admissions are judged by the scan service (contract/admission_verdicts.py,
# GET /api/v1/alerts): the dashboard page shows them from there.
AlertKind = Literal["invalid_burst", "gate_quiet"]


class Alert(msgspec.Struct):
    kind: AlertKind
    gate: str
    device: str | None
    count: int
    first_at: str | None
    last_at: str | None
    message: str


# What a gate is doing, judged from the replicated scans alone, so that every gate says the
# same of the same gate: `scanning` (a scan in the last `quiet_minutes`), `quiet` (none,
# while another gate scanned: an alert), `idle` (none, and no other gate scanned either).
GateState = Literal["scanning", "quiet", "idle"]
# How the gate showing the dashboard replicates with a gate: its own view, unlike the state.
SyncState = Literal["this gate", "replicating", "unreachable", "no link"]


class GatePanelEntry(msgspec.Struct):
    name: str
    this_gate: bool
    last_scan_at: str | None
    # None for a peer not reached yet: known by its address only, not as a gate.
    state: GateState | None
    sync: SyncState = "this gate"
    skew_ms: int | None = None


class PeerLink(msgspec.Struct):
    """A peer as this gate's replication sees it (gate_node.venue): its gate name once the
    peer has answered, and its address."""

    gate: str | None
    url: str
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
    ticket_types: list[TicketTypeFigures] = []


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
    *,
    known_gates: Iterable[str] = (),
) -> list[GateStats]:
    """Per gate: totals, rejections by reason, admissions in the last minute and the rate;
    for this gate, every gate in `known_gates` and every gate that recorded a scan."""
    stats: dict[str, GateStats] = {}

    def entry(gate: str) -> GateStats:
        if gate not in stats:
            stats[gate] = GateStats(gate, gate == this_gate, 0, 0, 0, {}, 0, 0.0, None)
        return stats[gate]

    for gate in (this_gate, *known_gates):
        entry(gate)
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


def gate_states(
    last_scans: Mapping[str, str | None], now: dt.datetime, quiet_minutes: int
) -> dict[str, GateState]:
    """The state of every gate from when each last scanned (None: never). Pure, and blind
    to which gate asks: every gate derives the same states from the same replicated scans."""
    since = now - dt.timedelta(minutes=quiet_minutes)
    busy = {g for g, at in last_scans.items() if at is not None and parse_time(at) > since}

    def state(gate: str) -> GateState:
        if gate in busy:
            return "scanning"
        return "quiet" if busy - {gate} else "idle"

    return {gate: state(gate) for gate in last_scans}


def quiet_gates(gates: Sequence[GateStats], now: dt.datetime, quiet_minutes: int) -> list[Alert]:
    """Gates with no scan for `quiet_minutes` while at least one other gate scanned in that
    time (state `quiet`): a camera, network or staffing problem at that door."""
    last = {g.gate: g.last_scan_at for g in gates}
    states = gate_states(last, now, quiet_minutes)
    alerts: list[Alert] = []
    for gate, at in sorted(last.items()):
        if states[gate] != "quiet":
            continue
        idle = "never scanned" if at is None else f"no scans since {format_time(parse_time(at))}"
        alerts.append(
            Alert(
                "gate_quiet",
                gate,
                None,
                0,
                None,
                at,
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
    ticket_types: Sequence[TicketTypeFigures] = (),
) -> DashboardView:
    """The dashboard at `now` from the event's per-gate counts, its recent scans, the state
    of replication with each peer and the admissions per ticket type.

    Every gate that this gate knows (itself, its peers by name, every gate in the scans) is
    listed, with a state derived from the scans alone: gates that hold the same scans show
    the same gates in the same states; only `sync` and `this_gate` are this gate's view."""
    named = {link.gate for link in peer_links if link.gate is not None}
    gates = gate_stats(
        counts, recent, now, this_gate, settings.rate_minutes, known_gates=sorted(named)
    )
    alerts = invalid_bursts(recent, now, settings) + quiet_gates(gates, now, settings.quiet_minutes)
    states = gate_states({g.gate: g.last_scan_at for g in gates}, now, settings.quiet_minutes)
    links = {link.gate: link for link in peer_links if link.gate is not None}
    panel = [_panel_entry(g, states[g.gate], links.get(g.gate)) for g in gates]
    unnamed = [link for link in peer_links if link.gate is None]
    return DashboardView(
        generated_at=format_time(now),
        gate=this_gate,
        inside=inside,
        totals=totals_from_counts(counts),
        gates=gates,
        admissions=admissions_by_minute(recent, now, settings.chart_minutes),
        alerts=alerts,
        peers=panel
        + [
            GatePanelEntry(link.url, False, None, None, _sync(link), link.skew_ms)
            for link in sorted(unnamed, key=lambda link: link.url)
        ],
        chart_minutes=settings.chart_minutes,
        ticket_types=list(ticket_types),
    )


def _sync(link: PeerLink) -> SyncState:
    return "replicating" if link.reachable else "unreachable"


def _panel_entry(stats: GateStats, state: GateState, link: PeerLink | None) -> GatePanelEntry:
    if stats.this_gate:
        sync: SyncState = "this gate"
    else:
        sync = "no link" if link is None else _sync(link)
    skew = None if link is None else link.skew_ms
    return GatePanelEntry(stats.gate, stats.this_gate, stats.last_scan_at, state, sync, skew)
