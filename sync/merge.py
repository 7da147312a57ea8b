"""The merge rules of cr-sqlite 0.16.3 as pure functions over in-memory row state.

``apply`` loads the state of the rows a batch touches, runs ``merge_change`` for every change
row in the batch's order and persists the result: no I/O happens here. The rules, per change:

- a change whose causal length (cl) is below the row's is ignored;
- an even cl above the row's deletes the row (only the existence marker keeps a clock);
- the existence marker with an odd cl above the row's revives the row: its column clocks drop
  to version 0 so any value of that life wins;
- a column change with a higher odd cl revives the row first, and then wins;
- otherwise the higher col_version wins; on equal col_versions the greater value wins by
  ``compare_values``; equal values keep the local clock (cr-sqlite's default, merge-equal-values
  off).

Every written clock takes the next db_version, at least the change's own db_version: the
receiver's clock moves like a Lamport clock, and a whole batch shares one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from sync.changes import Change
from sync.schema import SENTINEL
from sync.values import SqlValue, compare_values

ClockEntry: TypeAlias = tuple[int, int, bytes, int, int]
"""A clock: (col_version, db_version, site_id, seq, origin_version)."""


@dataclass(slots=True)
class RowState:
    """What the merge knows of one row: its clocks, its values and what the merge did."""

    existed: bool
    """The table held the row before the merge."""
    exists: bool
    """The table holds the row now."""
    sentinel: ClockEntry | None = None
    clocks: dict[str, ClockEntry] = field(default_factory=dict)
    values: dict[str, SqlValue] = field(default_factory=dict)
    had_metadata: bool = False
    """Clock rows existed for the row before the merge."""
    deleted: bool = False
    """The merge deleted the row from the table at least once."""
    written: dict[str, SqlValue] = field(default_factory=dict)
    """Column values written since the row was last deleted by the merge."""
    dirty: bool = False
    """The merge changed the row's clocks."""

    @property
    def cl(self) -> int:
        """The row's causal length as cr-sqlite reads it: the marker's version, else 1 if
        any clock exists (a row that never died stores no marker), else 0."""
        if self.sentinel is not None:
            return self.sentinel[0]
        return 1 if self.clocks else 0


class VersionClock:
    """The db_version of the merging transaction (cr-sqlite's ``crsql_next_db_version``)."""

    __slots__ = ("current", "pending")

    def __init__(self, current: int, pending: int | None = None) -> None:
        self.current = current
        self.pending = pending

    def next(self, floor: int) -> int:
        """The version to stamp on a write: never below the change's own db_version, never
        below what this transaction already used, always above the last committed one."""
        nxt = max(self.current + 1, floor)
        if self.pending is not None:
            nxt = max(nxt, self.pending)
        self.pending = nxt
        return nxt


def _origin(change: Change) -> int:
    return change.origin_version or change.db_version


def _revive(row: RowState, version: int, change: Change, clock: VersionClock) -> None:
    stamp = clock.next(change.db_version)
    if not row.exists:
        # INSERT OR IGNORE of the bare key: the other columns take their defaults.
        row.exists = True
        row.values = {}
    if row.clocks:
        row.clocks = {
            cid: (0, stamp, site, seq, origin)
            for cid, (_v, _d, site, seq, origin) in row.clocks.items()
        }
    row.sentinel = (version, stamp, change.site_id, change.seq, _origin(change))
    row.dirty = True


def merge_change(
    row: RowState, change: Change, clock: VersionClock, *, merge_equal_values: bool = False
) -> bool:
    """Apply one change row to a row's state; True when it changed anything.

    ``merge_equal_values`` is cr-sqlite's option of that name (off by default, as in the
    recorded vectors): when col_version and value are equal, the greater site id wins, so
    that every replica ends with the same origin for every cell (see docs/replication.md).
    """
    cl = change.cl
    local_cl = row.cl
    if cl < local_cl:
        return False
    if cl % 2 == 0:
        if cl == local_cl:
            return False
        row.sentinel = (
            change.col_version,
            clock.next(change.db_version),
            change.site_id,
            change.seq,
            _origin(change),
        )
        row.clocks = {}
        row.values = {}
        row.written = {}
        row.exists = False
        row.deleted = True
        row.dirty = True
        return True
    cid = change.cid
    if cid == SENTINEL:
        if cl == local_cl:
            return False
        _revive(row, change.col_version, change, clock)
        return True
    needs_revive = cl > local_cl
    if needs_revive and (local_cl != 0 or cl > 1):
        # cr-sqlite revives only a row it has clocks for; a row first seen through a column
        # of a later life (cl > 1) would otherwise sit at an implied cl of 1, and a later
        # marker of that same life would zero its clocks: with deliveries out of order the
        # replicas then disagree. Recording the life here is what in-order delivery (marker
        # first) yields anyway.
        _revive(row, cl, change, clock)
    elif local_cl != 0:
        local = row.clocks.get(cid)
        if local is not None:
            if change.col_version < local[0]:
                return False
            if change.col_version == local[0]:
                order = compare_values(change.val, row.values.get(cid))
                if order == 0 and merge_equal_values:
                    order = (change.site_id > local[2]) - (change.site_id < local[2])
                if order <= 0:
                    return False
    row.exists = True
    row.values[cid] = change.val
    row.written[cid] = change.val
    row.clocks[cid] = (
        change.col_version,
        clock.next(change.db_version),
        change.site_id,
        change.seq,
        _origin(change),
    )
    row.dirty = True
    return True
