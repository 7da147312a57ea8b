"""The scan decision: may this code pass this gate now? Pure: no I/O, `now` passed in.

Two steps, so that forged or damaged codes never reach a database lookup:
`check_code` reads and verifies the token against the event; `decide_scan` then judges the
verified claims against what the replica knows of the ticket. Reason codes follow pretix's
check-in API; UIs switch on the code, never on the message.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

import nacl.signing

from contract.event_package import DoorPolicy
from contract.gate_rules import rule_allows
from contract.reasons import Reason
from contract.ticket_token import TicketClaims, TokenProblem, parse_token, verify_token
from gate_node.door_time import door_time

Direction = Literal["in", "out"]
Status = Literal["ok", "rejected"]
DOOR_POLICIES: tuple[DoorPolicy, ...] = get_args(DoorPolicy)
# An admission staff should look at twice; UIs switch on the code, as on reasons.
Warning = Literal["outside_door_window"]


@dataclass(frozen=True, slots=True)
class TicketTypeRules:
    """How a ticket type may be used at the door (see contract.event_package.TicketType)."""

    id: uuid.UUID
    name: str
    entry_mode: Literal["single", "multi"] = "single"
    max_entries: int | None = None
    reentry: bool = True
    gates: frozenset[str] | None = None
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    shows_holder: bool = True


@dataclass(frozen=True, slots=True)
class GateRule:
    """A check-in rule for entry scans, scoped to a ticket type and/or a gate (None: all)."""

    rule: object
    description: str
    ticket_type_id: uuid.UUID | None = None
    gate: str | None = None


@dataclass(frozen=True, slots=True)
class DoorWindow:
    """When the event's doors are open: from `opens` (a set time before its first date
    starts) until `closes` (its last date ends; None: no end), and what happens to a ticket
    outside it: "reject" (invalid_time) or "warn" (admitted, with a warning)."""

    opens: dt.datetime
    closes: dt.datetime | None
    policy: Literal["warn", "reject"]


def door_window(
    starts_at: dt.datetime | None,
    ends_at: dt.datetime | None,
    opens_minutes: int,
    policy: DoorPolicy,
) -> DoorWindow | None:
    """The door window of an event with these dates, or None when the gate checks none
    (policy "off", or an event without dates)."""
    if policy == "off" or starts_at is None:
        return None
    return DoorWindow(starts_at - dt.timedelta(minutes=opens_minutes), ends_at, policy)


@dataclass(frozen=True, slots=True)
class EventContext:
    """What a gate holds in memory about its event: everything but per-ticket state."""

    event_id: uuid.UUID
    timezone: zoneinfo.ZoneInfo
    keys: Mapping[int, nacl.signing.VerifyKey]
    ticket_types: Mapping[uuid.UUID, TicketTypeRules]
    rules: tuple[GateRule, ...] = ()
    door: DoorWindow | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """One accepted scan of a ticket: an admission (in) or an exit (out)."""

    direction: Direction
    gate: str
    at: dt.datetime
    scan_id: str = ""
    hlc: int = 0  # hybrid logical clock stamp: passages are ordered by (hlc, site)
    site: str = ""


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the replica knows of one ticket. `history` holds accepted scans, oldest first."""

    ticket_type_id: uuid.UUID | None = None
    holder: str | None = None
    seat: str | None = None
    revoked: str | None = None
    blocked: str | None = None
    history: tuple[Passage, ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer for door staff: ok or rejected, a reason code and plain words."""

    status: Status
    reason: Reason | None
    message: str
    first_admitted: Passage | None = None
    warning: Warning | None = None


def _reject(reason: Reason, message: str, first: Passage | None = None) -> Decision:
    return Decision("rejected", reason, message, first)


def check_code(code: str, event: EventContext) -> TicketClaims | Decision:
    """Verify a scanned code as a token of this event; a Decision means it was rejected."""
    parsed = parse_token(code)
    if isinstance(parsed, TokenProblem):
        return _reject(parsed.reason, parsed.message)
    # The event is compared before the signature: another event's keys are not on this
    # gate, and "wrong event" is the answer that helps staff redirect a real visitor.
    if parsed.claims.event_id != event.event_id:
        return _reject("wrong_event", "This ticket is for a different event.")
    verified = verify_token(parsed, event.keys)
    if isinstance(verified, TokenProblem):
        return _reject(verified.reason, verified.message)
    return verified


def _local(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return moment.astimezone(tz)


def _window(
    claims: TicketClaims, ticket_type: TicketTypeRules
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The narrowest window of the token's own and its ticket type's."""
    starts = [t for t in (claims.valid_from, ticket_type.valid_from) if t is not None]
    ends = [t for t in (claims.valid_until, ticket_type.valid_until) if t is not None]
    return (max(starts) if starts else None, min(ends) if ends else None)


def _outside_door(
    door: DoorWindow,
    own: tuple[dt.datetime | None, dt.datetime | None],
    tz: zoneinfo.ZoneInfo,
    now: dt.datetime,
) -> str | None:
    """Why `now` is outside the door window, or None. A bound of the ticket's own window
    (its token's or its type's) replaces the door's: the organiser set it for that ticket,
    e.g. early entry for VIPs."""
    if own[0] is None and now < door.opens:
        if _local(door.opens, tz).date() == _local(now, tz).date():
            return f"Too early: doors open {door_time(door.opens, tz, now)}."
        return f"Ticket for another date: doors open {door_time(door.opens, tz, now)}."
    if own[1] is None and door.closes is not None and now > door.closes:
        return f"The event is over: it ended {door_time(door.closes, tz, now)}."
    return None


def _rule_facts(
    claims_type: uuid.UUID,
    entries: list[Passage],
    gate: str,
    event: EventContext,
    now: dt.datetime,
) -> dict[str, object]:
    local_now = _local(now, event.timezone)
    today = local_now.date()
    last = entries[-1].at if entries else None
    return {
        "gate": gate,
        "ticket_type": str(claims_type),
        "entries": len(entries),
        "entries_today": sum(1 for p in entries if _local(p.at, event.timezone).date() == today),
        "minutes_since_last_entry": None if last is None else (now - last).total_seconds() / 60,
        "now": now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "local_time": local_now.strftime("%H:%M"),
        "local_date": today.isoformat(),
        "weekday": local_now.isoweekday(),
    }


def door_warning(
    claims: TicketClaims, facts: TicketFacts, event: EventContext, at: dt.datetime
) -> Warning | None:
    """The warning an entry admitted at `at` carried (a replayed answer says it again)."""
    ticket_type = event.ticket_types.get(facts.ticket_type_id or claims.ticket_type_id)
    if event.door is None or event.door.policy != "warn" or ticket_type is None:
        return None
    outside = _outside_door(event.door, _window(claims, ticket_type), event.timezone, at)
    return None if outside is None else "outside_door_window"


def decide_scan(
    claims: TicketClaims,
    facts: TicketFacts,
    *,
    direction: Direction,
    gate: str,
    event: EventContext,
    now: dt.datetime,
) -> Decision:
    """Judge a verified ticket at `gate` at `now` against its replicated state."""
    entries = [p for p in facts.history if p.direction == "in"]
    first = entries[0] if entries else None

    if direction == "out":
        # Anyone holding a genuine ticket of this event may always leave.
        inside = bool(facts.history) and facts.history[-1].direction == "in"
        message = "Exit recorded." if inside else "Exit recorded (was not inside)."
        return Decision("ok", None, message, first)

    if facts.revoked is not None:
        return _reject("revoked", f"Ticket cancelled ({facts.revoked}).", first)
    if facts.blocked is not None:
        return _reject("blocked", f"Ticket blocked ({facts.blocked}).", first)

    type_id = facts.ticket_type_id or claims.ticket_type_id
    ticket_type = event.ticket_types.get(type_id)
    if ticket_type is None:
        return _reject("product", "This ticket type is not valid at this event's gates.", first)

    valid_from, valid_until = _window(claims, ticket_type)
    tz = event.timezone
    if valid_from is not None and now < valid_from:
        return _reject(
            "invalid_time", f"Not valid yet: from {door_time(valid_from, tz, now)}.", first
        )
    if valid_until is not None and now > valid_until:
        return _reject(
            "invalid_time", f"No longer valid: ended {door_time(valid_until, tz, now)}.", first
        )
    outside = None
    if event.door is not None:
        outside = _outside_door(event.door, (valid_from, valid_until), tz, now)
        if outside is not None and event.door.policy == "reject":
            return _reject("invalid_time", outside, first)

    if ticket_type.gates is not None and gate not in ticket_type.gates:
        allowed = ", ".join(sorted(ticket_type.gates))
        return _reject(
            "product", f"{ticket_type.name} may not enter at {gate}; use {allowed}.", first
        )

    if entries:
        last = facts.history[-1]
        if ticket_type.entry_mode == "single":
            if last.direction == "in":
                where = f"{last.gate} at {door_time(last.at, tz, now)}"
                return _reject("already_scanned", f"Already admitted: {where}.", first)
            if not ticket_type.reentry:
                where = f"{first.gate} at {door_time(first.at, tz, now)}" if first else ""
                return _reject("already_scanned", f"No re-entry: admitted {where}.", first)
        if ticket_type.max_entries is not None and len(entries) >= ticket_type.max_entries:
            return _reject("already_scanned", f"All {ticket_type.max_entries} entries used.", first)

    applicable = [
        r
        for r in event.rules
        if (r.ticket_type_id is None or r.ticket_type_id == type_id)
        and (r.gate is None or r.gate == gate)
    ]
    if applicable:
        rule_facts = _rule_facts(type_id, entries, gate, event, now)
        for rule in applicable:
            if not rule_allows(rule.rule, rule_facts):
                return _reject("rules", rule.description or "A check-in rule refused entry.", first)

    if not entries:
        message = "Admitted."
    elif ticket_type.max_entries is not None:
        message = f"Admitted (entry {len(entries) + 1} of {ticket_type.max_entries})."
    else:
        message = "Admitted (re-entry)."
    if outside is not None:
        return Decision("ok", None, f"{message} {outside}", first, "outside_door_window")
    return Decision("ok", None, message, first)
