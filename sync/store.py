"""Loading and persisting the state a merge works on (the I/O around ``sync.merge``).

``load_rows`` reads, for every row a batch touches, its clocks and values with a few
set-based queries over a TEMP staging table of keys; ``persist_rows`` writes what the merge
decided with one ``executemany`` per table and kind. Nothing here decides a merge.
"""

# ruff: noqa: S608 - identifiers are quoted by quote_ident (read from the schema); values are bound.

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping

from sync.changes import Change
from sync.merge import ClockEntry, RowState
from sync.schema import (
    KEY_NUMBER,
    KEY_VERSION,
    PK,
    ROW_VERSION,
    SENTINEL,
    TableInfo,
    cell_columns,
    quote_ident,
)
from sync.values import SqlValue

Keys = Mapping[tuple[str, bytes], tuple[SqlValue, ...]]
"""Each (table, packed key) a batch touches, with the key's values."""

NewKeys = tuple[int, Callable[[int], int]]
"""How a merge orders the keys it registers: the transaction's lowest db_version, and a
function that reserves ``n`` numbers of the transaction's key counter (returns the first)."""


def _sites(conn: sqlite3.Connection) -> dict[int, bytes]:
    return {int(o): bytes(s) for o, s in conn.execute("SELECT ordinal, site_id FROM sync_site_ids")}


def record_origins(conn: sqlite3.Connection, batch: list[Change]) -> None:
    """Remember, per origin site, the highest origin version received (won or not)."""
    highest: dict[bytes, int] = {}
    for change in batch:
        version = change.origin_version or change.db_version
        if version > highest.get(change.site_id, -1):
            highest[change.site_id] = version
    conn.executemany(
        "INSERT INTO sync_origins (site_id, version) VALUES (?, ?)"
        " ON CONFLICT DO UPDATE SET version = max(version, excluded.version)",
        list(highest.items()),
    )


def _stage_name(info: TableInfo) -> str:
    return "temp." + quote_ident(f"sync_stage__{info.name}")


def _stage(conn: sqlite3.Connection, info: TableInfo) -> str:
    """An empty temp table for the packed and unpacked keys a batch touches in ``info``."""
    name = quote_ident(f"sync_stage__{info.name}")
    cols = ", ".join(quote_ident(c) for c in info.pks)
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({PK} BLOB PRIMARY KEY, {cols})")
    conn.execute(f"DELETE FROM temp.{name}")
    return _stage_name(info)


def load_rows(
    conn: sqlite3.Connection, tables: Mapping[str, TableInfo], keys: Keys
) -> dict[str, dict[bytes, RowState]]:
    """The state of every row in ``keys``: its clocks, and its values if it exists."""
    touched: dict[str, dict[bytes, RowState]] = {}
    for table, pk in keys:
        per_table = touched.get(table)
        if per_table is None:
            per_table = touched[table] = {}
        per_table[pk] = RowState(existed=False, exists=False)
    sites = _sites(conn)
    for table, rows in touched.items():
        info = tables[table]
        stage = _stage(conn, info)
        marks = ", ".join("?" * (len(info.pks) + 1))
        conn.executemany(
            f"INSERT INTO {stage} VALUES ({marks})",
            [(pk, *keys[(table, pk)]) for pk in rows],
        )
        if conn.execute(f"SELECT 1 FROM {info.clock} LIMIT 1").fetchone() is None:
            continue  # an empty replica: nothing to load
        on = " AND ".join(f"c.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
        fields = ", ".join(
            f"{v}, {d}, {site}, {q}, COALESCE({o}, {d})"
            for v, d, site, q, o in (cell_columns(cell, "c") for cell in range(len(info.cells)))
        )
        cids = info.cells
        for found in conn.execute(
            f"SELECT s.{PK}, {fields} FROM {stage} s JOIN {info.clock} c ON {on}"
        ):
            state = rows[found[0]]
            state.had_metadata = True
            for cell, cid in enumerate(cids):
                at = 1 + 5 * cell
                cv = found[at]
                if cv is None:
                    continue
                entry: ClockEntry = (
                    cv,
                    found[at + 1],
                    sites[found[at + 2]],
                    found[at + 3],
                    found[at + 4],
                )
                if cell == 0:
                    state.sentinel = entry
                else:
                    state.clocks[cid] = entry
        cols = "".join(f", b.{quote_ident(c)}" for c in info.non_pks)
        join = " AND ".join(f"b.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
        names = info.non_pks
        for found in conn.execute(
            f"SELECT s.{PK}{cols} FROM {stage} s JOIN {info.quoted} b ON {join}"
        ):
            state = rows[found[0]]
            state.existed = state.exists = True
            state.values = dict(zip(names, found[1:], strict=True))
    return touched


def persist_rows(
    conn: sqlite3.Connection,
    tables: Mapping[str, TableInfo],
    touched: Mapping[str, Mapping[bytes, RowState]],
    keys: Keys,
    sites: set[bytes],
    *,
    new_keys: NewKeys,
) -> int:
    """Write the rows and clocks the merge changed; returns how many rows changed."""
    conn.executemany(
        "INSERT OR IGNORE INTO sync_site_ids (site_id) VALUES (?)", [(site,) for site in sites]
    )
    ordinals = {
        bytes(s): int(o) for o, s in conn.execute("SELECT ordinal, site_id FROM sync_site_ids")
    }
    changed = 0
    for table, rows in touched.items():
        info = tables[table]
        dirty = [(pk, st) for pk, st in rows.items() if st.dirty]
        if not dirty:
            continue
        changed += len(dirty)
        pk_cols = ", ".join(quote_ident(c) for c in info.pks)
        pk_marks = ", ".join("?" * len(info.pks))
        where = " AND ".join(f"{quote_ident(c)} = ?" for c in info.pks)
        unpacked = {pk: keys[(table, pk)] for pk, _st in dirty}
        # Base table: deletes first, then one upsert per set of written columns.
        deletes = [unpacked[pk] for pk, st in dirty if st.deleted]
        if deletes:
            conn.executemany(f"DELETE FROM {info.quoted} WHERE {where}", deletes)
        groups: dict[tuple[str, ...], list[tuple[SqlValue, ...]]] = {}
        for pk, st in dirty:
            if not st.exists:
                continue
            if st.existed and not st.deleted and not st.written:
                continue
            cols = tuple(st.written)
            groups.setdefault(cols, []).append((*unpacked[pk], *(st.written[c] for c in cols)))
        for cols, params in groups.items():
            if cols:
                names = ", ".join(quote_ident(c) for c in cols)
                sets = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in cols)
                conn.executemany(
                    f"INSERT INTO {info.quoted} ({pk_cols}, {names})"
                    f" VALUES ({pk_marks}, {', '.join('?' * len(cols))})"
                    f" ON CONFLICT DO UPDATE SET {sets}",
                    params,
                )
            else:
                conn.executemany(
                    f"INSERT OR IGNORE INTO {info.quoted} ({pk_cols}) VALUES ({pk_marks})",
                    params,
                )
        _write_clocks(conn, info, dirty, unpacked, ordinals, new_keys=new_keys)
    return changed


def _write_clocks(
    conn: sqlite3.Connection,
    info: TableInfo,
    dirty: list[tuple[bytes, RowState]],
    unpacked: Mapping[bytes, tuple[SqlValue, ...]],
    ordinals: Mapping[bytes, int],
    *,
    new_keys: NewKeys,
) -> None:
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    where = " AND ".join(f"{quote_ident(c)} = ?" for c in info.pks)
    # Clocks: one upsert per changed row, every cell written (NULL: no clock). New
    # keys are numbered in order of first appearance in the batch.
    key_version, take_keys = new_keys
    fresh = sum(1 for _pk, st in dirty if not st.had_metadata)
    number = take_keys(fresh) if fresh else 0
    width = len(info.cells)
    position = {cid: cell for cell, cid in enumerate(info.cells)}
    clock_rows: list[list[object]] = []
    gone: list[tuple[SqlValue, ...]] = []
    for pk, st in dirty:
        cells: list[object] = [None] * (5 * width)
        entries = list(st.clocks.items())
        if st.sentinel is not None:
            entries.append((SENTINEL, st.sentinel))
        if not entries:
            gone.append(unpacked[pk])
            continue
        top = 0
        for cid, (cv, dbv, site, seq, origin) in entries:
            ordinal = ordinals[site]
            # Local writes leave origin_version NULL (it is their db_version).
            kept = None if ordinal == 0 and origin == dbv else origin
            at = 5 * position[cid]
            cells[at : at + 5] = (cv, dbv, ordinal, seq, kept)
            top = max(top, dbv)
        if st.had_metadata:
            kn = 0  # kept: the upsert does not touch an existing row's ordering key
        else:
            kn = number
            number += 1
        packed = None if info.rowid_key else pk  # a rowid key is packed as it is read
        clock_rows.append([*unpacked[pk], packed, key_version, kn, top, *cells])
    if gone:
        conn.executemany(f"DELETE FROM {info.clock} WHERE {where}", gone)
    names = ", ".join(", ".join(cell_columns(cell)) for cell in range(width))
    sets = ", ".join(f"{f} = excluded.{f}" for cell in range(width) for f in cell_columns(cell))
    marks = ", ".join("?" * (len(info.pks) + 4 + 5 * width))
    conn.executemany(
        f"INSERT INTO {info.clock}"
        f" ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER}, {ROW_VERSION}, {names})"
        f" VALUES ({marks}) ON CONFLICT DO UPDATE SET"
        f" {ROW_VERSION} = excluded.{ROW_VERSION}, {sets}",
        clock_rows,
    )
