"""Set-based merge of a batch that only brings new rows: the initial sync of a replica.

When no row of the batch is known locally, every change is the first value of its cell in
its row's first life, so the sequential rules of ``sync.merge`` reduce to "every change wins,
stamped with the running maximum of the db_versions seen so far". This module writes that
outcome with one ``executemany`` per table for the rows and one for their clock rows (one
per key), instead of a merge step per change. ``eligible`` decides when the reduction holds;
anything else goes through ``sync.merge``. A property test checks that both paths leave
identical databases.
"""

# ruff: noqa: S608 - identifiers are quoted by quote_ident; values are bound.

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from itertools import accumulate, repeat
from operator import itemgetter

from sync.changes import Change
from sync.schema import (
    KEY_NUMBER,
    KEY_VERSION,
    PK,
    ROW_VERSION,
    SENTINEL,
    TableInfo,
    cell_columns,
    origin_indexes,
    quote_ident,
)
from sync.store import NewKeys
from sync.values import SqlValue

# From this many change rows of one table, a batch drops the per-origin index (rebuilt
# by the next per-origin pull).
_REINDEX_ROWS = 20_000


def eligible(
    batch: list[Change],
    keys: Mapping[tuple[str, bytes], tuple[SqlValue, ...]],
    tables: Mapping[str, TableInfo],
) -> bool:
    """True when the batch is whole first lives of rows: causal length 1 everywhere, no
    existence marker, each cell once, and every column of every row present (so nothing is
    left to a column default). Whether the rows are new locally is checked by ``apply``."""
    if max(map(itemgetter(7), batch)) != 1 or SENTINEL in set(map(itemgetter(2), batch)):
        return False
    if len(set(map(itemgetter(0, 1, 2), batch))) != len(batch):
        return False
    per_table: dict[str, int] = {}
    for table, _pk in keys:
        per_table[table] = per_table.get(table, 0) + 1
    return sum(n * len(tables[t].non_pks) for t, n in per_table.items()) == len(batch)


def _all_new(conn: sqlite3.Connection, info: TableInfo, rows: list[tuple[SqlValue, ...]]) -> bool:
    empty = conn.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {info.clock})"
        f" AND NOT EXISTS (SELECT 1 FROM {info.quoted})"
    ).fetchone()[0]
    if empty:
        return True
    name = quote_ident(f"sync_stage__{info.name}")
    cols = ", ".join(quote_ident(c) for c in info.pks)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({PK} BLOB PRIMARY KEY, {cols})")
    conn.execute(f"DELETE FROM temp.{name}")
    marks = ", ".join("?" * (len(info.pks) + 1))
    conn.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", rows)
    on = " AND ".join(f"p.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
    known = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM temp.{name} s JOIN {info.clock} p ON {on})"
        f" OR EXISTS (SELECT 1 FROM temp.{name} s JOIN {info.quoted} p ON {on})"
    ).fetchone()[0]
    return not known


def apply(
    conn: sqlite3.Connection,
    batch: list[Change],
    keys: Mapping[tuple[str, bytes], tuple[SqlValue, ...]],
    tables: Mapping[str, TableInfo],
    *,
    new_keys: NewKeys,
) -> int | None:
    """Merge an ``eligible`` batch; returns the transaction's db_version, or None (having
    written nothing) when some row of the batch is already known locally.

    ``new_keys[0]`` is the lowest version a write of this transaction may take; keys are
    numbered from ``new_keys[1]`` in order of first appearance, as the row-by-row path
    numbers them.
    """
    base_version, take_keys = new_keys
    by_table: dict[str, list[tuple[bytes, tuple[SqlValue, ...]]]] = {}
    for (table, pk), key_values in keys.items():
        by_table.setdefault(table, []).append((pk, key_values))
    for table, rows in by_table.items():
        if not _all_new(conn, tables[table], [(pk, *kv) for pk, kv in rows]):
            return None
    conn.executemany(
        "INSERT OR IGNORE INTO sync_site_ids (site_id) VALUES (?)",
        [(site,) for site in set(map(itemgetter(6), batch))],
    )
    ordinals = {
        bytes(s): int(o) for o, s in conn.execute("SELECT ordinal, site_id FROM sync_site_ids")
    }
    # Each write takes the running maximum of the db_versions merged so far, in batch order.
    stamps = list(map(max, repeat(base_version), accumulate(map(itemgetter(5), batch), max)))
    for table, rows in by_table.items():
        info = tables[table]
        position = {c: i for i, c in enumerate(info.non_pks)}
        width = len(info.non_pks)
        values: dict[bytes, list[SqlValue]] = {pk: [None] * width for pk, _kv in rows}
        # Clock cells 1.. (the columns; no marker: every row is in its first life).
        clocks: dict[bytes, list[int | None]] = {pk: [None] * (5 * width) for pk, _kv in rows}
        tops: dict[bytes, int] = {}
        if len(by_table) > 1:
            picked = [i for i, c in enumerate(batch) if c.table == table]
            in_table = [batch[i] for i in picked]
            in_stamps = [stamps[i] for i in picked]
        else:
            in_table, in_stamps = batch, stamps
        for change, stamp in zip(in_table, in_stamps, strict=True):
            pk = change.pk
            at = position[change.cid]
            values[pk][at] = change.val
            ordinal = ordinals[change.site_id]
            origin = change.origin_version or change.db_version
            # Local writes leave origin_version NULL (it is their db_version).
            kept = None if ordinal == 0 and origin == stamp else origin
            clocks[pk][5 * at : 5 * at + 5] = (
                change.col_version,
                stamp,
                ordinal,
                change.seq,
                kept,
            )
            tops[pk] = stamp  # stamps only grow: the last is the row's highest
        pk_cols = ", ".join(quote_ident(c) for c in info.pks)
        names = ", ".join(quote_ident(c) for c in info.non_pks)
        marks = ", ".join("?" * (len(info.pks) + width))
        conn.executemany(
            f"INSERT INTO {info.quoted} ({pk_cols}, {names}) VALUES ({marks})",
            [(*kv, *values[pk]) for pk, kv in rows],
        )
        # A large batch (a new gate's initial sync) is not indexed row by row: the indexes
        # for per-origin pulls are rebuilt, sorted, when the next pull needs them.
        if len(in_table) >= _REINDEX_ROWS:
            for index, _ddl in origin_indexes(info):
                conn.execute(f"DROP INDEX IF EXISTS {index}")
        first = take_keys(len(rows))
        rowid = info.rowid_key  # a rowid key is packed as it is read: NULL here
        cells = ", ".join(", ".join(cell_columns(cell)) for cell in range(1, width + 1))
        marks = ", ".join("?" * (len(info.pks) + 4 + 5 * width))
        conn.executemany(
            f"INSERT INTO {info.clock}"
            f" ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER}, {ROW_VERSION}, {cells})"
            f" VALUES ({marks})",
            [
                (*kv, None if rowid else pk, base_version, first + n, tops[pk], *clocks[pk])
                for n, (pk, kv) in enumerate(rows)
            ],
        )
    return int(max(stamps))
