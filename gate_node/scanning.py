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
from collections.abc import Callable, Sequence

from contract.admission_verdicts import DoubleAdmission, double_admissions
from contract.ticket_token import TicketClaims
from gate_node import replica
from gate_node.decision import (
    Decision,
    Direction,
    EventContext,
    Passage,
    TicketFacts,
    check_code,
    decide_scan,
    door_warning,
)
from gate_node.errors import (
    Forbidden,
    InvalidBody,
    NoEventLoaded,
    NonceConflict,
    ReplicaUnavailable,
    UnknownTicket,
)
from gate_node.hlc import HybridClock
from gate_node.live import LiveFeed
from gate_node.merged_rows import merged_rows
from gate_node.roster import DeviceRoster
from gate_node.scan_answers import (
    AnnulAnswer,
    ScanAnswer,
    ScanEvent,
    TicketView,
    listed_ticket,
    passage_view,
    reason_code,
    ticket_view,
)
from gate_node.scan_index import ScanIndex
from gate_node.staff import StaffMember
from gate_node.supervision import check_annul, check_override
from gate_node.ticket_book import TicketBook
from gate_node.timestamps import format_time, parse_time, time_ordered_id
from sync.changes import Change


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
        self.roster = DeviceRoster.build(conn)
        # Told after every recorded scan, override or annulment (replication pushes then).
        self.on_recorded: Callable[[], None] | None = None

    def reload_event(self) -> None:
        """Re-read keys, ticket types, rules, tickets and the roster after the replica's
        event changed by a path that does not say which rows (a package loaded)."""
        self.event = replica.read_event_context(self.conn)
        self.book.refresh(self.conn)
        self.roster = DeviceRoster.build(self.conn)

    def absorb(self, changes: Sequence[Change]) -> None:
        """Fold change rows merged into the replica (from a peer, the hub, or another
        connection) into the scan path's in-memory state, reading back only the rows they
        touched: scans and annulments into the index (and every stamp into the clock),
        tickets, revocations and blocks into the book, devices into the roster; a change to
        the event, its keys, ticket types, rules or gates re-reads the event context."""
        merged = merged_rows(changes)
        touched = merged.ids
        conn = self.conn
        if merged.event_changed:
            self.event = replica.read_event_context(conn)
        if "tickets" in touched:
            self.book.update_tickets(conn, touched["tickets"])
        if "revocations" in touched:
            self.book.update_revocations(conn, touched["revocations"])
        if "blocks" in touched:
            self.book.update_blocks(conn, touched["blocks"])
        if "devices" in touched:
            self.roster.update(conn, touched["devices"])
        scan_ids = sorted(touched.get("scans", ()))
        newest = 0
        for row in replica.scans_for_index(conn, scan_ids):
            self.index.add(*row)
            newest = max(newest, row[7] or 0)
        if newest:
            # The gate's own clock (the one its scans are stamped with), not the machine's.
            self.hlc.observe(newest, int(self.clock().timestamp() * 1000))
        for scan_id in touched.get("annulments", ()):
            self.index.annul(scan_id)
        if scan_ids:
            self.feed.publish("replicated", {"scan_ids": scan_ids})

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
            ticket=ticket_view(ticket_id, claims, facts, event),
            first_admitted=passage_view(decision.first_admitted),
            scan_id=time_ordered_id(now),
            warning=decision.warning,
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
        warning = None
        if scan.ticket_id is not None and scan.code is not None:
            checked = check_code(scan.code, event)
            claims = None if isinstance(checked, Decision) else checked
            order = (scan.hlc or 0, scan.site or "")
            before = tuple(
                p for p in self.index.history.get(scan.ticket_id, ()) if (p.hlc, p.site) < order
            )
            facts = self.book.facts(scan.ticket_id, before)
            first = next((p for p in before if p.direction == "in"), None)
            if claims is not None and scan.status == "ok" and scan.direction == "in" and scan.at:
                # Not stored: the door window and the scan's time say it again.
                warning = door_warning(claims, facts, event, parse_time(scan.at))
        return ScanAnswer(
            status="ok" if scan.status == "ok" else "rejected",
            reason=reason_code(scan.reason),
            message=scan.message or "",
            ticket=ticket_view(scan.ticket_id, claims, facts, event),
            first_admitted=passage_view(first),
            scan_id=scan.id,
            warning=warning,
        )

    def double_admissions(self) -> list[DoubleAdmission[Passage]]:
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
        return listed_ticket(ticket_id, facts.ticket_type_id, facts, self.event)

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
        """A supervisor admits over a rejection, with a typed reason: a new, audited scan.
        The answer names the ticket's holder and seat as the rejection did."""
        started = time.perf_counter()
        rejected = check_override(replica.recorded_scan(self.conn, scan_id), staff, reason)
        reason = reason.strip()
        return self._record_supervised(
            Decision("ok", None, f"Admitted by {staff.name}: {reason}"),
            ticket_id=rejected.ticket_id,
            code=rejected.code or "",
            gate=rejected.gate,
            staff=staff,
            reason=reason,
            action="override",
            subject=rejected.id,
            override_of=rejected.id,
            started=started,
        )

    def admit_found(
        self,
        ticket_id: str,
        staff: StaffMember,
        reason: str,
        *,
        gate: str | None = None,
        device: str | None = None,
    ) -> ScanAnswer:
        """A supervisor admits a ticket found by search, with no code to scan (a phone gone
        flat, a lost ticket): decided as a scan of that ticket, recorded and audited with the
        supervisor and reason. A rejection can be overridden like any other."""
        started = time.perf_counter()
        event = self.event
        if event is None:
            raise NoEventLoaded("no event loaded on this gate: load an event package first")
        if not staff.is_supervisor:
            raise Forbidden("only a supervisor may admit a ticket without its code")
        reason = reason.strip()
        if not reason:
            raise InvalidBody("an admission without a code needs a typed reason - at `$.reason`")
        claims = self.book.claims(ticket_id, event.event_id)
        if claims is None:
            raise UnknownTicket("this gate has no ticket with this id")
        facts = self.book.facts(ticket_id, self.index.history.get(ticket_id, ()))
        gate_name = gate or self.gate_name
        decision = decide_scan(
            claims, facts, direction="in", gate=gate_name, event=event, now=self.clock()
        )
        if decision.status == "ok":
            message = f"{decision.message} By {staff.name}, without a code: {reason}"
            decision = Decision("ok", None, message, decision.first_admitted, decision.warning)
        return self._record_supervised(
            decision,
            ticket_id=ticket_id,
            code="",
            gate=gate_name,
            staff=staff,
            reason=reason,
            action="admit_without_code",
            subject=ticket_id,
            device=device,
            started=started,
        )

    def _record_supervised(
        self,
        decision: Decision,
        *,
        ticket_id: str | None,
        code: str,
        gate: str,
        staff: StaffMember,
        reason: str,
        action: str,
        subject: str,
        started: float,
        override_of: str | None = None,
        device: str | None = None,
    ) -> ScanAnswer:
        """Record a supervisor's entry scan with its audit entry in one transaction, tell
        the index and the live feed, and answer it with the ticket as a scan shows it."""
        event = self.event
        now = self.clock()
        claims = facts = None
        if ticket_id is not None and event is not None:
            checked = check_code(code, event) if code else None
            claims = checked if isinstance(checked, TicketClaims) else None
            claims = claims or self.book.claims(ticket_id, event.event_id)
            facts = self.book.facts(ticket_id, self.index.history.get(ticket_id, ()))
        if decision.first_admitted is None and facts is not None:
            first = next((p for p in facts.history if p.direction == "in"), None)
            decision = Decision(decision.status, decision.reason, decision.message, first)
        answer = ScanAnswer(
            status=decision.status,
            reason=decision.reason,
            message=decision.message,
            ticket=None if event is None else ticket_view(ticket_id, claims, facts, event),
            first_admitted=passage_view(decision.first_admitted),
            scan_id=time_ordered_id(now),
            warning=decision.warning,
        )
        at = format_time(now)
        stamp = self.hlc.tick(int(now.timestamp() * 1000))
        with replica.transaction(self.conn):
            replica.record_scan(
                self.conn,
                scan_id=answer.scan_id,
                nonce=None,
                ticket_id=ticket_id,
                code=code,
                gate=gate,
                direction="in",
                status=decision.status,
                reason=decision.reason,
                at=at,
                message=answer.message,
                device=device,
                staff_id=staff.id,
                override_of=override_of,
                note=reason,
                hlc=stamp,
                site=self.site,
            )
            replica.audit(
                self.conn, at=at, staff_id=staff.id, action=action, subject=subject, detail=reason
            )
        self.index.add(
            answer.scan_id, None, ticket_id, "in", gate, decision.status, at, stamp, self.site
        )
        self.feed.publish("scan", ScanEvent(answer, gate, "in", at))
        if self.on_recorded is not None:
            self.on_recorded()
        answer.decided_ms = (time.perf_counter() - started) * 1000
        return answer
