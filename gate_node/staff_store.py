"""Door staff in the replica: added by a tech, replicated to every gate like scans."""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3

from gate_node.errors import InvalidStaff
from gate_node.replica import audit, transaction
from gate_node.staff import StaffMember, check_pin, check_role, hash_pin
from gate_node.timestamps import format_time, time_ordered_id

_SALT_KEY = "pin_salt"


def pin_salt(conn: sqlite3.Connection) -> bytes:
    """The replica's PIN salt, created on first use."""
    row = conn.execute("SELECT value FROM replica_settings WHERE key = ?", (_SALT_KEY,)).fetchone()
    if row is not None and row[0]:
        return bytes.fromhex(row[0])
    salt = secrets.token_bytes(16)
    conn.execute(
        "INSERT OR REPLACE INTO replica_settings (key, value) VALUES (?, ?)",
        (_SALT_KEY, salt.hex()),
    )
    return salt


def _member(row: tuple[str, str, str]) -> StaffMember:
    return StaffMember(id=row[0], name=row[1], role=check_role(row[2]))


def add_staff(
    conn: sqlite3.Connection, *, name: str, role: str, pin: str, now: dt.datetime
) -> StaffMember:
    """Add a member of staff; refuses a bad PIN or role, an empty name, or a PIN in use."""
    name = name.strip()
    if not name or len(name) > 80:
        raise InvalidStaff("a name is 1 to 80 characters")
    checked_role = check_role(role)
    check_pin(pin)
    digest = hash_pin(pin, pin_salt(conn))
    if find_by_pin_hash(conn, digest) is not None:
        raise InvalidStaff("this PIN is already in use: PINs identify staff, choose another")
    member = StaffMember(time_ordered_id(now), name, checked_role)
    at = format_time(now)
    with transaction(conn):
        conn.execute(
            "INSERT INTO staff (id, name, role, pin_hash) VALUES (?, ?, ?, ?)",
            (member.id, member.name, member.role, digest),
        )
        audit(
            conn,
            at=at,
            staff_id=None,
            action="staff_added",
            subject=member.id,
            detail=f"{member.name} ({member.role})",
        )
    return member


def find_by_pin_hash(conn: sqlite3.Connection, digest: str) -> StaffMember | None:
    """The active member of staff with this PIN hash."""
    row = conn.execute(
        "SELECT id, name, role FROM staff WHERE pin_hash = ? AND disabled_at IS NULL", (digest,)
    ).fetchone()
    return None if row is None else _member(row)


def is_active(conn: sqlite3.Connection, staff_id: str) -> bool:
    """Whether this member of staff exists and is not disabled."""
    row = conn.execute(
        "SELECT 1 FROM staff WHERE id = ? AND disabled_at IS NULL", (staff_id,)
    ).fetchone()
    return row is not None


def list_staff(conn: sqlite3.Connection) -> list[tuple[StaffMember, bool]]:
    """Every member of staff, with whether they are active."""
    return [
        (_member((i, n, r)), disabled is None)
        for i, n, r, disabled in conn.execute(
            "SELECT id, name, role, disabled_at FROM staff ORDER BY name, id"
        )
    ]


def disable_staff(conn: sqlite3.Connection, who: str, now: dt.datetime) -> StaffMember:
    """Disable a member of staff by id or exact name; refuses an unknown or ambiguous one."""
    rows = conn.execute(
        "SELECT id, name, role FROM staff WHERE (id = ?1 OR name = ?1) AND disabled_at IS NULL",
        (who,),
    ).fetchall()
    if not rows:
        raise InvalidStaff(f"no active member of staff is called {who!r}")
    if len(rows) > 1:
        raise InvalidStaff(f"several staff are called {who!r}: use the id")
    member = _member(rows[0])
    at = format_time(now)
    with transaction(conn):
        conn.execute("UPDATE staff SET disabled_at = ? WHERE id = ?", (at, member.id))
        audit(
            conn,
            at=at,
            staff_id=None,
            action="staff_disabled",
            subject=member.id,
            detail=member.name,
        )
    return member
