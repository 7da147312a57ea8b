"""The replicated schema of an event: the SQLite tables every gate (and the hub's export) hold.

Shaped for CRDT replication (see sync/): every table has a non-null primary key, no other
unique constraint, and no NOT NULL column without a default, because a merged row may arrive
one column at a time. Ids are canonical UUID text. Times are ISO 8601 UTC text with
milliseconds (``2026-11-25T20:15:03.120Z``), which sorts as time does.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = 1

TABLES: Final = (
    "event",
    "event_keys",
    "ticket_types",
    "gate_rules",
    "tickets",
    "revocations",
    "blocks",
    "scans",
    "staff",
    "annulments",
    "audit_log",
    "replica_settings",
    "devices",
    "gates",
)

DDL: Final = """
CREATE TABLE IF NOT EXISTS event (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    venue TEXT NOT NULL DEFAULT '',
    starts_at TEXT,
    ends_at TEXT,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    door_opens_minutes INTEGER NOT NULL DEFAULT 120,  -- the door window: see event_package
    door_policy TEXT NOT NULL DEFAULT 'warn'          -- warn, reject or off
);
CREATE TABLE IF NOT EXISTS event_keys (
    key_id INTEGER PRIMARY KEY NOT NULL,
    public_key BLOB,
    retired_at TEXT
);
CREATE TABLE IF NOT EXISTS ticket_types (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    entry_mode TEXT NOT NULL DEFAULT 'single',
    max_entries INTEGER,
    reentry INTEGER NOT NULL DEFAULT 1,
    gates TEXT,            -- JSON list of gate names; NULL: every gate
    valid_from TEXT,
    valid_until TEXT,
    shows_holder INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS gate_rules (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_type_id TEXT,   -- NULL: every ticket type
    gate TEXT,             -- NULL: every gate
    rule TEXT NOT NULL DEFAULT 'true',
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY NOT NULL,
    ticket_type_id TEXT,
    holder TEXT,
    seat TEXT
);
CREATE TABLE IF NOT EXISTS revocations (
    ticket_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS blocks (
    ticket_id TEXT PRIMARY KEY NOT NULL,
    reason TEXT,
    blocked_at TEXT
);
CREATE TABLE IF NOT EXISTS scans (
    id TEXT PRIMARY KEY NOT NULL,
    nonce TEXT,
    ticket_id TEXT,        -- NULL when the code did not name a ticket of this event
    code TEXT,
    gate TEXT,
    direction TEXT NOT NULL DEFAULT 'in',
    status TEXT NOT NULL DEFAULT 'rejected',
    reason TEXT,
    at TEXT,
    message TEXT,          -- the words staff were shown
    device TEXT,           -- the scanning device, as it names itself
    staff_id TEXT,         -- the signed-in steward or supervisor, if any
    override_of TEXT,      -- a supervisor's admission over this rejected scan
    note TEXT,             -- the supervisor's typed reason for an override
    hlc INTEGER,           -- hybrid logical clock stamp (gate_node/hlc.py): the scan order
    site TEXT              -- the recording replica's site id (hex): breaks hlc ties
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS staff (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL DEFAULT 'steward',   -- steward or supervisor
    pin_hash TEXT,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS annulments (
    scan_id TEXT PRIMARY KEY NOT NULL,      -- an admitted scan that no longer counts
    staff_id TEXT,
    reason TEXT,
    at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TEXT,
    staff_id TEXT,
    action TEXT,           -- sign_in, annul, override, staff_added, staff_disabled
    subject TEXT,
    detail TEXT
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS replica_settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY NOT NULL,           -- the device's id at the hub (a UUID)
    name TEXT NOT NULL DEFAULT '',
    gate TEXT,                              -- the gate name it serves
    public_key BLOB,                        -- its Ed25519 key (32 bytes): signs its sync
    state TEXT NOT NULL DEFAULT 'active',   -- active or revoked
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS gates (
    id TEXT PRIMARY KEY NOT NULL,           -- an entrance of the event, named at the hub
    name TEXT NOT NULL DEFAULT ''
);
"""
# Columns added to a table after replicas with it existed: `CREATE TABLE IF NOT EXISTS` leaves
# an existing table as it is, so opening a replica adds whichever of these it lacks.
ADDED_COLUMNS: Final = (
    ("event", "door_opens_minutes", "INTEGER NOT NULL DEFAULT 120"),
    ("event", "door_policy", "TEXT NOT NULL DEFAULT 'warn'"),
)
# scans has no secondary index on purpose: every index is one more page written and fsynced
# per scan. Scan ids are time-ordered (UUIDv7 layout), so each scan appends to the last page
# of the one b-tree; gates keep the per-ticket history and nonces in memory instead.
