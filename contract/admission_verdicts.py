"""Double admissions: what every node concludes once partitioned gates have met again.

Gates cut off from each other can both admit one ticket; that cannot be prevented without
giving up offline scanning, so it is made visible. Every node replays each ticket's
accepted scans in the one order all nodes agree on (hybrid clock stamp, then site id)
through the ticket type's entry rules: the first admission stands, and an admission the
rules would have refused had the gate known the others is a double admission. Pure, so
every node (each gate over its replica, the hub over its ingested scans) derives the same
verdicts from the same scans; both read their own scan records through `AcceptedScan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar


class AcceptedScan(Protocol):
    """What the rule reads of one accepted scan: an admission ("in") or an exit ("out")."""

    @property
    def direction(self) -> str: ...
    @property
    def hlc(self) -> int: ...
    @property
    def site(self) -> str: ...
    @property
    def scan_id(self) -> str: ...


class EntryLimits(Protocol):
    """What the rule reads of a ticket type (see contract.event_package.TicketType)."""

    @property
    def entry_mode(self) -> str: ...
    @property
    def max_entries(self) -> int | None: ...
    @property
    def reentry(self) -> bool: ...


S = TypeVar("S", bound=AcceptedScan)


@dataclass(frozen=True, slots=True)
class DoubleAdmission(Generic[S]):
    """An admission that should not have happened, and the admission that stands."""

    ticket_id: str
    stands: S
    double: S


def _in_order(passages: Sequence[S]) -> list[S]:
    return sorted(passages, key=lambda p: (p.hlc, p.site, p.scan_id))


def ticket_verdicts(
    ticket_id: str, passages: Sequence[S], ticket_type: EntryLimits | None
) -> list[DoubleAdmission[S]]:
    """The double admissions of one ticket, given all its accepted scans."""
    found: list[DoubleAdmission[S]] = []
    entries: list[S] = []
    inside: S | None = None
    multi = ticket_type is not None and ticket_type.entry_mode == "multi"
    reentry = ticket_type is None or ticket_type.reentry
    max_entries = None if ticket_type is None else ticket_type.max_entries
    for passage in _in_order(passages):
        if passage.direction == "out":
            inside = None
            continue
        if max_entries is not None and len(entries) >= max_entries:
            found.append(DoubleAdmission(ticket_id, entries[0], passage))
            continue
        if not multi:
            if inside is not None:
                found.append(DoubleAdmission(ticket_id, inside, passage))
                continue
            if entries and not reentry:
                found.append(DoubleAdmission(ticket_id, entries[0], passage))
                continue
            inside = passage
        entries.append(passage)
    return found


def double_admissions(
    history: Mapping[str, Sequence[S]],
    ticket_types: Mapping[str, EntryLimits | None],
) -> list[DoubleAdmission[S]]:
    """Every double admission in the scans, oldest first (by the admission that stands)."""
    found: list[DoubleAdmission[S]] = []
    for ticket_id, passages in history.items():
        if sum(1 for p in passages if p.direction == "in") < 2:
            continue  # one admission can never be a double one
        found.extend(ticket_verdicts(ticket_id, passages, ticket_types.get(ticket_id)))
    found.sort(key=lambda d: (d.double.hlc, d.double.site))
    return found
