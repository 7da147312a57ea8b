"""Set-based merge of a batch that only brings new rows: the initial sync of a replica.

When no row of the batch is known locally, every change is the first value of its cell in
its row's first life, so the sequential rules of ``sync.merge`` reduce to "every change wins,
stamped with the running maximum of the db_versions seen so far". This module writes that
outcome with one ``executemany`` per table and kind (keys, rows, clocks) built column-wise,
instead of a Python step per change. ``eligible`` decides when the reduction holds;
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
from sync.schema import SENTINEL, TableInfo, origin_index, quote_ident
from sync.values import SqlValue

_TABLE_PK = itemgetter(0, 1)
# From this many change rows of one table, a batch drops the per-origin index (rebuilt
# by the next per-origin pull).
_REINDEX_ROWS = 20_000


def _origin(change: Change) -> int:
    return change.origin_version or change.db_version


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
        f"SELECT NOT EXISTS (SELECT 1 FROM {info.pk_table})"
        f" AND NOT EXISTS (SELECT 1 FROM {info.quoted})"
    ).fetchone()[0]
    if empty:
        return True
    name = quote_ident(f"sync_stage__{info.name}")
    cols = ", ".join(quote_ident(c) for c in info.pks)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (pk BLOB PRIMARY KEY, {cols})")
    conn.execute(f"DELETE FROM temp.{name}")
    marks = ", ".join("?" * (len(info.pks) + 1))
    conn.executemany(f"INSERT INTO temp.{name} VALUES ({marks})", rows)
    on = " AND ".join(f"p.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
    known = conn.execute(
        f"SELECT EXISTS (SELECT 1 FROM temp.{name} s JOIN {info.pk_table} p ON {on})"
        f" OR EXISTS (SELECT 1 FROM temp.{name} s JOIN {info.quoted} p ON {on})"
    ).fetchone()[0]
    return not known


def apply(
    conn: sqlite3.Connection,
    batch: list[Change],
    keys: Mapping[tuple[str, bytes], tuple[SqlValue, ...]],
    tables: Mapping[str, TableInfo],
    base_version: int,
) -> int | None:
    """Merge an ``eligible`` batch; returns the transaction's db_version, or None (having
    written nothing) when some row of the batch is already known locally.

    ``base_version`` is the lowest version a write of this transaction may take.
    """
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
    # Keys are numbered in order of first appearance, as the row-by-row path numbers them.
    row_keys: dict[tuple[str, bytes], int] = {}
    for table, rows in by_table.items():
        info = tables[table]
        top = int(conn.execute(f"SELECT coalesce(max(key), 0) FROM {info.pk_table}").fetchone()[0])
        pk_cols = ", ".join(quote_ident(c) for c in info.pks)
        marks = ", ".join("?" * len(info.pks))
        conn.executemany(
            f"INSERT INTO {info.pk_table} (key, pk, {pk_cols}) VALUES (?, ?, {marks})",
            [(top + n, pk, *kv) for n, (pk, kv) in enumerate(rows, start=1)],
        )
        for n, (pk, _kv) in enumerate(rows, start=1):
            row_keys[(table, pk)] = top + n
    # Each write takes the running maximum of the db_versions merged so far, in batch order.
    stamps = list(map(max, repeat(base_version), accumulate(map(itemgetter(5), batch), max)))
    for table, rows in by_table.items():
        info = tables[table]
        position = {c: i for i, c in enumerate(info.non_pks)}
        width = len(info.non_pks)
        cells: dict[bytes, list[SqlValue]] = {pk: [None] * width for pk, _kv in rows}
        in_table = [c for c in batch if c.table == table] if len(by_table) > 1 else batch
        for change in in_table:
            cells[change.pk][position[change.cid]] = change.val
        pk_cols = ", ".join(quote_ident(c) for c in info.pks)
        names = ", ".join(quote_ident(c) for c in info.non_pks)
        marks = ", ".join("?" * (len(info.pks) + width))
        conn.executemany(
            f"INSERT INTO {info.quoted} ({pk_cols}, {names}) VALUES ({marks})",
            [(*kv, *cells[pk]) for pk, kv in rows],
        )
        if len(by_table) > 1:
            picked = [i for i, c in enumerate(batch) if c.table == table]
            in_stamps = [stamps[i] for i in picked]
        else:
            in_stamps = stamps
        # A large batch (a new gate's initial sync) is not indexed row by row: the index
        # for per-origin pulls is rebuilt, sorted, when the next pull needs it.
        if len(in_table) >= _REINDEX_ROWS:
            conn.execute(f"DROP INDEX IF EXISTS {origin_index(info)[0]}")
        conn.executemany(
            f"INSERT INTO {info.clock}"
            " (key, col_name, col_version, db_version, site_ordinal, seq, origin_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(
                map(row_keys.__getitem__, map(_TABLE_PK, in_table)),
                map(itemgetter(2), in_table),
                map(itemgetter(4), in_table),
                in_stamps,
                map(ordinals.__getitem__, map(itemgetter(6), in_table)),
                map(itemgetter(8), in_table),
                map(_origin, in_table),
                strict=True,
            ),
        )
    return int(max(stamps))
