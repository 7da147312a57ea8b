"""Double admissions: what every node concludes once partitioned gates have met again.

Gates cut off from each other can both admit one ticket; that cannot be prevented without
giving up offline scanning, so it is made visible. Every node replays each ticket's
accepted scans in the one order all nodes agree on (hybrid clock stamp, then site id)
through the ticket type's entry rules: the first admission stands, and an admission the
rules would have refused had the gate known the others is a double admission. Pure, so
every node derives the same verdicts from the same scans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gate_node.decision import Passage, TicketTypeRules


@dataclass(frozen=True, slots=True)
class DoubleAdmission:
    """An admission that should not have happened, and the admission that stands."""

    ticket_id: str
    stands: Passage
    double: Passage


def _in_order(passages: Sequence[Passage]) -> list[Passage]:
    return sorted(passages, key=lambda p: (p.hlc, p.site, p.scan_id))


def ticket_verdicts(
    ticket_id: str, passages: Sequence[Passage], ticket_type: TicketTypeRules | None
) -> list[DoubleAdmission]:
    """The double admissions of one ticket, given all its accepted scans."""
    found: list[DoubleAdmission] = []
    entries: list[Passage] = []
    inside: Passage | None = None
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
    history: Mapping[str, Sequence[Passage]],
    ticket_types: Mapping[str, TicketTypeRules | None],
) -> list[DoubleAdmission]:
    """Every double admission in the replica, oldest first (by the admission that stands)."""
    found: list[DoubleAdmission] = []
    for ticket_id, passages in history.items():
        if sum(1 for p in passages if p.direction == "in") < 2:
            continue  # one admission can never be a double one
        found.extend(ticket_verdicts(ticket_id, passages, ticket_types.get(ticket_id)))
    found.sort(key=lambda d: (d.double.hlc, d.double.site))
    return found
