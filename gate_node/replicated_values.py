"""What a gate accepts from its peers: every replicated column with the values it may hold.

SQLite stores any value in any column, and sync/ merges whatever a peer signed with the
venue secret. The scan path, the dashboard and the verdicts read these rows as the gate
wrote them (times in the replica's format, directions `in`/`out`, integer clock stamps,
zones it knows, rules `contract.gate_rules` accepts, 32-byte keys, UUID ids), so
a peer with other software or a damaged replica must not get other values in: a batch with
one such value is refused whole (`RefusedChangeError`, HTTP 400 on a push, a failed pull),
before anything is merged. Declared once, per table and column; a test keeps this table in
step with the replicated schema.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Final

from contract.errors import GateRuleError
from contract.event_package import MAX_DOOR_OPENS_MINUTES
from contract.gate_rules import validate_rule
from gate_node.timestamps import format_time, parse_time
from sync.changes import Change
from sync.errors import RefusedChangeError
from sync.pk_codec import unpack_pk
from sync.schema import SENTINEL
from sync.values import SqlValue

Check = Callable[[SqlValue], bool]
MAX_STAMP: Final = 2**63
MAX_KEY_ID: Final = 0xFFFF
MIN_YEAR, MAX_YEAR = 1970, 9000
# Tables keyed by the hub's ids (canonical UUID text); scans, annulments and the audit log
# are keyed by the gates' own time-ordered ids.
UUID_KEYED: Final = frozenset(
    {"event", "ticket_types", "gate_rules", "gates", "tickets", "revocations", "blocks", "devices"}
)


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


def words(value: SqlValue) -> bool:
    """Text (a NOT NULL column: never nothing)."""
    return isinstance(value, str)


def any_time(value: SqlValue) -> bool:
    """An ISO 8601 time as event packages give them (the gate parses it), or nothing;
    within years the door window's arithmetic (a week either side) cannot overflow."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return MIN_YEAR <= parse_time(value).astimezone(dt.UTC).year <= MAX_YEAR
    except (ValueError, OverflowError):
        return False


def uuid_text(value: SqlValue) -> bool:
    """A UUID in canonical text, or nothing."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def time_zone(value: SqlValue) -> bool:
    """An IANA time zone name this gate knows."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return False
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return False
    return True


def integer(low: int, high: int | None = None, *, nothing: bool = False) -> Check:
    """An integer in [low, high] (and nothing when `nothing`)."""

    def check(value: SqlValue) -> bool:
        if value is None:
            return nothing
        return type(value) is int and value >= low and (high is None or value <= high)

    return check


def public_key(value: SqlValue) -> bool:
    """A 32-byte Ed25519 public key, or nothing."""
    return value is None or (isinstance(value, bytes) and len(value) == 32)


def gate_names(value: SqlValue) -> bool:
    """A JSON list of gate names, or nothing (every gate)."""
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    try:
        names = json.loads(value)
    except ValueError:
        return False
    return isinstance(names, list) and all(isinstance(n, str) and n for n in names)


def gate_rule(value: SqlValue) -> bool:
    """A check-in rule as JSON that `contract.gate_rules` accepts."""
    if not isinstance(value, str):
        return False
    try:
        validate_rule(json.loads(value))
    except (ValueError, GateRuleError, RecursionError):
        return False
    return True


def stamp(value: SqlValue) -> bool:
    """A hybrid clock stamp (a non-negative 63-bit integer), or nothing."""
    return value is None or (type(value) is int and 0 <= value < MAX_STAMP)


def one_of(*allowed: str) -> Check:
    """One of these words exactly."""
    return lambda value: isinstance(value, str) and value in allowed


COLUMNS: Final[dict[str, dict[str, Check]]] = {
    "event": {
        "name": words,
        "venue": words,
        "starts_at": any_time,
        "ends_at": any_time,
        "timezone": time_zone,
        "door_opens_minutes": integer(0, MAX_DOOR_OPENS_MINUTES),
        "door_policy": one_of("warn", "reject", "off"),
    },
    "event_keys": {"public_key": public_key, "retired_at": any_time},
    "ticket_types": {
        "name": words,
        "entry_mode": one_of("single", "multi"),
        "max_entries": integer(1, nothing=True),
        "reentry": integer(0, 1),
        "gates": gate_names,
        "valid_from": any_time,
        "valid_until": any_time,
        "shows_holder": integer(0, 1),
    },
    "gate_rules": {
        "ticket_type_id": uuid_text,
        "gate": text,
        "rule": gate_rule,
        "description": words,
    },
    "gates": {"name": words},
    "tickets": {"ticket_type_id": uuid_text, "holder": text, "seat": text},
    "devices": {
        "name": words,
        "gate": text,
        "public_key": public_key,
        "state": one_of("active", "revoked"),
        "revoked_at": text,
    },
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


def accept_changes(batch: Sequence[Change], *, event_id: str | None = None) -> None:
    """Refuse (RefusedChangeError) a batch holding a value the gate does not replicate, or
    (given the `event_id` the replica holds) a row of another event: one replica holds one
    event, whatever a peer of another event signed with the same secret."""
    # Per table: what one table may be keyed by, another may not.
    keys_seen: set[tuple[str, bytes]] = set()
    for change in batch:
        if (change.table, change.pk) not in keys_seen:
            _check_key(change)
            keys_seen.add((change.table, change.pk))
            if event_id is not None and change.table == "event":
                held = unpack_pk(change.pk)[0]
                if held != event_id:
                    raise RefusedChangeError(
                        f"event {held!s:.40} is not the event this gate holds ({event_id})"
                    )
        if change.cid == SENTINEL:
            continue
        check = COLUMNS.get(change.table, {}).get(change.cid)
        if check is None:
            raise RefusedChangeError(f"{change.table}.{change.cid} is not replicated by gates")
        if not check(change.val):
            shown = repr(change.val)[:60]
            raise RefusedChangeError(f"{change.table}.{change.cid} cannot hold {shown}")


def _check_key(change: Change) -> None:
    # Every replicated table is keyed by one text id (scan id, ticket id), but the event's
    # keys, numbered as in the tickets' codes. sync/ has decoded every key of the batch
    # already: this cannot fail on the format.
    key = unpack_pk(change.pk)
    if change.table == "event_keys":
        if len(key) != 1 or type(key[0]) is not int or not 0 <= key[0] <= MAX_KEY_ID:
            raise RefusedChangeError(f"an event_keys key is not a key number: {key!r:.60}")
        return
    if len(key) != 1 or not isinstance(key[0], str) or not key[0]:
        raise RefusedChangeError(f"a {change.table} key is not one text id: {key!r:.60}")
    if change.table in UUID_KEYED and not uuid_text(key[0]):
        raise RefusedChangeError(f"a {change.table} key is not a UUID: {key[0]!r:.60}")
