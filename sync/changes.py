"""Change rows: the unit of replication, exactly the columns of cr-sqlite's ``crsql_changes``."""

# ruff: noqa: S608 - identifiers are quoted by quote_ident/quote_text; values are bound.

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from sync.errors import MalformedChangeError, NotReplicatedError
from sync.pk_codec import unpack_pk
from sync.schema import (
    KEY_NUMBER,
    KEY_VERSION,
    ROW_VERSION,
    SENTINEL,
    TableInfo,
    cell_columns,
    quote_ident,
    quote_text,
)
from sync.values import SqlValue

SITE_ID_LEN = 16
_VALUE_TYPES: frozenset[type] = frozenset({int, float, str, bytes, type(None)})


class Change(NamedTuple):
    """One change row: ``[table, pk, cid, val, col_version, db_version, site_id, cl, seq]``.

    ``pk`` is cr-sqlite's packed key, ``cid`` a column name or ``"-1"`` for the row's
    existence marker, ``db_version`` the sending replica's clock when it recorded the change,
    ``site_id`` the 16-byte id of the replica that wrote it first, ``cl`` the row's causal
    length (odd: exists, even: deleted) and ``seq`` the change's order in its transaction.
    The first nine fields are exactly cr-sqlite's.
    """

    table: str
    pk: bytes
    cid: str
    val: SqlValue
    col_version: int
    db_version: int
    site_id: bytes
    cl: int
    seq: int
    origin_version: int = 0
    """Beyond cr-sqlite: the db_version the write had at ``site_id`` (0: unknown, taken as
    ``db_version``, which is right when the sender is the origin)."""


WHERE_SINCE = f"c.{ROW_VERSION} > ?1 AND {{d}} > ?1 AND {{s}} IS NOT ?2"
"""Cells above db_version ?1 whose site ordinal is not ?2 (NULL excludes none). A ``where``
template: ``{v}``, ``{d}``, ``{s}``, ``{q}``, ``{o}`` stand for the cell's clock columns."""


def changes_select(info: TableInfo, table_index: int, where: str = WHERE_SINCE) -> str:
    """A SELECT of one table's change rows whose cells match ``where`` (a template over one
    cell's clock columns, see ``WHERE_SINCE``): one SELECT per cell, in a UNION ALL, so
    that each can use the indexes on its own columns.

    Values are read from the table as it is now, as cr-sqlite does. After the nine change
    columns comes the origin version; four more trailing columns, the table's index, the
    row's ordering key and the column name, order rows whose (db_version, seq) are equal the
    way cr-sqlite does.
    """
    join = " AND ".join(f"b.{quote_ident(c)} = c.{quote_ident(c)}" for c in info.pks)
    parts = []
    for cell, cid in enumerate(info.cells):
        v, d, s, q, o = cell_columns(cell, "c")
        cl = cell_columns(0, "c")[0]
        val = "NULL" if cell == 0 else f"b.{quote_ident(cid)}"
        name = quote_text(cid)
        condition = where.format(v=v, d=d, s=s, q=q, o=o)
        parts.append(
            f"SELECT {quote_text(info.name)}, {info.packed_key('c')}, {name}, {val}, {v}, {d},"
            f" t.site_id, COALESCE({cl}, 1), {q}, COALESCE({o}, {d}), {table_index},"
            f" c.{KEY_VERSION}, c.{KEY_NUMBER}, {name}"
            f" FROM {info.clock} c"
            + (f" LEFT JOIN {info.quoted} b ON {join}" if cell else "")
            + f" JOIN sync_site_ids t ON t.ordinal = {s}"
            f" WHERE {condition}"
        )
    return " UNION ALL ".join(parts)


def _storable(value: object) -> bool:
    """An int fits SQLite's 64 bits; a float is not NaN (SQLite would store NULL)."""
    if type(value) is int:
        return -(1 << 63) <= value < (1 << 63)
    if type(value) is float:
        return not math.isnan(value)
    return True


def check_changes(
    changes: Iterable[Sequence[object]], tables: Mapping[str, TableInfo]
) -> tuple[list[Change], dict[tuple[str, bytes], tuple[SqlValue, ...]]]:
    """Check every row against ``tables`` and decode each distinct key once.

    Returns the rows as ``Change`` and the decoded keys; raises ``NotReplicatedError`` or
    ``MalformedChangeError`` (``MalformedPackedKeyError``) for the whole batch otherwise.

    The checks run column by column with builtins (a batch is often 100,000 rows); a
    batch that fails them is checked again row by row for a precise error.
    """
    rows = changes if isinstance(changes, list) else list(changes)
    if not rows:
        return [], {}
    try:
        lengths = set(map(len, rows))
    except TypeError as exc:
        raise MalformedChangeError("a change row is a sequence of 9 or 10 fields") from exc
    if not lengths <= {9, 10}:
        raise MalformedChangeError("a change row has 9 fields (10 with origin_version)")
    columns = list(zip(*rows, strict=False))
    t_col, pk_col, cid_col, val_col, cv_col, dbv_col, site_col, cl_col, seq_col = columns[:9]
    ints = [cv_col, dbv_col, cl_col, seq_col]
    if lengths == {10}:
        ints.append(columns[9])
    elif len(lengths) > 1:
        ints.append(tuple(r[9] for r in rows if len(r) == 10))
    fast_ok = (
        set(map(type, t_col)) == {str}
        and set(t_col) <= tables.keys()
        and set(map(type, cid_col)) == {str}
        and set(map(type, pk_col)) == {bytes}
        and set(map(type, site_col)) == {bytes}
        and set(map(len, site_col)) == {SITE_ID_LEN}
        and set(map(type, val_col)) <= _VALUE_TYPES
        and all(_storable(v) for v in val_col if type(v) is int or type(v) is float)
        and all(set(map(type, col)) == {int} for col in ints)
        and min(map(min, ints)) >= 0
        and max(map(max, ints)) < (1 << 63)
        and min(cl_col) >= 1
        and all(
            cid == SENTINEL or cid in tables[t].non_pk_set
            for t, cid in set(zip(t_col, cid_col, strict=True))
        )
        and all(
            cv == cl for cid, cv, cl in zip(cid_col, cv_col, cl_col, strict=True) if cid == SENTINEL
        )
    )
    if not fast_ok:
        for raw in rows:
            _check_row(raw, tables)
        raise MalformedChangeError("malformed change row")  # pragma: no cover
    keys: dict[tuple[str, bytes], tuple[SqlValue, ...]] = {}
    for table, pk in dict.fromkeys(zip(t_col, pk_col, strict=True)):
        values = unpack_pk(pk)
        info = tables[table]
        if len(values) != len(info.pks):
            raise MalformedChangeError(f"pk of {table!r} must have {len(info.pks)} values")
        if info.rowid_key and type(values[0]) is not int:
            raise MalformedChangeError(f"the key of {table!r} is its rowid: an integer")
        keys[(table, pk)] = values
    return [r if type(r) is Change else Change(*r) for r in rows], keys


def _check_row(raw: Sequence[object], tables: Mapping[str, TableInfo]) -> None:
    """Raise the precise error for one malformed row (the slow path of ``check_changes``)."""
    if len(raw) not in (9, 10):
        raise MalformedChangeError("a change row has 9 fields (10 with origin_version)")
    table, pk, cid, val, col_version, db_version, site_id, cl, seq = raw[:9]
    info = tables.get(table) if type(table) is str else None
    if info is None:
        raise NotReplicatedError(f"table {table!r} is not replicated here")
    if type(cid) is not str or (cid != SENTINEL and cid not in info.non_pk_set):
        raise NotReplicatedError(f"table {table!r} has no replicated column {cid!r}")
    if type(pk) is not bytes:
        raise MalformedChangeError("pk must be bytes")
    if type(site_id) is not bytes or len(site_id) != SITE_ID_LEN:
        raise MalformedChangeError(f"site_id must be {SITE_ID_LEN} bytes")
    numbers = (col_version, db_version, cl, seq, *raw[9:])
    if not all(type(n) is int and 0 <= n < (1 << 63) for n in numbers) or cl == 0:
        raise MalformedChangeError(
            "col_version, db_version, seq must be 64-bit integers >= 0, cl >= 1"
        )
    if type(val) not in _VALUE_TYPES or not _storable(val):
        raise MalformedChangeError(
            "val must be an SQLite value (a 64-bit integer, a real that is not NaN, text,"
            " a blob or NULL)"
        )
    if cid == SENTINEL and col_version != cl:
        raise MalformedChangeError("an existence marker's col_version is its cl")
