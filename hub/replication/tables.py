"""The replicated tables as the hub sees them: their shape (read once from the contract's
DDL, so the hub and the gates agree by construction) and who writes which."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Final

from contract.replica_schema import DDL, TABLES
from sync.schema import TableInfo, inspect_table


def _infos() -> dict[str, TableInfo]:
    # The DDL is SQLite's: an in-memory database reads the keys exactly as a gate's does.
    conn = sqlite3.connect(":memory:")
    try:
        conn.executescript(DDL)
        return {name: inspect_table(conn, name) for name in TABLES}
    finally:
        conn.close()


TABLE_INFO: Final[Mapping[str, TableInfo]] = _infos()
"""Every replicated table of an event, by name."""

TABLE_ORDER: Final = {name: i for i, name in enumerate(TABLES)}
"""A table's position, to order change rows the way a replica does (by table, after
db_version and seq)."""

PACKAGE_TABLES: Final = (
    "event",
    "event_keys",
    "ticket_types",
    "gate_rules",
    "tickets",
    "revocations",
    "blocks",
)
"""The tables an event package holds (contract.package_rows builds their rows)."""
ROSTER_TABLES: Final = ("devices", "gates")
"""The venue's device roster and the event's gates, from the hub's devices and gates."""
PUBLISHED_TABLES: Final = PACKAGE_TABLES + ROSTER_TABLES
HUB_TABLES: Final = frozenset(PUBLISHED_TABLES)
"""Tables only the hub writes: gates relay the hub's rows but may not write their own."""

INGESTED_TABLES: Final = frozenset({"scans", "annulments"})
"""Tables projected into the hub's own models (GateScan, GateAnnulment) as they merge."""
