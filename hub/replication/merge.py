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


def _first_lives(batch: list[Change], stored: set[RowKey]) -> set[RowKey]:
    """Keys whose changes here are a whole first life of a row the store does not hold."""
    seen: set[tuple[str, bytes, str]] = set()
    fast: set[RowKey] = set()
    slow: set[RowKey] = set(stored)
    for c in batch:
        key = (c.table, c.pk)
        if key in slow:
            continue
        cell = (c.table, c.pk, c.cid)
        if c.cl != 1 or c.cid == SENTINEL or cell in seen:
            slow.add(key)
            fast.discard(key)
            continue
        seen.add(cell)
        fast.add(key)
    return fast


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
    fast = _first_lives(batch, set(loaded))
    clock = VersionClock(clock_row.db_version)
    rows: dict[RowKey, RowState] = dict(loaded)
    slow_changes = [c for c in batch if (c.table, c.pk) not in fast] if fast else batch
    for change in slow_changes:
        key = (change.table, change.pk)
        row = rows.get(key)
        if row is None:
            row = rows[key] = RowState(existed=False, exists=False)
        merge_change(row, change, clock, merge_equal_values=merge_equal_values)
    fresh: dict[RowKey, RowState] = {}
    if fast:
        # Every change wins; stamps are the running maximum, as VersionClock.next gives.
        top = max(clock.current + 1, clock.pending or 0)
        for c in batch:
            key = (c.table, c.pk)
            if key not in fast:
                continue
            row = fresh.get(key)
            if row is None:
                row = fresh[key] = RowState(existed=False, exists=True, dirty=True)
            top = max(top, c.db_version)
            row.values[c.cid] = c.val
            row.written[c.cid] = c.val
            row.clocks[c.cid] = (
                c.col_version,
                top,
                c.site_id,
                c.seq,
                c.origin_version or c.db_version,
            )
        clock.pending = top
    await store.persist(conn, event_id, rows)
    await store.persist(conn, event_id, fresh, new=True)
    await store.record_origins(conn, event_id, batch)
    if clock.pending is not None:
        clock_row.db_version = clock.pending
        await store.save_clock(conn, clock_row)
    changed = {key: st for key, st in rows.items() if st.dirty}
    changed.update(fresh)
    return MergeOutcome(len(batch), changed, clock_row.db_version)
