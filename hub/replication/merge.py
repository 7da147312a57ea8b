"""Merging a batch of change rows into the PostgreSQL store, in the caller's transaction.

Load the rows the batch touches, run ``sync.merge.merge_change`` for each change in order,
persist what changed: the rules are ``sync``'s, only the I/O is here. Rows the store does
not hold yet whose changes are whole first lives (causal length 1, no existence marker,
each cell once: every scan a gate uploads) take a set-based path instead: there every
change wins, stamped with the running maximum of the db_versions seen, which is what the
sequential rules yield for them (``sync.bulk`` makes the same reduction for SQLite).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import asyncpg

from hub.replication import store
from hub.replication.store import RowKey
from hub.replication.tables import TABLE_INFO
from sync.changes import Change, check_changes
from sync.merge import RowState, VersionClock, merge_change
from sync.schema import SENTINEL, TableInfo

Accept = Callable[[Sequence[Change], bytes], None]
"""The hub's check of a well-formed batch (given the event's hub site id): raises
``RefusedChangeError`` to refuse it whole."""


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """What one merge did: the rows it changed (with their new states) and the clock."""

    received: int
    changed: dict[RowKey, RowState]
    db_version: int


def _fresh_rows(
    batch: list[Change], stored: set[RowKey], clock: VersionClock
) -> tuple[dict[RowKey, RowState], set[RowKey]]:
    """The rows the store does not hold whose changes here are a whole first life (causal
    length 1, no existence marker, each cell once), with the states the sequential rules
    give them: every change wins, stamped with the running maximum of the db_versions (as
    ``VersionClock.next`` gives). Also the keys left to ``merge_change``: stored rows and
    any row whose changes turn out not to be a first life (found in the same pass)."""
    fresh: dict[RowKey, RowState] = {}
    slow: set[RowKey] = set(stored)
    top = max(clock.current + 1, clock.pending or 0)
    for c in batch:
        key = (c.table, c.pk)
        if slow and key in slow:
            continue
        row = fresh.get(key)
        if row is None:
            row = fresh[key] = RowState(existed=False, exists=True, dirty=True)
        cid = c.cid
        if c.cl != 1 or cid == SENTINEL or cid in row.clocks:
            slow.add(key)
            del fresh[key]
            continue
        dbv = c.db_version
        top = max(top, dbv)
        row.values[cid] = c.val
        row.clocks[cid] = (c.col_version, top, c.site_id, c.seq, c.origin_version or dbv)
    if fresh:
        clock.pending = top
    return fresh, slow


async def merge_batch(
    conn: asyncpg.Connection,
    event_id: uuid.UUID,
    changes: Sequence[Sequence[object]],
    *,
    accept: Accept | None = None,
    merge_equal_values: bool = False,
    tables: Mapping[str, TableInfo] = TABLE_INFO,
) -> MergeOutcome:
    """Merge ``changes`` into the event's store inside the caller's transaction.

    A malformed batch is refused whole (``SyncError``) before anything is written; merging
    the same rows again, or in another order, leaves the same states. ``tables``: the
    replicated tables (the contract's; the cr-sqlite vectors bring their own).
    """
    batch, keys = check_changes(list(changes), tables)
    clock_row = await store.lock_clock(conn, event_id)
    if accept is not None and batch:
        accept(batch, clock_row.site_id)
    if not batch:
        return MergeOutcome(0, {}, clock_row.db_version)
    loaded = await store.load_states(conn, event_id, keys)
    clock = VersionClock(clock_row.db_version)
    fresh, slow = _fresh_rows(batch, set(loaded), clock)
    rows: dict[RowKey, RowState] = dict(loaded)
    if slow:
        for change in batch:
            key = (change.table, change.pk)
            if key not in slow:
                continue
            row = rows.get(key)
            if row is None:
                row = rows[key] = RowState(existed=False, exists=False)
            merge_change(row, change, clock, merge_equal_values=merge_equal_values)
    await store.persist(conn, event_id, rows)
    await store.persist(conn, event_id, fresh, new=True)
    await store.record_origins(conn, event_id, batch)
    if clock.pending is not None:
        clock_row.db_version = clock.pending
        await store.save_clock(conn, clock_row)
    changed = {key: st for key, st in rows.items() if st.dirty}
    changed.update(fresh)
    return MergeOutcome(len(batch), changed, clock_row.db_version)
