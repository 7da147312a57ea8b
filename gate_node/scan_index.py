"""What the scan path needs from past scans, kept in memory: per-ticket history, nonces.

An index on disk would cost a page write and an fsync per scan, so the gate derives this
from the scans table at start-up and keeps it current: every scan recorded here, and every
scan, annulment or override arriving by any other path, must be told to the index.
"""

from __future__ import annotations

import sqlite3

from gate_node import replica
from gate_node.decision import Passage
from gate_node.timestamps import parse_time


class ScanIndex:
    """Accepted scans per ticket (oldest first, annulled ones left out) and nonces seen."""

    def __init__(self) -> None:
        self.history: dict[str, tuple[Passage, ...]] = {}
        self.nonces: dict[str, str] = {}
        self._ticket_of: dict[str, str] = {}
        self._annulled: set[str] = set()
        self._seen: set[str] = set()

    @classmethod
    def build(cls, conn: sqlite3.Connection) -> ScanIndex:
        """Read every scan and annulment once."""
        index = cls()
        for row in replica.scans_for_index(conn):
            index.add(*row)
        for (scan_id,) in conn.execute("SELECT scan_id FROM annulments"):
            index.annul(scan_id)
        return index

    def add(  # noqa: PLR0917 (mirrors the scans row it indexes)
        self,
        scan_id: str,
        nonce: str | None,
        ticket_id: str | None,
        direction: str,
        gate: str,
        status: str,
        at: str | None,
        hlc: int | None,
        site: str | None,
    ) -> None:
        """Account for one scan that is now in the replica (again: nothing changes)."""
        if scan_id in self._seen:
            return
        if at is None:
            # Merged rows may arrive a column at a time: a scan is placed once its time is
            # there (its next merge tells the index again).
            return
        self._seen.add(scan_id)
        if nonce is not None:
            self.nonces.setdefault(nonce, scan_id)
        if status != "ok" or ticket_id is None or scan_id in self._annulled:
            return
        self._ticket_of[scan_id] = ticket_id
        passage = Passage(
            "out" if direction == "out" else "in",
            gate,
            parse_time(at),
            scan_id,
            hlc or 0,
            site or "",
        )
        previous = self.history.get(ticket_id, ())
        if previous and _order(previous[-1]) > _order(passage):
            merged = sorted((*previous, passage), key=_order)
            self.history[ticket_id] = tuple(merged)
        else:
            self.history[ticket_id] = (*previous, passage)

    def annul(self, scan_id: str) -> None:
        """Leave an annulled scan out of its ticket's history from now on."""
        self._annulled.add(scan_id)
        ticket_id = self._ticket_of.pop(scan_id, None)
        if ticket_id is not None:
            self.history[ticket_id] = tuple(
                p for p in self.history[ticket_id] if p.scan_id != scan_id
            )


def _order(passage: Passage) -> tuple[int, str]:
    """Causal order across gates: hybrid clock stamp, then site id (as every node derives)."""
    return passage.hlc, passage.site
