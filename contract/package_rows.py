"""An event package as rows of the replicated tables (contract.replica_schema): what the
hub publishes to the gates' replicas, column by column, in SQLite's types."""

from __future__ import annotations

import json
from typing import TypeAlias

from contract.event_package import (
    Block,
    EventInfo,
    EventPackage,
    GateRule,
    PublicKey,
    Revocation,
    Ticket,
    TicketType,
)

Value: TypeAlias = int | float | str | bytes | None
Row: TypeAlias = dict[str, Value]


def event_row(e: EventInfo) -> Row:
    return {
        "id": str(e.id),
        "name": e.name,
        "venue": e.venue,
        "starts_at": e.starts_at,
        "ends_at": e.ends_at,
        "timezone": e.timezone,
        "door_opens_minutes": e.door_opens_minutes,
        "door_policy": e.door_policy,
    }


def key_row(k: PublicKey) -> Row:
    return {"key_id": k.key_id, "public_key": k.public_key, "retired_at": k.retired_at}


def ticket_type_row(t: TicketType) -> Row:
    return {
        "id": str(t.id),
        "name": t.name,
        "entry_mode": t.entry_mode,
        "max_entries": t.max_entries,
        "reentry": int(t.reentry),
        "gates": None if t.gates is None else json.dumps(t.gates),
        "valid_from": t.valid_from,
        "valid_until": t.valid_until,
        "shows_holder": int(t.shows_holder),
    }


def gate_rule_row(r: GateRule) -> Row:
    return {
        "id": str(r.id),
        "ticket_type_id": None if r.ticket_type_id is None else str(r.ticket_type_id),
        "gate": r.gate,
        "rule": json.dumps(r.rule),
        "description": r.description,
    }


def ticket_row(t: Ticket) -> Row:
    return {
        "id": str(t.id),
        "ticket_type_id": str(t.ticket_type_id),
        "holder": t.holder,
        "seat": t.seat,
    }


def revocation_row(r: Revocation) -> Row:
    return {"ticket_id": str(r.ticket_id), "reason": r.reason, "revoked_at": r.revoked_at}


def block_row(b: Block) -> Row:
    return {"ticket_id": str(b.ticket_id), "reason": b.reason, "blocked_at": b.blocked_at}


def package_rows(package: EventPackage) -> dict[str, list[Row]]:
    """Every row the package stands for, by table."""
    return {
        "event": [event_row(package.event)],
        "event_keys": [key_row(k) for k in package.keys],
        "ticket_types": [ticket_type_row(t) for t in package.ticket_types],
        "gate_rules": [gate_rule_row(r) for r in package.gate_rules],
        "tickets": [ticket_row(t) for t in package.tickets],
        "revocations": [revocation_row(r) for r in package.revocations],
        "blocks": [block_row(b) for b in package.blocks],
    }
