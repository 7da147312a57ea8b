"""Hub changes as local writes of the hub's site, in the hub change's own transaction.

``publish`` turns rows of the replicated tables into the change rows a replica records for
a local write: each changed column takes col_version + 1, an unchanged value writes
nothing, a deleted row gets the next causal length (a marker). The writes go through
``sync.merge.merge_change`` as changes of the hub's site, so the rules stay in one place.
Called inside the transaction of the hub change, nothing is published that PostgreSQL
rolled back and nothing committed goes unpublished.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from contract.package_rows import Row
from hub.replication import store
from hub.replication.errors import NotInTransactionError
from hub.replication.store import RowKey
from hub.replication.tables import TABLE_INFO
from sync.changes import Change
from sync.merge import RowState, VersionClock, merge_change
from sync.pk_codec import pack_pk, unpack_pk
from sync.schema import SENTINEL
from sync.values import SqlValue

KeyValues = tuple[SqlValue, ...]


def _same(left: SqlValue, right: SqlValue) -> bool:
    # 1, 1.0 and True are three different SQLite values to the merge.
    return type(left) is type(right) and left == right


def _value(table: str, column: str, value: object) -> SqlValue:
    if type(value) is bool:
        return int(value)
    if value is None or type(value) in (int, float, str, bytes):
        return value  # type: ignore[return-value]
    raise TypeError(f"{table}.{column}: {type(value).__name__} is not an SQLite value")


def raw_connection(conn: BaseDBAsyncClient) -> asyncpg.Connection:
    """The asyncpg connection under a Tortoise transaction (``in_transaction()``)."""
    pg = getattr(conn, "_connection", None)
    if not isinstance(pg, asyncpg.Connection) or not pg.is_in_transaction():
        raise NotInTransactionError("publish inside the hub change's in_transaction()")
    return pg


class _LocalWrites:
    """The change rows of one transaction's local writes at the hub's site, each merged
    into its row's state as it is made."""

    def __init__(self, clock: VersionClock, site: bytes, version: int) -> None:
        self.clock = clock
        self.site = site
        self.version = version
        self.seq = 0

    def _merge(self, state: RowState, change: Change) -> None:
        merge_change(state, change, self.clock)
        self.seq += 1

    def delete(self, key: RowKey, state: RowState) -> None:
        if not state.exists:
            return
        table, pk = key
        marker = state.cl + 1
        v = self.version
        self._merge(
            state, Change(table, pk, SENTINEL, None, marker, v, self.site, marker, self.seq, v)
        )

    def write(self, key: RowKey, state: RowState, row: Row) -> None:
        table, pk = key
        # A new or deleted row starts its next life; a live row keeps its own.
        life = state.cl if state.exists else state.cl + 1
        v = self.version
        for column in TABLE_INFO[table].non_pks:
            if column not in row:
                continue
            value = _value(table, column, row[column])
            held = state.clocks.get(column)
            if state.exists and held is not None and _same(state.values.get(column), value):
                continue
            cv = 1 if held is None or not state.exists else held[0] + 1
            change = Change(table, pk, column, value, cv, v, self.site, life, self.seq, v)
            self._merge(state, change)


async def publish(
    conn: BaseDBAsyncClient,
    event_id: uuid.UUID,
    rows: Mapping[str, Sequence[Row]],
    *,
    deleted: Mapping[str, Sequence[KeyValues]] | None = None,
) -> int:
    """Write ``rows`` (whole rows of replicated tables, by table) and delete the rows keyed
    ``deleted`` (key values in key order), as the hub's site; returns how many rows changed.
    ``conn`` is the hub change's transaction."""
    return await publish_rows(raw_connection(conn), event_id, rows, deleted=deleted)


async def publish_rows(
    pg: asyncpg.Connection,
    event_id: uuid.UUID,
    rows: Mapping[str, Sequence[Row]],
    *,
    deleted: Mapping[str, Sequence[KeyValues]] | None = None,
    loaded: Mapping[RowKey, RowState] | None = None,
) -> int:
    """``publish`` on an asyncpg connection in a transaction; ``loaded``: states the
    caller already read under this transaction (a snapshot diff), else they are loaded."""
    clock_row = await store.lock_clock(pg, event_id)
    site = clock_row.site_id
    version = clock_row.db_version + 1
    writes: list[tuple[RowKey, Row | None]] = []
    for table, table_rows in rows.items():
        info = TABLE_INFO[table]
        for whole in table_rows:
            key_values = tuple(_value(table, c, whole[c]) for c in info.pks)
            writes.append(((table, pack_pk(key_values)), whole))
    for table, keys in (deleted or {}).items():
        if table not in TABLE_INFO:
            raise KeyError(f"{table!r} is not a replicated table")
        writes.extend(((table, pack_pk(tuple(k))), None) for k in keys)
    if not writes:
        return 0
    states: dict[RowKey, RowState] = dict(
        loaded
        if loaded is not None
        else await store.load_states(pg, event_id, (k for k, _ in writes))
    )
    clock = VersionClock(clock_row.db_version)
    local = _LocalWrites(clock, site, version)
    for key, row in writes:
        state = states.get(key)
        if state is None:
            state = states[key] = RowState(existed=False, exists=False)
        if row is None:
            local.delete(key, state)
        else:
            local.write(key, state, row)
    dirty = {key: st for key, st in states.items() if st.dirty}
    await store.persist(pg, event_id, dirty)
    if clock.pending is not None:
        clock_row.db_version = clock.pending
        await store.save_clock(pg, clock_row)
    return len(dirty)


async def publish_snapshot(
    pg: asyncpg.Connection, event_id: uuid.UUID, tables: Mapping[str, Sequence[Row]]
) -> int:
    """Make each table of ``tables`` hold exactly these rows: a diff against the store, so
    publishing the same rows again writes nothing."""
    await store.lock_clock(pg, event_id)
    loaded: dict[RowKey, RowState] = {}
    deleted: dict[str, list[KeyValues]] = {}
    for table, table_rows in tables.items():
        info = TABLE_INFO[table]
        held = await store.load_table(pg, event_id, table)
        wanted = {pack_pk(tuple(_value(table, c, r[c]) for c in info.pks)) for r in table_rows}
        for pk, state in held.items():
            loaded[(table, pk)] = state
            if state.exists and pk not in wanted:
                deleted.setdefault(table, []).append(unpack_pk(pk))
    return await publish_rows(pg, event_id, tables, deleted=deleted, loaded=loaded)
