"""Scans and annulments merged from gates, projected into ``GateScan`` / ``GateAnnulment``
in the merge's transaction.

Only rows the merge changed are projected, each upserted by its id: a changeset that
arrives twice, or rows that arrive in another order, leave one row per scan id holding the
merged values. The values were checked by ``hub.replication.accept`` before the merge.
"""

# ruff: noqa: S608 - the column lists are this module's constants; values are bound.

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import asyncpg

from hub.replication.store import RowKey
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


def _uuid(value: SqlValue) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(str(value))


def _time(value: SqlValue) -> dt.datetime | None:
    if value is None:
        return None
    moment = dt.datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _text(value: SqlValue, default: str | None = None) -> str | None:
    return default if value is None else str(value)


def scan_record(
    pk: bytes, st: RowState, org_id: uuid.UUID, event_id: uuid.UUID, now: dt.datetime
) -> tuple[object, ...]:
    """A GateScan row (in ``SCAN_COLUMNS`` order) from a merged scan; columns the gate
    never sent take the replica schema's defaults."""
    v = st.values
    hlc = v.get("hlc")
    return (
        uuid.UUID(str(unpack_pk(pk)[0])),
        org_id,
        event_id,
        _uuid(v.get("ticket_id")),
        _text(v.get("gate"), ""),
        _text(v.get("device")),
        _text(v.get("direction"), "in"),
        _text(v.get("status"), "rejected"),
        _text(v.get("reason")),
        _time(v.get("at")),
        hlc if type(hlc) is int else None,
        _text(v.get("site")),
        _text(v.get("staff_id")),
        _uuid(v.get("override_of")),
        _text(v.get("note")),
        _text(v.get("message")),
        now,
    )


def annulment_record(
    pk: bytes, st: RowState, org_id: uuid.UUID, event_id: uuid.UUID, now: dt.datetime
) -> tuple[object, ...]:
    v = st.values
    return (
        uuid.UUID(str(unpack_pk(pk)[0])),
        org_id,
        event_id,
        _text(v.get("staff_id")),
        _text(v.get("reason")),
        _time(v.get("at")),
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


async def project(
    pg: asyncpg.Connection,
    event_id: uuid.UUID,
    org_id: uuid.UUID,
    changed: Mapping[RowKey, RowState],
    now: dt.datetime,
) -> int:
    """Upsert the changed scans and annulments; returns how many rows were projected."""
    scans: list[tuple[object, ...]] = []
    annulments: list[tuple[object, ...]] = []
    for (table, pk), st in changed.items():
        if not st.exists:
            continue  # gates never delete scans; a deleted row keeps what was ingested
        if table == "scans":
            scans.append(scan_record(pk, st, org_id, event_id, now))
        elif table == "annulments":
            annulments.append(annulment_record(pk, st, org_id, event_id, now))
    if scans:
        await _upsert(pg, "gate_scan", SCAN_COLUMNS, "id", scans)
    if annulments:
        await _upsert(pg, "gate_annulment", _ANNULMENT_COLUMNS, "scan_id", annulments)
    return len(scans) + len(annulments)
