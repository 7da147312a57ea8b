"""The venue's device roster, held in memory for the sync routes' signature checks.

The `devices` table replicates from the hub (and among gates): each enrolled gate's id, its
Ed25519 public key and its state. A gate admits a device-signed sync request only from a
device the roster holds as `active` with a well-formed key, so a device revoked at the hub
is refused here as soon as its row merges (the scan service updates the roster then).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from gate_node.ticket_book import rows_by_id

PUBLIC_KEY_BYTES = 32
_SELECT = "SELECT id, public_key, state FROM devices"


class DeviceRoster:
    """Active devices' public keys by device id."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}

    @classmethod
    def build(cls, conn: sqlite3.Connection) -> DeviceRoster:
        roster = cls()
        for device_id, key, state in conn.execute(_SELECT):
            roster._place(device_id, key, state)
        return roster

    def update(self, conn: sqlite3.Connection, device_ids: Collection[str]) -> None:
        """Re-read these devices (enrolled, re-keyed, revoked or deleted)."""
        for device_id in device_ids:
            self.keys.pop(device_id, None)
        for device_id, key, state in rows_by_id(
            conn, _SELECT + " WHERE id IN ({marks})", device_ids
        ):
            self._place(device_id, key, state)

    def key_of(self, device_id: str) -> bytes | None:
        """The device's public key while it may sync; None when unknown or revoked."""
        return self.keys.get(device_id)

    def _place(self, device_id: str, key: object, state: object) -> None:
        # A row merged a column at a time may lack its key or state for a moment: only a
        # complete, active row admits its device.
        if state == "active" and isinstance(key, bytes) and len(key) == PUBLIC_KEY_BYTES:
            self.keys[device_id] = key
