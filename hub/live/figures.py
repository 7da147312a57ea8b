"""The live figures of one event, and the pure steps that shape them from query results.

The figures follow the gates' own rules so the hub and a gate's dashboard agree on the
same scans: the inside count takes each ticket's latest accepted, not annulled scan in the
agreed order (hybrid clock stamp, then site id; gate_node.replica.LATEST_SCANS), and
double admissions are the verdicts of contract.admission_verdicts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

import msgspec

from contract.admission_verdicts import DoubleAdmission
from contract.reasons import REASONS
from hub.live.devices import DeviceHealth, device_problems
from hub.local_time import clock, shown, zone, zone_label
from hub.roles import Action
from hub.schemas import Input
from hub.tenancy import Principal

# Words for the gates' reason codes (tests/unit/hub/test_live_figures.py keeps them in
# step with REASONS); a code a newer gate sends is shown as it is.
REASON_WORDS: dict[str, str] = {
    "invalid": "not a Voelgoed code",
    "forged": "forged or unknown key",
    "wrong_event": "another event's ticket",
    "revoked": "revoked (refunded or cancelled)",
    "blocked": "blocked",
    "invalid_time": "not valid at this time",
    "product": "not valid at this gate",
    "already_scanned": "already admitted",
    "rules": "refused by a check-in rule",
    "unknown": "reason not yet received",
}
DEFAULT_HOURS = 3
DOUBLES_LISTED = 200  # a venue-wide partition can make thousands: the newest are listed
MAX_HOURS = 48


class Minute(msgspec.Struct, frozen=True):
    """Admissions at one gate in one minute (minutes without any are left out)."""

    at: dt.datetime
    label: str  # the minute on the event's clock, "18:05"
    admitted: int


class GateAdmissions(msgspec.Struct, frozen=True):
    gate: str
    admitted: int  # within the window
    minutes: list[Minute]


class Admissions(msgspec.Struct, frozen=True):
    """Admissions per gate per minute over the last `hours` hours, `since` to `until`."""

    hours: int
    since: dt.datetime
    until: dt.datetime
    zone: str  # the event's zone label at `until` ("SAST"): the labels' clock
    gates: list[GateAdmissions]


class ReasonCount(msgspec.Struct, frozen=True):
    reason: str
    words: str
    count: int


class ScanView(msgspec.Struct, frozen=True):
    scan_id: str
    gate: str
    device: str | None
    at: dt.datetime | None
    shown: str  # `at` on the event's clock, labelled
    hlc: int
    site: str


class DoubleAdmissionView(msgspec.Struct, frozen=True):
    """A ticket admitted although the admission that stands already let it in."""

    ticket_id: str
    holder: str | None  # None: the caller's role may not read tickets (tickets.read)
    ticket_type: str
    stands: ScanView
    double: ScanView


class DeviceView(msgspec.Struct, frozen=True):
    name: str
    gate: str
    state: str
    last_seen_at: dt.datetime | None
    last_seen: str  # on the event's clock
    software_version: str | None
    clock_offset_ms: int | None
    backlog: int | None
    problems: list[str]


class LiveFigures(msgspec.Struct, frozen=True):
    """Everything the live page shows of one event."""

    event_id: str
    as_of: dt.datetime
    inside: int
    admitted: int
    exits: int
    rejected: int
    rejections: list[ReasonCount]
    admissions: Admissions
    double_admissions: list[DoubleAdmissionView]  # the newest DOUBLES_LISTED
    double_admissions_total: int
    devices: list[DeviceView]


@dataclass(frozen=True, slots=True)
class HubScan:
    """An accepted scan as the hub holds it (what contract.admission_verdicts reads)."""

    scan_id: str
    direction: str
    gate: str
    device: str | None
    at: dt.datetime | None
    hlc: int
    site: str


@dataclass(frozen=True, slots=True)
class TicketOfScans:
    """The ticket a double admission is about: its holder and its type's entry limits."""

    holder: str
    ticket_type: str
    entry_mode: str
    max_entries: int | None
    reentry: bool


def rejections(counts: Mapping[str, int]) -> list[ReasonCount]:
    """Rejections by reason, most first (ties in the gates' order of reasons)."""
    order: dict[str, int] = {reason: i for i, reason in enumerate(REASONS)}
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], order.get(kv[0], len(order)), kv[0]))
    return [ReasonCount(r, REASON_WORDS.get(r, r.replace("_", " ")), n) for r, n in ranked if n]


def window(now: dt.datetime, hours: int) -> tuple[dt.datetime, dt.datetime]:
    """The minutes the chart covers: `hours` whole hours up to the end of this minute."""
    until = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
    return until - dt.timedelta(hours=hours), until


def admissions(
    rows: Iterable[tuple[str, dt.datetime, int]],
    since: dt.datetime,
    until: dt.datetime,
    timezone: str,
) -> Admissions:
    """Per-gate minutes from (gate, minute, admitted) rows, gates by name."""
    by_gate: dict[str, list[Minute]] = {}
    for gate, minute, count in sorted(rows, key=lambda r: (r[0], r[1])):
        by_gate.setdefault(gate, []).append(Minute(minute, clock(minute, timezone), count))
    gates = [GateAdmissions(g, sum(m.admitted for m in ms), ms) for g, ms in by_gate.items()]
    label = zone_label(until.astimezone(zone(timezone)))
    return Admissions((until - since) // dt.timedelta(hours=1), since, until, label, gates)


def scan_view(scan: HubScan, timezone: str) -> ScanView:
    return ScanView(
        scan.scan_id, scan.gate, scan.device, scan.at, shown(scan.at, timezone), scan.hlc, scan.site
    )


def double_admission_views(
    verdicts: Sequence[DoubleAdmission[HubScan]],
    tickets: Mapping[str, TicketOfScans],
    timezone: str,
) -> list[DoubleAdmissionView]:
    """The verdicts with each ticket's holder and type, newest double admission first (the
    newest DOUBLES_LISTED)."""
    views = []
    for v in list(reversed(verdicts))[:DOUBLES_LISTED]:
        ticket = tickets.get(v.ticket_id)
        views.append(
            DoubleAdmissionView(
                v.ticket_id,
                ticket.holder if ticket else "",
                ticket.ticket_type if ticket else "",
                scan_view(v.stands, timezone),
                scan_view(v.double, timezone),
            )
        )
    return views


def device_views(
    devices: Iterable[DeviceHealth], now: dt.datetime, timezone: str
) -> list[DeviceView]:
    """The roster's devices by gate and name, each with what to look at."""
    return [
        DeviceView(
            d.name,
            d.gate,
            d.state,
            d.last_seen_at,
            shown(d.last_seen_at, timezone),
            d.software_version,
            d.clock_offset_ms,
            d.backlog,
            device_problems(d, now),
        )
        for d in sorted(devices, key=lambda d: (d.gate, d.name))
    ]


def for_caller(figures: LiveFigures, principal: Principal) -> LiveFigures:
    """Holders' names only for roles that may read tickets (`tickets.read`)."""
    return figures if principal.can(Action.TICKETS_READ) else without_holders(figures)


def without_holders(figures: LiveFigures) -> LiveFigures:
    """The figures for a role that may not read tickets: double admissions keep their
    scans, not the holder's name."""
    return msgspec.structs.replace(
        figures,
        double_admissions=[
            msgspec.structs.replace(d, holder=None) for d in figures.double_admissions
        ],
    )


class LiveQuery(Input):
    """Which window the admissions chart covers: the last `hours` hours."""

    hours: Annotated[int, msgspec.Meta(ge=1, le=MAX_HOURS)] = DEFAULT_HOURS
