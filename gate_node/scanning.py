"""The scan service: load what the decision needs, decide, persist, answer.

It runs on the event loop's thread with no awaits between reading a ticket's state and
committing its scan, so scans are serialised: of 32 simultaneous entries on one single-entry
ticket exactly one is admitted. Nothing here hops to a thread pool; each scan costs a
signature check, two indexed lookups and one durable insert.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
import uuid
from collections.abc import Callable

import msgspec

from contract.ticket_token import TicketClaims
from gate_node import replica
from gate_node.decision import (
    REASONS,
    Decision,
    Direction,
    EventContext,
    Passage,
    Reason,
    Status,
    TicketFacts,
    check_code,
    decide_scan,
)
from gate_node.errors import NoEventLoaded, NonceConflict, ReplicaUnavailable
from gate_node.hlc import HybridClock
from gate_node.live import LiveFeed
from gate_node.scan_index import ScanIndex
from gate_node.staff import StaffMember
from gate_node.supervision import check_annul, check_override
from gate_node.ticket_book import TicketBook
from gate_node.timestamps import format_time, time_ordered_id
from gate_node.verdicts import DoubleAdmission, double_admissions


class TicketView(msgspec.Struct):
    id: str
    type_id: str
    type_name: str | None
    holder: str | None
    seat: str | None


class PassageView(msgspec.Struct):
    gate: str
    at: str


class ScanAnswer(msgspec.Struct):
    """The scan API's answer (see docs/api.md)."""

    status: Status
    reason: Reason | None
    message: str
    ticket: TicketView | None
    first_admitted: PassageView | None
    scan_id: str
    decided_ms: float = 0.0


class ScanEvent(msgspec.Struct):
    """What the live feed tells kiosks and dashboards about each recorded scan."""

    answer: ScanAnswer
    gate: str
    direction: Direction
    at: str


def utc_now() -> dt.datetime:
    """The wall clock, as the scan path reads it."""
    return dt.datetime.now(dt.UTC)


class ScanService:
    """Decides and records scans for one gate over its replica."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        gate_name: str,
        clock: Callable[[], dt.datetime] = utc_now,
        feed: LiveFeed | None = None,
    ) -> None:
        self.conn = conn
        self.gate_name = gate_name
        self.clock = clock
        self.feed = feed if feed is not None else LiveFeed()
        self.event: EventContext | None = replica.read_event_context(conn)
        self.index = ScanIndex.build(conn)
        self.book = TicketBook.build(conn)
        self.site = replica.site_id(conn)
        self.hlc = HybridClock(replica.max_hlc(conn))
        # Told after every recorded scan, override or annulment (replication pushes then).
        self.on_recorded: Callable[[], None] | None = None

    def reload_event(self) -> None:
        """Re-read keys, ticket types, rules and tickets after the replica's event changed."""
        self.event = replica.read_event_context(self.conn)
        self.book.refresh(self.conn)

    def scan(
        self,
        code: str,
        *,
        direction: Direction = "in",
        nonce: str | None = None,
        gate: str | None = None,
        device: str | None = None,
        staff: StaffMember | None = None,
    ) -> ScanAnswer:
        """Decide one scan and commit it durably before returning the answer."""
        started = time.perf_counter()
        event = self.event
        if event is None:
            raise NoEventLoaded("no event loaded on this gate: load an event package first")
        if nonce is not None and nonce in self.index.nonces:
            previous = replica.scan_for_replay(self.conn, self.index.nonces[nonce])
            if previous is not None:
                if previous.code != code:
                    raise NonceConflict("this nonce was already used for a different code")
                answer = self._replay(previous, event)
                answer.decided_ms = (time.perf_counter() - started) * 1000
                return answer

        now = self.clock()
        gate_name = gate or self.gate_name
        checked = check_code(code, event)
        facts: TicketFacts | None = None
        claims: TicketClaims | None = None
        ticket_id: str | None = None
        if isinstance(checked, Decision):
            decision = checked
        else:
            claims = checked
            ticket_id = str(claims.ticket_id)
            facts = self.book.facts(ticket_id, self.index.history.get(ticket_id, ()))
            decision = decide_scan(
                claims, facts, direction=direction, gate=gate_name, event=event, now=now
            )

        answer = ScanAnswer(
            status=decision.status,
            reason=decision.reason,
            message=decision.message,
            ticket=_ticket_view(ticket_id, claims, facts, event),
            first_admitted=_passage_view(decision.first_admitted),
            scan_id=time_ordered_id(now),
        )
        at = format_time(now)
        stamp = self.hlc.tick(int(now.timestamp() * 1000))
        try:
            replica.record_scan(
                self.conn,
                scan_id=answer.scan_id,
                nonce=nonce,
                ticket_id=ticket_id,
                code=code,
                gate=gate_name,
                direction=direction,
                status=decision.status,
                reason=decision.reason,
                at=at,
                message=answer.message,
                hlc=stamp,
                site=self.site,
                device=device,
                staff_id=None if staff is None else staff.id,
            )
        except sqlite3.Error as exc:
            raise ReplicaUnavailable(f"the scan could not be recorded: {exc}") from exc
        self.index.add(
            answer.scan_id,
            nonce,
            ticket_id,
            direction,
            gate_name,
            decision.status,
            at,
            stamp,
            self.site,
        )
        self.feed.publish("scan", ScanEvent(answer, gate_name, direction, at))
        if self.on_recorded is not None:
            self.on_recorded()
        answer.decided_ms = (time.perf_counter() - started) * 1000
        return answer

    def _replay(self, scan: replica.ReplayedScan, event: EventContext) -> ScanAnswer:
        """The answer a recorded scan was given, rebuilt from its row and the ticket's
        history before it (not stored whole: every byte of a scan row is fsynced and
        replicated)."""
        claims = None
        facts = None
        first = None
        if scan.ticket_id is not None and scan.code is not None:
            checked = check_code(scan.code, event)
            claims = None if isinstance(checked, Decision) else checked
            order = (scan.hlc or 0, scan.site or "")
            before = tuple(
                p for p in self.index.history.get(scan.ticket_id, ()) if (p.hlc, p.site) < order
            )
            facts = self.book.facts(scan.ticket_id, before)
            first = next((p for p in before if p.direction == "in"), None)
        return ScanAnswer(
            status="ok" if scan.status == "ok" else "rejected",
            reason=_reason(scan.reason),
            message=scan.message or "",
            ticket=_ticket_view(scan.ticket_id, claims, facts, event),
            first_admitted=_passage_view(first),
            scan_id=scan.id,
        )

    def double_admissions(self) -> list[DoubleAdmission]:
        """The double admissions in the replica, as every node derives them."""
        event = self.event
        candidates = [
            ticket_id
            for ticket_id, passages in self.index.history.items()
            if sum(1 for p in passages if p.direction == "in") > 1
        ]
        types = replica.ticket_type_ids(self.conn, candidates)
        rules = {} if event is None else event.ticket_types
        return double_admissions(
            {t: self.index.history[t] for t in candidates},
            {t: rules.get(uuid.UUID(types[t])) if t in types else None for t in candidates},
        )

    def listed_ticket(self, ticket_id: str) -> TicketView | None:
        """A ticket as the replica lists it (type, holder where its type shows holders,
        seat); None for a ticket the replica does not list."""
        facts = self.book.facts(ticket_id, ())
        if self.event is None or facts.ticket_type_id is None:
            return None
        return _listed_ticket(ticket_id, facts.ticket_type_id, facts, self.event)

    def annul(self, scan_id: str, staff: StaffMember, reason: str) -> AnnulAnswer:
        """A supervisor takes back an admission (within 15 minutes): it no longer counts."""
        now = self.clock()
        scan = check_annul(replica.recorded_scan(self.conn, scan_id), staff, now)
        at = format_time(now)
        replica.record_annulment(self.conn, scan.id, staff.id, reason, at)
        self.index.annul(scan.id)
        if self.on_recorded is not None:
            self.on_recorded()
        result = AnnulAnswer(scan_id=scan.id, annulled_by=staff.name, reason=reason, at=at)
        self.feed.publish("annul", result)
        return result

    def override(self, scan_id: str, staff: StaffMember, reason: str) -> ScanAnswer:
        """A supervisor admits over a rejection, with a typed reason: a new, audited scan."""
        started = time.perf_counter()
        now = self.clock()
        rejected = check_override(replica.recorded_scan(self.conn, scan_id), staff, reason)
        reason = reason.strip()
        answer = ScanAnswer(
            status="ok",
            reason=None,
            message=f"Admitted by {staff.name}: {reason}",
            ticket=None,
            first_admitted=None,
            scan_id=time_ordered_id(now),
        )
        at = format_time(now)
        stamp = self.hlc.tick(int(now.timestamp() * 1000))
        with replica.transaction(self.conn):
            replica.record_scan(
                self.conn,
                scan_id=answer.scan_id,
                nonce=None,
                ticket_id=rejected.ticket_id,
                code=rejected.code or "",
                gate=rejected.gate,
                direction="in",
                status="ok",
                reason=None,
                at=at,
                message=answer.message,
                staff_id=staff.id,
                override_of=rejected.id,
                note=reason,
                hlc=stamp,
                site=self.site,
            )
            replica.audit(
                self.conn,
                at=at,
                staff_id=staff.id,
                action="override",
                subject=rejected.id,
                detail=reason,
            )
        self.index.add(
            answer.scan_id,
            None,
            rejected.ticket_id,
            "in",
            rejected.gate,
            "ok",
            at,
            stamp,
            self.site,
        )
        self.feed.publish("scan", ScanEvent(answer, rejected.gate, "in", at))
        if self.on_recorded is not None:
            self.on_recorded()
        answer.decided_ms = (time.perf_counter() - started) * 1000
        return answer


class AnnulAnswer(msgspec.Struct):
    """The answer to an annulment."""

    scan_id: str
    annulled_by: str
    reason: str
    at: str


def _ticket_view(
    ticket_id: str | None,
    claims: TicketClaims | None,
    facts: TicketFacts | None,
    event: EventContext,
) -> TicketView | None:
    if ticket_id is None or claims is None or facts is None:
        return None
    return _listed_ticket(ticket_id, facts.ticket_type_id or claims.ticket_type_id, facts, event)


def _listed_ticket(
    ticket_id: str, type_id: uuid.UUID, facts: TicketFacts, event: EventContext
) -> TicketView:
    # The holder only where the ticket type shows it at the door (`shows_holder`).
    ticket_type = event.ticket_types.get(type_id)
    shows_holder = ticket_type is not None and ticket_type.shows_holder
    return TicketView(
        id=ticket_id,
        type_id=str(type_id),
        type_name=None if ticket_type is None else ticket_type.name,
        holder=facts.holder if shows_holder else None,
        seat=facts.seat,
    )


def _passage_view(passage: Passage | None) -> PassageView | None:
    if passage is None:
        return None
    return PassageView(gate=passage.gate, at=format_time(passage.at))


def _reason(code: str | None) -> Reason | None:
    for reason in REASONS:
        if code == reason:
            return reason
    return None
