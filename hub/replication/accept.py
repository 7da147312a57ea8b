"""The hub's own check of what gates push (``sync.replica.Replica(accept=...)`` at a gate).

Gates relay the hub's rows to each other, so a push may carry rows of the hub's site: they
merge as no-ops. A gate's own write to a table only the hub writes (tickets, revocations,
keys...) is refused, and so is a scan or annulment whose values the hub could not ingest
(the gate's schema is SQLite's, the hub's models are typed)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence

from hub.replication.tables import HUB_TABLES
from sync.changes import Change
from sync.errors import RefusedChangeError
from sync.pk_codec import unpack_pk
from sync.values import SqlValue


def _uuid(value: SqlValue) -> bool:
    if type(value) is not str:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _time(value: SqlValue) -> bool:
    if type(value) is not str:
        return False
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _text(limit: int | None) -> Callable[[SqlValue], bool]:
    return lambda v: type(v) is str and (limit is None or len(v) <= limit)


def _either(check: Callable[[SqlValue], bool]) -> Callable[[SqlValue], bool]:
    return lambda v: v is None or check(v)


# What the hub's GateScan / GateAnnulment columns take; other columns are kept as they come.
_INGESTED: dict[str, dict[str, tuple[Callable[[SqlValue], bool], str]]] = {
    "scans": {
        "ticket_id": (_either(_uuid), "a ticket id (UUID) or NULL"),
        "override_of": (_either(_uuid), "a scan id (UUID) or NULL"),
        "at": (_either(_time), "an ISO 8601 time or NULL"),
        "hlc": (_either(lambda v: type(v) is int), "an integer or NULL"),
        "gate": (_either(_text(64)), "text of at most 64 characters"),
        "device": (_either(_text(200)), "text of at most 200 characters"),
        "direction": (_either(_text(8)), "text of at most 8 characters"),
        "status": (_either(_text(16)), "text of at most 16 characters"),
        "reason": (_either(_text(32)), "text of at most 32 characters"),
        "site": (_either(_text(32)), "text of at most 32 characters"),
        "staff_id": (_either(_text(64)), "text of at most 64 characters"),
        "note": (_either(_text(None)), "text or NULL"),
        "message": (_either(_text(None)), "text or NULL"),
    },
    "annulments": {
        "staff_id": (_either(_text(64)), "text of at most 64 characters"),
        "reason": (_either(_text(None)), "text or NULL"),
        "at": (_either(_time), "an ISO 8601 time or NULL"),
    },
}


def hub_accept(batch: Sequence[Change], hub_site: bytes) -> None:
    """Refuse (``RefusedChangeError``) a batch with a gate's write to a hub table or a scan
    or annulment the hub cannot ingest; anything else merges."""
    keys_checked: set[tuple[str, bytes]] = set()
    for change in batch:
        table = change.table
        if table in HUB_TABLES:
            if change.site_id != hub_site:
                raise RefusedChangeError(
                    f"table {table!r} is written by the hub only: a change from site"
                    f" {change.site_id.hex()} is refused (publish it at the hub)"
                )
            continue
        columns = _INGESTED.get(table)
        if columns is None:
            continue
        if (table, change.pk) not in keys_checked:
            keys_checked.add((table, change.pk))
            key = unpack_pk(change.pk)
            if not _uuid(key[0]):
                raise RefusedChangeError(f"{table}: the key {key[0]!r} is not a UUID")
        check = columns.get(change.cid)
        if check is not None and not check[0](change.val):
            raise RefusedChangeError(f"{table}.{change.cid}: {change.val!r} is not {check[1]}")
