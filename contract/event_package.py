"""The event package: one file holding everything a gate needs to scan an event offline.

The hub exports it for each gate, and a tech can carry it on a USB stick to a venue with no
internet. It is gzip-compressed JSON (`FORMAT`, `VERSION`), validated field by field on
reading so that a damaged or foreign file is refused with a message naming the problem. It
carries public keys only; the signing keys never leave the hub.
"""

from __future__ import annotations

import gzip
import uuid
import zlib
from pathlib import Path
from typing import Annotated, Final, Literal

import msgspec

from contract.errors import EventPackageError, GateRuleError
from contract.gate_rules import validate_rule

FORMAT: Final = "voelgoed.event-package"
VERSION: Final = 1
MAX_PACKAGE_BYTES: Final = 512 * 1024 * 1024

# What a gate does with a ticket outside the event's door window: admit it with a warning,
# reject it (invalid_time), or not check the event's dates at all.
DoorPolicy = Literal["warn", "reject", "off"]
DEFAULT_DOOR_POLICY: Final[DoorPolicy] = "warn"
DEFAULT_DOOR_OPENS_MINUTES: Final = 120
MAX_DOOR_OPENS_MINUTES: Final = 7 * 24 * 60

Name = Annotated[str, msgspec.Meta(max_length=200)]
GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Timestamp = Annotated[str, msgspec.Meta(max_length=40)]


class EventInfo(msgspec.Struct, forbid_unknown_fields=True):
    """The event. `starts_at` is when its first date starts and `ends_at` when its last
    ends; gates admit from `door_opens_minutes` before `starts_at` until `ends_at` (the door
    window), and `door_policy` says what they do outside it. A ticket's own validity window
    (in its token or its ticket type) replaces the door window's bounds for that ticket."""

    id: uuid.UUID
    name: Name
    venue: Name = ""
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    timezone: Annotated[str, msgspec.Meta(max_length=64)] = "UTC"
    door_opens_minutes: Annotated[int, msgspec.Meta(ge=0, le=MAX_DOOR_OPENS_MINUTES)] = (
        DEFAULT_DOOR_OPENS_MINUTES
    )
    door_policy: DoorPolicy = DEFAULT_DOOR_POLICY


class PublicKey(msgspec.Struct, forbid_unknown_fields=True):
    key_id: Annotated[int, msgspec.Meta(ge=0, le=0xFFFF)]
    public_key: Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
    retired_at: Timestamp | None = None


class TicketType(msgspec.Struct, forbid_unknown_fields=True):
    """A kind of ticket and how it may be used at the door.

    entry_mode "single": one person inside at a time, re-entry only after an exit scan (and
    only when `reentry` is true). "multi": may enter repeatedly without exit scans, up to
    `max_entries` when set. `gates` lists the gates it may use (None: every gate).
    """

    id: uuid.UUID
    name: Name
    entry_mode: Literal["single", "multi"] = "single"
    max_entries: Annotated[int, msgspec.Meta(ge=1)] | None = None
    reentry: bool = True
    gates: list[GateName] | None = None
    valid_from: Timestamp | None = None
    valid_until: Timestamp | None = None
    shows_holder: bool = True


class GateRule(msgspec.Struct, forbid_unknown_fields=True):
    """A check-in rule (JSON logic, see `contract.gate_rules`) for entry scans."""

    id: uuid.UUID
    rule: dict[str, object]
    description: Name
    ticket_type_id: uuid.UUID | None = None
    gate: GateName | None = None


class Ticket(msgspec.Struct, forbid_unknown_fields=True):
    id: uuid.UUID
    ticket_type_id: uuid.UUID
    holder: Name | None = None
    seat: Name | None = None


class Revocation(msgspec.Struct, forbid_unknown_fields=True):
    ticket_id: uuid.UUID
    reason: Name = "refunded"
    revoked_at: Timestamp | None = None


class Block(msgspec.Struct, forbid_unknown_fields=True):
    ticket_id: uuid.UUID
    reason: Name = "blocked"
    blocked_at: Timestamp | None = None


class EventPackage(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    version: int
    created_at: Timestamp
    event: EventInfo
    keys: list[PublicKey]
    ticket_types: list[TicketType]
    gate_rules: list[GateRule] = []
    tickets: list[Ticket] = []
    revocations: list[Revocation] = []
    blocks: list[Block] = []


def check_package(package: EventPackage) -> None:
    """Cross-field checks a schema cannot express; raises EventPackageError."""
    if package.format != FORMAT:
        raise EventPackageError(f"not an event package (format {package.format!r})")
    if package.version != VERSION:
        raise EventPackageError(
            f"event package version {package.version} is not supported (this gate reads {VERSION})"
        )
    if not package.keys:
        raise EventPackageError("the package has no public keys: no ticket could be verified")
    for label, ids in (
        ("key id", [k.key_id for k in package.keys]),
        ("ticket type id", [t.id for t in package.ticket_types]),
        ("gate rule id", [r.id for r in package.gate_rules]),
        ("ticket id", [t.id for t in package.tickets]),
    ):
        if len(set(ids)) != len(ids):
            raise EventPackageError(f"duplicate {label} in the package")
    type_ids = {t.id for t in package.ticket_types}
    for ticket in package.tickets:
        if ticket.ticket_type_id not in type_ids:
            raise EventPackageError(
                f"ticket {ticket.id} has ticket type {ticket.ticket_type_id}, "
                "which the package does not define"
            )
    for rule in package.gate_rules:
        if rule.ticket_type_id is not None and rule.ticket_type_id not in type_ids:
            raise EventPackageError(f"gate rule {rule.id} names an unknown ticket type")
        try:
            validate_rule(rule.rule)
        except GateRuleError as exc:
            raise EventPackageError(f"gate rule {rule.id}: {exc}") from None


def encode_package(package: EventPackage) -> bytes:
    """The package as file bytes (gzip of JSON)."""
    check_package(package)
    # mtime=0 keeps the bytes reproducible for the same content.
    return gzip.compress(msgspec.json.encode(package), compresslevel=6, mtime=0)


def decode_package(data: bytes) -> EventPackage:
    """Read package bytes; raises EventPackageError naming what is wrong."""
    raw = _gunzip(data) if data[:2] == b"\x1f\x8b" else data
    try:
        package = msgspec.json.decode(raw, type=EventPackage)
    except msgspec.ValidationError as exc:
        raise EventPackageError(f"the package content is invalid: {exc}") from None
    except msgspec.DecodeError as exc:
        raise EventPackageError(f"not an event package (not JSON: {exc})") from None
    except RecursionError:
        # msgspec gives up on JSON nested deeper than the interpreter's recursion limit.
        raise EventPackageError("the package content is nested too deeply") from None
    check_package(package)
    return package


def _gunzip(data: bytes) -> bytes:
    # Bounded, so that a small hostile file cannot expand to exhaust a gate's memory.
    inflater = zlib.decompressobj(wbits=31)
    try:
        raw = inflater.decompress(data, MAX_PACKAGE_BYTES)
    except zlib.error as exc:
        raise EventPackageError(f"the package file is damaged ({exc})") from None
    if inflater.unconsumed_tail:
        raise EventPackageError("the package expands beyond the largest event package allowed")
    if not inflater.eof:
        raise EventPackageError("the package file is truncated")
    if inflater.unused_data:
        raise EventPackageError("the package file has unexpected data after its end")
    return raw


def read_package(path: Path) -> EventPackage:
    """Read a package file; raises EventPackageError (also for a missing or huge file)."""
    try:
        size = path.stat().st_size
        if size > MAX_PACKAGE_BYTES:
            raise EventPackageError(f"{path} is {size} bytes, larger than any event package")
        data = path.read_bytes()
    except OSError as exc:
        raise EventPackageError(f"cannot read {path}: {exc.strerror or exc}") from None
    return decode_package(data)


def write_package(package: EventPackage, path: Path) -> None:
    """Write a package file atomically (a half-written package is never left behind)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(encode_package(package))
    tmp.replace(path)
