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

RESERVED_PREFIX = "__sync_"
"""Column names the engine keeps for its own clock columns (a user column may not use it)."""

CLOCK_FIELDS = ("v", "d", "s", "q", "o")
"""A cell's clock columns, in this order: col_version, db_version, site ordinal, seq and
origin version (NULL when it is the db_version). All NULL: the cell has no clock."""

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
    rowid_key: bool = False
    """The key is the table's rowid (one ``INTEGER PRIMARY KEY`` column): every key value is
    an integer, and the clock table is keyed by the same integer as its rowid."""
    non_pk_set: frozenset[str] = field(init=False)
    """The non-key column names, for membership tests."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "non_pk_set", frozenset(self.non_pks))

    @property
    def cells(self) -> tuple[str, ...]:
        """The ``cid`` of every clock a row can hold, by cell number: the existence marker
        (cell 0), then the non-key columns in table order."""
        return (SENTINEL, *self.non_pks)

    @property
    def clock(self) -> str:
        """Quoted name of the clock table: one row per key, every cell's clock in it."""
        return quote_ident(self.name + "__sync_clock")

    @property
    def quoted(self) -> str:
        """Quoted table name."""
        return quote_ident(self.name)

    def packed_key(self, alias: str) -> str:
        """SQL for the packed key of the clock row ``alias``: stored, except for a rowid
        key, which is packed as it is read (its clock row stores NULL)."""
        if self.rowid_key:
            return f"sync_pack({alias}.{quote_ident(self.pks[0])})"
        return f"{alias}.{PK}"


def cell_columns(cell: int, alias: str = "") -> tuple[str, str, str, str, str]:
    """The quoted clock columns of cell ``cell`` (see ``CLOCK_FIELDS``), optionally
    qualified by a table alias."""
    prefix = f"{alias}." if alias else ""
    v, d, s, q, o = (f'{prefix}"{RESERVED_PREFIX}{f}{cell}"' for f in CLOCK_FIELDS)
    return v, d, s, q, o


PK = f'"{RESERVED_PREFIX}pk"'
"""The clock table's column holding cr-sqlite's packed key."""
KEY_VERSION = f'"{RESERVED_PREFIX}kv"'
KEY_NUMBER = f'"{RESERVED_PREFIX}kn"'
"""The row's ordering key (first-appearance order): the version of the transaction that
registered the key and a counter within that transaction."""
ROW_VERSION = f'"{RESERVED_PREFIX}dbv"'
"""The highest db_version of the row's cells (indexed: pulls since a version)."""


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
        if name == SENTINEL or name.lower().startswith(RESERVED_PREFIX):
            raise SchemaRefusedError(
                f"table {table!r}: column name {name!r} is reserved (the engine's clock"
                f" columns start with {RESERVED_PREFIX!r})"
            )
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
    pk_index = False
    for _seq, index_name, unique, origin, _partial in conn.execute(
        f"PRAGMA index_list({quote_ident(table)})"
    ).fetchall():
        pk_index = pk_index or origin == "pk"
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
    # A one-column key without an index of its own is the rowid (INTEGER PRIMARY KEY).
    rowid_key = len(pks) == 1 and not pk_index
    return TableInfo(name=table, pks=pks, non_pks=tuple(non_pks), rowid_key=rowid_key)


def _pk_match(info: TableInfo, prefix: str, alias: str = "") -> str:
    # The unary + drops NEW.x's column affinity: the clock table's key columns have none,
    # and a comparison with affinity on one side could not use their index (a full scan).
    col = f"{alias}." if alias else ""
    return " AND ".join(f"{col}{quote_ident(c)} = +{prefix}.{quote_ident(c)}" for c in info.pks)


def _packed(info: TableInfo, values: str) -> str:
    # A rowid key's packed form is left to the reader (TableInfo.packed_key): one function
    # call less per write.
    return "NULL" if info.rowid_key else f"sync_pack({values})"


def metadata_ddl(info: TableInfo) -> list[str]:
    """DDL of the clock table and its indexes.

    One row per key (WITHOUT ROWID, keyed by the table's key columns): the packed key, the
    ordering key, the row's highest db_version and, per cell (the existence marker, then
    every non-key column), its clock. A single-row write touches this table's leaf and one
    leaf of the db_version index: no key table, no per-cell rows. A table keyed by its rowid
    gets a rowid clock table keyed by the same integer: appending to a rowid b-tree splits
    a page without rebalancing its neighbours (a quarter of a page written per insert less).
    """
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    cells = "".join(
        f", {v} INTEGER, {d} INTEGER, {s} INTEGER, {q} INTEGER, {o} INTEGER"
        for v, d, s, q, o in map(cell_columns, range(len(info.cells)))
    )
    if info.rowid_key:
        key = f"{pk_cols} INTEGER PRIMARY KEY NOT NULL, {PK} BLOB"
        layout = ")"
    else:
        # The key columns carry no type: they hold the table's values as they are.
        key = f"{pk_cols}, {PK} BLOB NOT NULL"
        layout = f", PRIMARY KEY ({pk_cols})) WITHOUT ROWID"
    return [
        f"CREATE TABLE IF NOT EXISTS {info.clock} ({key},"
        f" {KEY_VERSION} INTEGER NOT NULL, {KEY_NUMBER} INTEGER NOT NULL,"
        f" {ROW_VERSION} INTEGER NOT NULL{cells}{layout}",
        f"CREATE INDEX IF NOT EXISTS {quote_ident(info.name + '__sync_clock_dbv')}"
        f" ON {info.clock} ({ROW_VERSION})",
        *(ddl for _name, ddl in origin_indexes(info)),
    ]


def origin_indexes(info: TableInfo) -> list[tuple[str, str]]:
    """The name and DDL of the clock table's indexes for per-origin pulls, one per cell.

    Without them each pull read the whole clock table (76 ms at 5,000 replicated scans).
    Merged cells only: local writes (ordinal 0) are found by db_version, so the write path
    never touches these indexes.
    """
    out = []
    for cell in range(len(info.cells)):
        _v, d, s, _q, o = cell_columns(cell)
        name = quote_ident(f"{info.name}__sync_clock_origin{cell}")
        out.append(
            (
                name,
                f"CREATE INDEX IF NOT EXISTS {name}"
                f" ON {info.clock} ({s}, COALESCE({o}, {d})) WHERE {s} != 0",
            )
        )
    return out


_NEXT = "sync_db_version()"
"""The transaction's db_version (taken at its first write; NULL while the engine merges)."""

KEY_STEP = 1 << 32
"""A local write that registers a key numbers it ``seq * KEY_STEP`` (its first seq number,
unique in the transaction); a merge numbers its new keys between the seq numbers taken
before and after it (``Replica._take_keys``)."""


def _insert_trigger(info: TableInfo) -> str:
    # One upsert for the marker and every column. The version and a block of seq numbers
    # are taken once, in the FROM subquery; a new key is numbered by the first of them. The
    # version function answers NULL while the engine merges: nothing is written then. The
    # marker is only revived when
    # the row had a previous life (an optimisation of cr-sqlite's that the recorded seq
    # numbers depend on): it then takes the first seq, one more is taken for it, and the
    # columns follow in table order.
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    new_vals = ", ".join(f"NEW.{quote_ident(c)}" for c in info.pks)
    v0, d0, s0, q0, o0 = cell_columns(0)
    if not info.non_pks:
        return (
            f"INSERT INTO {info.clock} ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER},"
            f" {ROW_VERSION}, {v0}, {d0}, {s0}, {q0})"
            f" SELECT {new_vals}, {_packed(info, new_vals)}, k.v, k.s * {KEY_STEP}, k.v, 1, k.v,"
            " 0, k.s"
            f" FROM (SELECT {_NEXT} AS v, sync_take_seq(1) AS s) AS k"
            " WHERE k.v IS NOT NULL ON CONFLICT DO UPDATE SET"
            f" {ROW_VERSION} = excluded.{ROW_VERSION},"
            f" {v0} = CASE WHEN {v0} IS NULL THEN 1 WHEN {v0} % 2 = 0 THEN {v0} + 1"
            f" ELSE {v0} + 2 END,"
            f" {d0} = excluded.{d0}, {s0} = 0, {q0} = excluded.{q0}, {o0} = NULL;"
        )
    names: list[str] = []
    values: list[str] = []
    sets: list[str] = []
    first_seq = cell_columns(1)[3]
    for cell in range(1, len(info.cells)):
        v, d, s, q, o = cell_columns(cell)
        names.append(f"{v}, {d}, {s}, {q}")
        values.append(f"1, k.v, 0, k.s + {cell - 1}")
        sets.append(
            f"{v} = COALESCE({v} + 1, 1), {d} = excluded.{d}, {s} = 0,"
            f" {q} = excluded.{q} + ({v0} IS NOT NULL), {o} = NULL"
        )
    return (
        f"INSERT INTO {info.clock} ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER},"
        f" {ROW_VERSION}, {', '.join(names)})"
        f" SELECT {new_vals}, {_packed(info, new_vals)}, k.v, k.s * {KEY_STEP}, k.v,"
        f" {', '.join(values)}"
        f" FROM (SELECT {_NEXT} AS v, sync_take_seq({len(info.non_pks)}) AS s) AS k"
        " WHERE k.v IS NOT NULL ON CONFLICT DO UPDATE SET"
        f" {ROW_VERSION} = excluded.{ROW_VERSION},"
        f" {v0} = CASE WHEN {v0} IS NULL THEN NULL WHEN {v0} % 2 = 0 THEN {v0} + 1"
        f" ELSE {v0} + 2 END,"
        f" {d0} = CASE WHEN {v0} IS NULL THEN NULL ELSE excluded.{ROW_VERSION} END,"
        f" {s0} = CASE WHEN {v0} IS NULL THEN NULL ELSE 0 END,"
        f" {q0} = CASE WHEN {v0} IS NULL THEN NULL"
        f" ELSE excluded.{first_seq} + 0 * sync_take_seq(1) END,"
        f" {o0} = NULL, {', '.join(sets)};"
    )


def _update_trigger(info: TableInfo) -> list[str]:
    pk_changed = " OR ".join(
        f"NEW.{quote_ident(c)} IS NOT OLD.{quote_ident(c)} COLLATE BINARY"
        f" OR typeof(NEW.{quote_ident(c)}) != typeof(OLD.{quote_ident(c)})"
        for c in info.pks
    )
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    new_vals = ", ".join(f"NEW.{quote_ident(c)}" for c in info.pks)
    v0, d0, s0, q0, o0 = cell_columns(0)
    column_cells = range(1, len(info.cells))
    # cr-sqlite takes the next db_version on every updated row, changed or not; the
    # connection keeps that version even when nothing was recorded (see Replica).
    upd: list[str] = [f"SELECT {_NEXT};"]
    if column_cells:
        # A key move: the old key's marker (one seq), its column clocks moved to the new key
        # (one seq each, in column-name order, as cr-sqlite's clock index lists them), the
        # new key's marker (one seq); the seqs are taken as one block by the first statement
        # and read back from the old row's marker by the second.
        present = [f"({cell_columns(c, 'o')[0]} IS NOT NULL)" for c in column_cells]
        moved = " + ".join(present)
        by_name = sorted(column_cells, key=lambda c: info.cells[c])
        upd.append(
            f"UPDATE {info.clock} SET {ROW_VERSION} = {_NEXT}, {v0} = COALESCE({v0} + 1, 2),"
            f" {d0} = {_NEXT}, {s0} = 0, {o0} = NULL,"
            f" {q0} = sync_take_seq(2 + {moved.replace('o.', '')})"
            f" WHERE {_pk_match(info, 'OLD')} AND ({pk_changed});"
        )
        names: list[str] = []
        values: list[str] = []
        sets: list[str] = []
        for cell in column_cells:
            v, d, s, q, o = cell_columns(cell)
            ov = cell_columns(cell, "o")[0]
            rank = " + ".join(["1"] + [present[c - 1] for c in by_name[: by_name.index(cell)]])
            names.append(f"{v}, {d}, {s}, {q}, {o}")
            values.append(
                f"{ov}, CASE WHEN {ov} IS NULL THEN NULL ELSE {_NEXT} END,"
                f" CASE WHEN {ov} IS NULL THEN NULL ELSE 0 END,"
                f" CASE WHEN {ov} IS NULL THEN NULL ELSE o.{q0} + {rank} END, NULL"
            )
            sets.extend(
                f"{f} = CASE WHEN excluded.{v} IS NULL THEN {f} ELSE excluded.{f} END"
                for f in (v, d, s, q, o)
            )
        upd.append(
            f"INSERT INTO {info.clock} ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER},"
            f" {ROW_VERSION}, {v0}, {d0}, {s0}, {q0}, {', '.join(names)})"
            f" SELECT {new_vals}, {_packed(info, new_vals)}, {_NEXT},"
            f" (o.{q0} + 1 + {moved}) * {KEY_STEP}, {_NEXT},"
            f" 1, {_NEXT}, 0, o.{q0} + 1 + {moved}, {', '.join(values)}"
            f" FROM {info.clock} o WHERE {_pk_match(info, 'OLD', 'o')} AND ({pk_changed})"
            " ON CONFLICT DO UPDATE SET"
            f" {ROW_VERSION} = excluded.{ROW_VERSION},"
            f" {v0} = CASE WHEN {v0} IS NULL THEN 1 WHEN {v0} % 2 = 0 THEN {v0} + 1"
            f" ELSE {v0} + 2 END,"
            f" {d0} = excluded.{d0}, {s0} = 0, {q0} = excluded.{q0}, {o0} = NULL,"
            f" {', '.join(sets)};"
        )
        cleared = ", ".join(f"{f} = NULL" for cell in column_cells for f in cell_columns(cell))
        upd.append(
            f"UPDATE {info.clock} SET {cleared} WHERE {_pk_match(info, 'OLD')} AND ({pk_changed});"
        )
    else:
        upd.append(
            f"UPDATE {info.clock} SET {ROW_VERSION} = {_NEXT}, {v0} = COALESCE({v0} + 1, 2),"
            f" {d0} = {_NEXT}, {s0} = 0, {q0} = sync_take_seq(1), {o0} = NULL"
            f" WHERE {_pk_match(info, 'OLD')} AND ({pk_changed});"
        )
        upd.append(
            f"INSERT INTO {info.clock} ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER},"
            f" {ROW_VERSION}, {v0}, {d0}, {s0}, {q0})"
            f" SELECT {new_vals}, {_packed(info, new_vals)}, k.v, k.s * {KEY_STEP}, k.v, 1, k.v,"
            " 0, k.s"
            f" FROM (SELECT {_NEXT} AS v, sync_take_seq(1) AS s) AS k"
            f" WHERE ({pk_changed}) ON CONFLICT DO UPDATE SET"
            f" {ROW_VERSION} = excluded.{ROW_VERSION},"
            f" {v0} = CASE WHEN {v0} IS NULL THEN 1 WHEN {v0} % 2 = 0 THEN {v0} + 1"
            f" ELSE {v0} + 2 END,"
            f" {d0} = excluded.{d0}, {s0} = 0, {q0} = excluded.{q0}, {o0} = NULL;"
        )
    # Then every column whose value changed, in table order, at the (new) key.
    for cell in column_cells:
        col = quote_ident(info.cells[cell])
        v, d, s, q, o = cell_columns(cell)
        upd.append(
            f"UPDATE {info.clock} SET {ROW_VERSION} = {_NEXT}, {v} = COALESCE({v} + 1, 1),"
            f" {d} = {_NEXT}, {s} = 0, {q} = sync_take_seq(1), {o} = NULL"
            f" WHERE {_pk_match(info, 'NEW')} AND (NEW.{col} IS NOT OLD.{col} COLLATE BINARY"
            f" OR typeof(NEW.{col}) != typeof(OLD.{col}));"
        )
    return upd


def _delete_trigger(info: TableInfo) -> str:
    # Only the marker stays, with an even causal length.
    pk_cols = ", ".join(quote_ident(c) for c in info.pks)
    old_vals = ", ".join(f"OLD.{quote_ident(c)}" for c in info.pks)
    v0, d0, s0, q0, o0 = cell_columns(0)
    cleared = "".join(
        f", {f} = NULL" for cell in range(1, len(info.cells)) for f in cell_columns(cell)
    )
    return (
        f"INSERT INTO {info.clock} ({pk_cols}, {PK}, {KEY_VERSION}, {KEY_NUMBER},"
        f" {ROW_VERSION}, {v0}, {d0}, {s0}, {q0})"
        f" SELECT {old_vals}, {_packed(info, old_vals)}, k.v, k.s * {KEY_STEP}, k.v, 2, k.v,"
        " 0, k.s"
        f" FROM (SELECT {_NEXT} AS v, sync_take_seq(1) AS s) AS k"
        " WHERE true ON CONFLICT DO UPDATE SET"
        f" {ROW_VERSION} = excluded.{ROW_VERSION}, {v0} = COALESCE({v0} + 1, 2),"
        f" {d0} = excluded.{d0}, {s0} = 0, {q0} = excluded.{q0}, {o0} = NULL{cleared};"
    )


def trigger_ddl(info: TableInfo) -> list[str]:
    """The AFTER INSERT/UPDATE/DELETE triggers that record local writes.

    They mirror cr-sqlite 0.16.3: an insert writes a clock per non-key column (and the
    existence marker only when the row had a previous life or has no other column), an
    update writes a clock per column whose value changed (by cr-sqlite's comparison, so a
    change of storage class counts), a delete leaves only the existence marker with an even
    causal length. Triggers stay quiet while the engine itself merges: the update and delete
    triggers by their WHEN clause, the insert trigger (the usual write, kept to as few
    function calls as possible) because the version function answers NULL then.

    The statements read no clock table other than the row they write: an INSERT ... SELECT
    that read its own target table would be buffered in a temporary table first. The
    stored db_version is read by the version function, only when needed (Replica).
    """
    name = info.name
    guard = "WHEN sync_merging() = 0"
    q = info.quoted
    return [
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_itrig')} AFTER INSERT ON {q}"
        f" BEGIN {_insert_trigger(info)} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_utrig')} AFTER UPDATE ON {q}"
        f" {guard} BEGIN {' '.join(_update_trigger(info))} END",
        f"CREATE TRIGGER IF NOT EXISTS {quote_ident(name + '__sync_dtrig')} AFTER DELETE ON {q}"
        f" {guard} BEGIN {_delete_trigger(info)} END",
    ]
