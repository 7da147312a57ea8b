"""Loading and persisting the state a merge works on (the I/O around ``sync.merge``).

``load_rows`` reads, for every row a batch touches, its clocks and values with a few
set-based queries over a TEMP staging table of keys; ``persist_rows`` writes what the merge
decided with one ``executemany`` per table and kind. Nothing here decides a merge.
"""

# ruff: noqa: S608 - identifiers are quoted by quote_ident (read from the schema); values are bound.

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from sync.changes import Change
from sync.merge import ClockEntry, RowState
from sync.schema import SENTINEL, TableInfo, quote_ident
from sync.values import SqlValue

Keys = Mapping[tuple[str, bytes], tuple[SqlValue, ...]]
"""Each (table, packed key) a batch touches, with the key's values."""


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
    conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (pk BLOB PRIMARY KEY, {cols})")
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
        if conn.execute(f"SELECT 1 FROM {info.pk_table} LIMIT 1").fetchone() is None:
            continue  # an empty replica: nothing to load
        on = " AND ".join(f"p.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
        for pk, cid, cv, dbv, ordinal, seq, origin in conn.execute(
            "SELECT s.pk, c.col_name, c.col_version, c.db_version, c.site_ordinal, c.seq,"
            " COALESCE(c.origin_version, c.db_version)"
            f" FROM {stage} s JOIN {info.pk_table} p ON {on}"
            f" JOIN {info.clock} c ON c.key = p.key"
        ):
            state = rows[pk]
            state.had_metadata = True
            entry: ClockEntry = (cv, dbv, sites[ordinal], seq, origin)
            if cid == SENTINEL:
                state.sentinel = entry
            else:
                state.clocks[cid] = entry
        cols = "".join(f", b.{quote_ident(c)}" for c in info.non_pks)
        join = " AND ".join(f"b.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
        names = info.non_pks
        for found in conn.execute(
            f"SELECT s.pk{cols} FROM {stage} s JOIN {info.quoted} b ON {join}"
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
) -> int:
    """Write the rows and clocks the merge changed (``load_rows`` staged their keys);
    returns how many rows changed."""
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
        stage = _stage_name(info)
        pk_cols = ", ".join(quote_ident(c) for c in info.pks)
        pk_marks = ", ".join("?" * len(info.pks))
        where = " AND ".join(f"{quote_ident(c)} = ?" for c in info.pks)
        on = " AND ".join(f"p.{quote_ident(c)} = s.{quote_ident(c)}" for c in info.pks)
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
        # Metadata: register the new keys in one statement, then replace the clocks of every
        # changed row.
        conn.execute(
            f"INSERT INTO {info.pk_table} (pk, {pk_cols}) SELECT s.pk"
            + "".join(f", s.{quote_ident(c)}" for c in info.pks)
            + f" FROM {stage} s WHERE NOT EXISTS"
            f" (SELECT 1 FROM {info.pk_table} p WHERE {on})"
        )
        row_keys: dict[bytes, int] = dict(
            conn.execute(f"SELECT s.pk, p.key FROM {stage} s JOIN {info.pk_table} p ON {on}")
        )
        old = [(row_keys[pk],) for pk, st in dirty if st.had_metadata]
        if old:
            conn.executemany(f"DELETE FROM {info.clock} WHERE key = ?", old)
        clock_rows: list[tuple[int, str, int, int, int, int, int | None]] = []
        for pk, st in dirty:
            key = row_keys[pk]
            entries = list(st.clocks.items())
            if st.sentinel is not None:
                entries.insert(0, (SENTINEL, st.sentinel))
            for cid, (cv, dbv, site, seq, origin) in entries:
                ordinal = ordinals[site]
                # Local writes leave origin_version NULL (it is their db_version).
                kept = None if ordinal == 0 and origin == dbv else origin
                clock_rows.append((key, cid, cv, dbv, ordinal, seq, kept))
        conn.executemany(
            f"INSERT INTO {info.clock}"
            " (key, col_name, col_version, db_version, site_ordinal, seq, origin_version)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            clock_rows,
        )
    return changed
