"""Scans and annulments merged from gates, projected into ``GateScan`` / ``GateAnnulment``
in the merge's transaction.

Only rows the merge changed are projected, each upserted by its id: a changeset that
arrives twice, or rows that arrive in another order, leave one row per scan id holding the
merged values. A value the hub's models cannot hold (an id that is not a UUID, an unreadable
time, an over-long name) refuses the push whole: the merge's transaction rolls back.
"""

# ruff: noqa: S608 - the column lists are this module's constants; values are bound.

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping

import asyncpg

from hub.replication.store import RowKey
from sync.errors import RefusedChangeError
from sync.merge import RowState
from sync.pk_codec import unpack_pk
from sync.values import SqlValue

SCAN_COLUMNS = (
    "id",
    "org_id",
    "event_id",
    "ticket_id",
    "gate",
    "device",
    "direction",
    "status",
    "reason",
    "at",
    "hlc",
    "site",
    "staff_id",
    "override_of",
    "note",
    "message",
    "received_at",
)
_ANNULMENT_COLUMNS = ("scan_id", "org_id", "event_id", "staff_id", "reason", "at", "received_at")


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _refuse(table: str, column: str, value: SqlValue, wanted: str) -> RefusedChangeError:
    return RefusedChangeError(f"{table}.{column}: {value!r} is not {wanted}")


def _uuid(table: str, column: str, value: SqlValue) -> str | None:
    # Canonical UUID text goes to PostgreSQL as it is (asyncpg encodes it).
    if value is None:
        return None
    if type(value) is not str or _UUID.fullmatch(value) is None:
        raise _refuse(table, column, value, "a UUID")
    return value


def _time(table: str, column: str, value: SqlValue) -> dt.datetime | None:
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value) if type(value) is str else None
    except ValueError:
        moment = None
    if moment is None:
        raise _refuse(table, column, value, "an ISO 8601 time")
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _text(
    table: str, column: str, value: SqlValue, limit: int | None = None, default: str | None = None
) -> str | None:
    if value is None:
        return default
    if type(value) is not str or (limit is not None and len(value) > limit):
        wanted = "text" if limit is None else f"text of at most {limit} characters"
        raise _refuse(table, column, value, wanted)
    return value


def _key(table: str, pk: bytes) -> str:
    key = _uuid(table, "id", unpack_pk(pk)[0])
    assert key is not None
    return key


def scan_record(
    pk: bytes, st: RowState, org_id: uuid.UUID, event_id: uuid.UUID, now: dt.datetime
) -> tuple[object, ...]:
    """A GateScan row (in ``SCAN_COLUMNS`` order) from a merged scan; columns the gate
    never sent take the replica schema's defaults. A value the model cannot hold raises
    ``RefusedChangeError`` (the push is refused whole)."""
    v = st.values
    hlc = v.get("hlc")
    if hlc is not None and type(hlc) is not int:
        raise _refuse("scans", "hlc", hlc, "an integer")
    t = "scans"
    return (
        _key(t, pk),
        org_id,
        event_id,
        _uuid(t, "ticket_id", v.get("ticket_id")),
        _text(t, "gate", v.get("gate"), 64, ""),
        _text(t, "device", v.get("device"), 200),
        _text(t, "direction", v.get("direction"), 8, "in"),
        _text(t, "status", v.get("status"), 16, "rejected"),
        _text(t, "reason", v.get("reason"), 32),
        _time(t, "at", v.get("at")),
        hlc,
        _text(t, "site", v.get("site"), 32),
        _text(t, "staff_id", v.get("staff_id"), 64),
        _uuid(t, "override_of", v.get("override_of")),
        _text(t, "note", v.get("note")),
        _text(t, "message", v.get("message")),
        now,
    )


def annulment_record(
    pk: bytes, st: RowState, org_id: uuid.UUID, event_id: uuid.UUID, now: dt.datetime
) -> tuple[object, ...]:
    """A GateAnnulment row from a merged annulment (``RefusedChangeError`` as above)."""
    v = st.values
    t = "annulments"
    return (
        _key(t, pk),
        org_id,
        event_id,
        _text(t, "staff_id", v.get("staff_id"), 64),
        _text(t, "reason", v.get("reason")),
        _time(t, "at", v.get("at")),
        now,
    )


async def _upsert(
    pg: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    key: str,
    records: list[tuple[object, ...]],
) -> None:
    # COPY into a temp table, then one INSERT ... ON CONFLICT: bulk, and exactly once by id.
    stage = f"ingest_{table}"
    await pg.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table}) ON COMMIT DELETE ROWS"
    )
    await pg.copy_records_to_table(stage, records=records, columns=columns)
    kept = {key, "org_id", "event_id", "received_at"}
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in kept)
    names = ", ".join(columns)
    await pg.execute(
        f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}"
        f" ON CONFLICT ({key}) DO UPDATE SET {sets}"
    )
    await pg.execute(f"DELETE FROM {stage}")


async def _insert_new(
    pg: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    key: str,
    records: list[tuple[object, ...]],
) -> None:
    # Rows new to the store are new to the projection too (both change in one
    # transaction): COPY them straight in. Should one be there after all, the savepoint
    # rolls the COPY back and the upsert takes them.
    try:
        async with pg.transaction():
            await pg.copy_records_to_table(table, records=records, columns=columns)
    except asyncpg.UniqueViolationError:
        await _upsert(pg, table, columns, key, records)


async def project(
    pg: asyncpg.Connection,
    event_id: uuid.UUID,
    org_id: uuid.UUID,
    changed: Mapping[RowKey, RowState],
    now: dt.datetime,
) -> int:
    """Upsert the changed scans and annulments; returns how many rows were projected."""
    # [new to the store, known] records per table
    scans: tuple[list[tuple[object, ...]], list[tuple[object, ...]]] = ([], [])
    annulments: tuple[list[tuple[object, ...]], list[tuple[object, ...]]] = ([], [])
    for (table, pk), st in changed.items():
        if not st.exists:
            continue  # gates never delete scans; a deleted row keeps what was ingested
        known = int(st.had_metadata)
        if table == "scans":
            scans[known].append(scan_record(pk, st, org_id, event_id, now))
        elif table == "annulments":
            annulments[known].append(annulment_record(pk, st, org_id, event_id, now))
    for name, columns, key, (new, known_rows) in (
        ("gate_scan", SCAN_COLUMNS, "id", scans),
        ("gate_annulment", _ANNULMENT_COLUMNS, "scan_id", annulments),
    ):
        if new:
            await _insert_new(pg, name, columns, key, new)
        if known_rows:
            await _upsert(pg, name, columns, key, known_rows)
    return sum(len(part) for part in (*scans, *annulments))
