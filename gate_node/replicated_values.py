"""What a gate accepts from its peers: every replicated column with the values it may hold.

SQLite stores any value in any column, and sync/ merges whatever a peer signed with the
venue secret. The scan path, the dashboard and the verdicts read these rows as the gate
wrote them (times in the replica's format, directions `in`/`out`, integer clock stamps), so
a peer with other software or a damaged replica must not get other values in: a batch with
one such value is refused whole (`RefusedChangeError`, HTTP 400 on a push, a failed pull),
before anything is merged. Declared once, per table and column; a test keeps this table in
step with the replicated schema.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from gate_node.timestamps import format_time, parse_time
from sync.changes import Change
from sync.errors import RefusedChangeError
from sync.pk_codec import unpack_pk
from sync.schema import SENTINEL
from sync.values import SqlValue

Check = Callable[[SqlValue], bool]
MAX_STAMP: Final = 2**63


def text(value: SqlValue) -> bool:
    """Text, or nothing."""
    return value is None or isinstance(value, str)


def replica_time(value: SqlValue) -> bool:
    """A time exactly as `format_time` writes it, or nothing."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return format_time(parse_time(value)) == value
    except (ValueError, OverflowError):
        return False


def stamp(value: SqlValue) -> bool:
    """A hybrid clock stamp (a non-negative 63-bit integer), or nothing."""
    return value is None or (type(value) is int and 0 <= value < MAX_STAMP)


def one_of(*allowed: str) -> Check:
    """One of these words exactly."""
    return lambda value: isinstance(value, str) and value in allowed


COLUMNS: Final[dict[str, dict[str, Check]]] = {
    "scans": {
        "nonce": text,
        "ticket_id": text,
        "code": text,
        "gate": text,
        "direction": one_of("in", "out"),
        "status": one_of("ok", "rejected"),
        "reason": text,
        "at": replica_time,
        "message": text,
        "device": text,
        "staff_id": text,
        "override_of": text,
        "note": text,
        "hlc": stamp,
        "site": text,
    },
    "annulments": {"staff_id": text, "reason": text, "at": replica_time},
    "audit_log": {
        "at": replica_time,
        "staff_id": text,
        "action": text,
        "subject": text,
        "detail": text,
    },
    "revocations": {"reason": text, "revoked_at": text},
    "blocks": {"reason": text, "blocked_at": text},
}


def accept_changes(batch: Sequence[Change]) -> None:
    """Refuse (RefusedChangeError) a batch holding a value the gate does not replicate."""
    keys_seen: set[bytes] = set()
    for change in batch:
        if change.pk not in keys_seen:
            _check_key(change)
            keys_seen.add(change.pk)
        if change.cid == SENTINEL:
            continue
        check = COLUMNS.get(change.table, {}).get(change.cid)
        if check is None:
            raise RefusedChangeError(f"{change.table}.{change.cid} is not replicated by gates")
        if not check(change.val):
            shown = repr(change.val)[:60]
            raise RefusedChangeError(f"{change.table}.{change.cid} cannot hold {shown}")


def _check_key(change: Change) -> None:
    # Every replicated table is keyed by one text id (scan id, ticket id). sync/ has
    # decoded every key of the batch already: this cannot fail on the format.
    key = unpack_pk(change.pk)
    if len(key) != 1 or not isinstance(key[0], str):
        raise RefusedChangeError(f"a {change.table} key is not one text id: {key!r:.60}")
