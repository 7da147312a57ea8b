"""What a replicated table looks like, the rules that refuse a table, and the DDL that makes
one replicated (metadata tables and triggers), mirroring cr-sqlite 0.16.3's ``crsql_as_crr``.
"""

# ruff: noqa: S608 - identifiers are quoted by quote_ident/quote_text and values are bound; the
# only strings formatted into SQL are table and column names read from the schema.

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field

from sync.errors import SchemaRefusedError

SENTINEL = "-1"
"""The ``cid`` of a row's existence marker; its col_version is the row's causal length."""

_AUTOINCREMENT = re.compile(r"\bAUTOINCREMENT\b", re.IGNORECASE)


def quote_ident(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_text(text: str) -> str:
    """Quote an SQL text literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A replicated table: its key columns (in key order) and other columns (table order)."""

    name: str
    pks: tuple[str, ...]
    non_pks: tuple[str, ...]
    non_pk_set: frozenset[str] = field(init=False)
    """The non-key column names, for membership tests."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "non_pk_set", frozenset(self.non_pks))

    @property
    def clock(self) -> str:
        """Quoted name of the per-column clock table."""
        return quote_ident(self.name + "__sync_clock")

    @property
    def pk_table(self) -> str:
        """Quoted name of the key lookup table (integer key, packed key, key values)."""
        return quote_ident(self.name + "__sync_pks")

    @property
    def quoted(self) -> str:
        """Quoted table name."""
        return quote_ident(self.name)


def inspect_table(conn: sqlite3.Connection, table: str) -> TableInfo:
    """Read a table's shape, refusing what cr-sqlite would refuse.

    Raises ``SchemaRefusedError`` naming the table and the rule: no such table, no primary
    key, a nullable key column, a NOT NULL column without a default outside the key, a
    unique constraint or unique index besides the primary key, AUTOINCREMENT, or a column
    name the engine reserves.
    """
    row = conn.execute(
        "SELECT type, sql FROM sqlite_master WHERE name = ? AND type = 'table'", (table,)
    ).fetchone()
    if row is None:
        raise SchemaRefusedError(f"table {table!r} does not exist")
    sql = row[1] or ""
    if table.startswith("sqlite_") or "__sync" in table or table.startswith("sync_"):
        raise SchemaRefusedError(f"table {table!r}: the name is reserved")
    if _AUTOINCREMENT.search(sql):
        raise SchemaRefusedError(
            f"table {table!r} uses AUTOINCREMENT: replicas would hand out the same keys"
        )
    columns = conn.execute(f"PRAGMA table_xinfo({quote_ident(table)})").fetchall()
    pk_cols: list[tuple[int, str]] = []
    non_pks: list[str] = []
    for _cid, name, _ctype, notnull, default, pk, hidden in columns:
        if hidden:
            raise SchemaRefusedError(f"table {table!r} has a generated or hidden column {name!r}")
        if name == SENTINEL:
            raise SchemaRefusedError(f"table {table!r}: column name {name!r} is reserved")
        if pk:
            if not notnull:
                raise SchemaRefusedError(
                    f"table {table!r}: primary key column {name!r} is nullable; declare it NOT NULL"
                )
            pk_cols.append((pk, name))
        else:
            if notnull and default is None:
                raise SchemaRefusedError(
                    f"table {table!r}: column {name!r} is NOT NULL without a default;"
                    " a merge may create the row before that column arrives"
                )
            non_pks.append(name)
    if not pk_cols:
        raise SchemaRefusedError(f"table {table!r} has no primary key")
    for _seq, index_name, unique, origin, _partial in conn.execute(
        f"PRAGMA index_list({quote_ident(table)})"
    ).fetchall():
        if unique and origin != "pk":
            raise SchemaRefusedError(
                f"table {table!r} has a unique constraint or index {index_name!r} besides"
                " the primary key: concurrent writes could not both be kept"
            )
    fks = conn.execute(f"PRAGMA foreign_key_list({quote_ident(table)})").fetchall()
    if fks:
        raise SchemaRefusedError(
            f"table {table!r} has foreign key constraints: replication may apply a child"
            " before its parent"
        )
    pks = tuple(name for _pos, name in sorted(pk_cols))
    return TableInfo(name=table, pks=pks, non_pks=tuple(non_pks))


def _pk_match(info: TableInfo, prefix: str, alias: str = "") -> str:
    # The unary + drops NEW.x's column affinity: the lookup table's key columns have none,
    # and a comparison with affinity on one side could not use their index (a full scan).
    col = f"{alias}." if alias else ""
    return " AND ".join(f"{col}{quote_ident(c)} = +{prefix}.{quote_ident(c)}" for c in info.pks)


def _key_of(info: TableInfo, prefix: str) -> str:
    return f"(SELECT key FROM {info.pk_table} WHERE {_pk_match(info, prefix)})"


def metadata_ddl(info: TableInfo) -> list[str]:
    """DDL of the key lookup table, the clock table and its index."""
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    name = info.name
    return [
        f"CREATE TABLE IF NOT EXISTS {info.pk_table} (key INTEGER PRIMARY KEY,"
        f" pk BLOB NOT NULL, {pk_cols}, UNIQUE ({pk_cols}))",
        # Keyed like cr-sqlite's: changes with equal (db_version, seq) list in (key,
        # col_name) order, which is the order of this key.
        f"CREATE TABLE IF NOT EXISTS {info.clock} (key INTEGER NOT NULL,"
        " col_name TEXT NOT NULL, col_version INTEGER NOT NULL, db_version INTEGER NOT NULL,"
        " site_ordinal INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL,"
        # The db_version the write had at its origin site, when that is not db_version
        # (merged writes); NULL for local writes. Per-origin pulls (Replica.changes_missing)
        # select on it.
        " origin_version INTEGER,"
        " PRIMARY KEY (key, col_name)) WITHOUT ROWID",
        f"CREATE INDEX IF NOT EXISTS {quote_ident(name + '__sync_clock_dbv')}"
        f" ON {info.clock} (db_version)",
        origin_index(info)[1],
    ]


def origin_index(info: TableInfo) -> tuple[str, str]:
    """The name and DDL of the clock table's index for per-origin pulls.

    Without it each pull read the whole clock table (76 ms at 5,000 replicated scans).
    Merged rows only: local writes (ordinal 0) are found by db_version, so the write path
    keeps one index less to maintain.
    """
    name = quote_ident(info.name + "__sync_clock_origin")
    return name, (
        f"CREATE INDEX IF NOT EXISTS {name}"
        f" ON {info.clock} (site_ordinal, COALESCE(origin_version, db_version))"
        " WHERE site_ordinal != 0"
    )


_NEXT = "sync_next_db_version()"
_SEQ = "sync_next_seq()"


def _clock_upsert(info: TableInfo, prefix: str, col: str, extra_where: str = "") -> str:
    # A column write: a fresh clock starts at 1, an existing one counts up.
    return (
        f"INSERT INTO {info.clock} (key, col_name, col_version, db_version, seq, site_ordinal)"
        f" SELECT key, {quote_text(col)}, 1, {_NEXT}, {_SEQ}, 0 FROM {info.pk_table}"
        f" WHERE {_pk_match(info, prefix)}{extra_where}"
        " ON CONFLICT DO UPDATE SET col_version = col_version + 1,"
        " db_version = excluded.db_version, seq = excluded.seq,"
        " site_ordinal = 0, origin_version = NULL;"
    )


def _sentinel_created(info: TableInfo, prefix: str) -> str:
    # Creating a row makes its causal length odd again (1 when new).
    return (
        f"INSERT INTO {info.clock} (key, col_name, col_version, db_version, seq, site_ordinal)"
        f" SELECT key, '{SENTINEL}', 1, {_NEXT}, {_SEQ}, 0 FROM {info.pk_table}"
        f" WHERE {_pk_match(info, prefix)}"
        " ON CONFLICT DO UPDATE SET col_version ="
        " CASE col_version % 2 WHEN 0 THEN col_version + 1 ELSE col_version + 2 END,"
        " db_version = excluded.db_version, seq = excluded.seq,"
        " site_ordinal = 0, origin_version = NULL;"
    )


def _sentinel_deleted(info: TableInfo, prefix: str) -> str:
    return (
        f"INSERT INTO {info.clock} (key, col_name, col_version, db_version, seq, site_ordinal)"
        f" SELECT key, '{SENTINEL}', 2, {_NEXT}, {_SEQ}, 0 FROM {info.pk_table}"
        f" WHERE {_pk_match(info, prefix)}"
        " ON CONFLICT DO UPDATE SET col_version = col_version + 1,"
        " db_version = excluded.db_version, seq = excluded.seq,"
        " site_ordinal = 0, origin_version = NULL;"
        f"DELETE FROM {info.clock} WHERE key = {_key_of(info, prefix)}"
        f" AND col_name != '{SENTINEL}';"
    )


def _register_key(info: TableInfo, prefix: str) -> str:
    cols = ", ".join(quote_ident(c) for c in info.pks)
    vals = ", ".join(f"{prefix}.{quote_ident(c)}" for c in info.pks)
    return (
        f"INSERT INTO {info.pk_table} (pk, {cols}) VALUES (sync_pack({vals}), {vals})"
        " ON CONFLICT DO NOTHING;"
    )


def trigger_ddl(info: TableInfo, stored_version: str) -> list[str]:
    """The AFTER INSERT/UPDATE/DELETE triggers that record local writes.

    They mirror cr-sqlite 0.16.3: an insert writes a clock per non-key column (and the
    existence marker only when the row had a previous life or has no other column), an
    update writes a clock per column whose value changed (by cr-sqlite's comparison, so a
    change of storage class counts), a delete leaves only the existence marker with an even
    causal length. Triggers stay quiet while the engine itself merges.

    ``stored_version`` is an SQL expression for the database's stored db_version; it is
    handed to the version function so that taking a version needs no query from Python.
    """
    name = info.name
    guard = "WHEN sync_merging() = 0"
    ins: list[str] = [_register_key(info, "NEW")]
    if not info.non_pks:
        ins.append(_sentinel_created(info, "NEW"))
    else:
        # One statement for the marker and every column: one Python call for the version,
        # one for a block of seq numbers. The marker is only revived when the row had a
        # previous life (an optimisation of cr-sqlite's that the recorded seq numbers
        # depend on); it takes the first seq, then the columns in table order.
        columns = ", ".join(
            f"({quote_text(col)}, {i})" for i, col in enumerate((SENTINEL, *info.non_pks))
        )
        key = _key_of(info, "NEW")
        # changes() is the count of the key insert just before (the trigger's previous
        # statement): a key that was only now registered has no clocks, so the marker
        # lookup is skipped for new rows, the usual insert (a CASE branch only runs when
        # taken). Compaction only forgets keys that have no clocks left.
        revive = (
            f"(CASE WHEN changes() THEN 0 ELSE (SELECT EXISTS (SELECT 1 FROM {info.clock}"
            f" WHERE key = {key} AND col_name = '{SENTINEL}')) END)"
        )
        # Uncorrelated scalar subqueries run once per statement: one Python call each.
        ins.append(
            f"INSERT INTO {info.clock}"
            " (key, col_name, col_version, db_version, seq, site_ordinal)"
            " SELECT p.key, c.column1, 1, (SELECT sync_next_db_version()),"
            f" (SELECT sync_take_seq({len(info.non_pks)} + {revive}))"
            f" + c.column2 - 1 + {revive}, 0"
            f" FROM {info.pk_table} p, (VALUES {columns}) c"
            f" WHERE {_pk_match(info, 'NEW', 'p')} AND (c.column2 > 0 OR {revive})"
            " ON CONFLICT DO UPDATE SET col_version = CASE WHEN col_name != '-1'"
            " THEN col_version + 1 WHEN col_version % 2 = 0 THEN col_version + 1"
            " ELSE col_version + 2 END,"
            " db_version = excluded.db_version, seq = excluded.seq,"
            " site_ordinal = 0, origin_version = NULL;"
        )

    pk_changed = " OR ".join(
        f"NEW.{quote_ident(c)} IS NOT OLD.{quote_ident(c)} COLLATE BINARY"
        f" OR typeof(NEW.{quote_ident(c)}) != typeof(OLD.{quote_ident(c)})"
        for c in info.pks
    )
    # cr-sqlite takes the next db_version on every updated row, changed or not; the
    # connection keeps that version even when nothing was recorded (see Replica).
    upd: list[str] = [f"SELECT {_NEXT};"]
    move_cols = ", ".join(quote_ident(c) for c in info.pks)
    upd.append(
        f"INSERT INTO {info.pk_table} (pk, {move_cols})"
        f" SELECT sync_pack({', '.join('NEW.' + quote_ident(c) for c in info.pks)}),"
        f" {', '.join('NEW.' + quote_ident(c) for c in info.pks)} WHERE {pk_changed}"
        " ON CONFLICT DO NOTHING;"
    )
    upd.append(
        f"INSERT INTO {info.clock} (key, col_name, col_version, db_version, seq, site_ordinal)"
        f" SELECT key, '{SENTINEL}', 2, {_NEXT}, {_SEQ}, 0 FROM {info.pk_table}"
        f" WHERE {_pk_match(info, 'OLD')} AND ({pk_changed})"
        " ON CONFLICT DO UPDATE SET col_version = col_version + 1,"
        " db_version = excluded.db_version, seq = excluded.seq,"
        " site_ordinal = 0, origin_version = NULL;"
    )
    # The columns move to the new key. cr-sqlite keeps their old db_version, so a peer that
    # pulled before the move never receives them for the new key; they are stamped as
    # this transaction's writes instead (a deliberate difference, docs/replication.md).
    upd.append(
        f"UPDATE {info.clock} SET key = {_key_of(info, 'NEW')}, db_version = {_NEXT},"
        f" seq = {_SEQ}, site_ordinal = 0, origin_version = NULL"
        f" WHERE key = {_key_of(info, 'OLD')} AND col_name != '{SENTINEL}' AND ({pk_changed});"
    )
    upd.append(
        f"INSERT INTO {info.clock} (key, col_name, col_version, db_version, seq, site_ordinal)"
        f" SELECT key, '{SENTINEL}', 1, {_NEXT}, {_SEQ}, 0 FROM {info.pk_table}"
        f" WHERE {_pk_match(info, 'NEW')} AND ({pk_changed})"
        " ON CONFLICT DO UPDATE SET col_version ="
        " CASE col_version % 2 WHEN 0 THEN col_version + 1 ELSE col_version + 2 END,"
        " db_version = excluded.db_version, seq = excluded.seq,"
        " site_ordinal = 0, origin_version = NULL;"
    )
    for col in info.non_pks:
        q = quote_ident(col)
        changed = (
            f" AND (NEW.{q} IS NOT OLD.{q} COLLATE BINARY OR typeof(NEW.{q}) != typeof(OLD.{q}))"
        )
        upd.append(_clock_upsert(info, "NEW", col, changed))

    dele = [_register_key(info, "OLD"), _sentinel_deleted(info, "OLD")]
    q = info.quoted
    ddl = [
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_itrig')} AFTER INSERT ON {q}"
        f" {guard} BEGIN {' '.join(ins)} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_utrig')} AFTER UPDATE ON {q}"
        f" {guard} BEGIN {' '.join(upd)} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_dtrig')} AFTER DELETE ON {q}"
        f" {guard} BEGIN {' '.join(dele)} END",
    ]
    return [d.replace(_NEXT, f"sync_next_db_version({stored_version})") for d in ddl]
