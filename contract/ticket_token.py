"""The signed ticket token: what a QR code carries and any gate verifies offline.

Text form: ``VG1:`` followed by base43 (see `contract.base43`) of

    flags u8 | key_id u16 | event_id 16 | ticket_id 16 | ticket_type_id 16
    | [valid_from u32] | [valid_until u32] | signature 64

all big-endian; flags bit 0 and bit 1 say whether each validity bound is present (unix
seconds). The Ed25519 signature covers a domain prefix plus every byte before it, so a token
cannot be replayed as any other kind of signed message. Tokens are 177 characters, 189 with
a full validity window: comfortably under the 200-character budget, and all in the QR
alphanumeric set.

Parsing and verification never raise: every input gives either claims or a `TokenProblem`
whose `reason` is one of the gate's stable reason codes (``invalid``, ``forged``).
"""

from __future__ import annotations

import datetime as dt
import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import nacl.exceptions
import nacl.signing
from nacl.bindings import crypto_sign_open

from contract import base43

PREFIX: Final = "VG1:"
MAX_TOKEN_LENGTH: Final = 200
SIGNATURE_DOMAIN: Final = b"voelgoed-ticket-v1\x00"

_HEADER = struct.Struct(">BH16s16s16s")
_BOUND = struct.Struct(">I")
_SIG_LEN = 64
_FLAG_FROM = 0x01
_FLAG_UNTIL = 0x02
_MIN_BYTES = _HEADER.size + _SIG_LEN
_MAX_BYTES = _MIN_BYTES + 2 * _BOUND.size
_MAX_U32 = 2**32 - 1

TokenReason = Literal["invalid", "forged"]


@dataclass(frozen=True, slots=True)
class TicketClaims:
    """What a ticket token asserts; trustworthy only once `verify_token` has returned it."""

    event_id: uuid.UUID
    ticket_id: uuid.UUID
    ticket_type_id: uuid.UUID
    key_id: int
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedToken:
    """A structurally valid token whose signature has not been checked yet."""

    claims: TicketClaims
    signed_bytes: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class TokenProblem:
    """Why a code is not an acceptable token: a stable reason code and words for staff."""

    reason: TokenReason
    message: str


@dataclass(frozen=True, slots=True)
class SigningKey:
    """An event's private signing key with the id that tokens name it by."""

    key_id: int
    seed: bytes

    @classmethod
    def generate(cls, key_id: int) -> SigningKey:
        """A fresh random key."""
        return cls(key_id, bytes(nacl.signing.SigningKey.generate()))

    @property
    def public_key(self) -> bytes:
        """The 32-byte Ed25519 public key that gates verify with."""
        return bytes(nacl.signing.SigningKey(self.seed).verify_key)


def uuid_from_bytes(raw: bytes) -> uuid.UUID:
    """`uuid.UUID(bytes=raw)` for exactly 16 bytes, without its argument checks.

    Three ids per scan on the scan path: the checks cost more than the rest of the parse.
    UUID keeps its value in the `int` and `is_safe` slots (CPython 3.8 onwards).
    """
    value = object.__new__(uuid.UUID)
    object.__setattr__(value, "int", int.from_bytes(raw))
    object.__setattr__(value, "is_safe", uuid.SafeUUID.unknown)
    return value


def _epoch(moment: dt.datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("validity bounds must be timezone-aware")
    seconds = int(moment.timestamp())
    if not 0 <= seconds <= _MAX_U32:
        raise ValueError("validity bound outside 1970..2106")
    return seconds


def _from_epoch(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def sign_token(claims: TicketClaims, key: SigningKey) -> str:
    """Encode and sign `claims` with `key`; raises ValueError for claims that cannot be encoded."""
    if claims.key_id != key.key_id:
        raise ValueError("claims name a different key id than the signing key")
    if not 0 <= key.key_id <= 0xFFFF:
        raise ValueError("key id must fit in 16 bits")
    flags = 0
    tail = b""
    if claims.valid_from is not None:
        flags |= _FLAG_FROM
        tail += _BOUND.pack(_epoch(claims.valid_from))
    if claims.valid_until is not None:
        flags |= _FLAG_UNTIL
        tail += _BOUND.pack(_epoch(claims.valid_until))
    body = (
        _HEADER.pack(
            flags,
            key.key_id,
            claims.event_id.bytes,
            claims.ticket_id.bytes,
            claims.ticket_type_id.bytes,
        )
        + tail
    )
    signature = nacl.signing.SigningKey(key.seed).sign(SIGNATURE_DOMAIN + body).signature
    return PREFIX + base43.encode(body + signature)


def parse_token(code: object) -> ParsedToken | TokenProblem:
    """Check a scanned code's structure. Never raises: any input gives a value."""
    if isinstance(code, bytes | bytearray | memoryview):
        try:
            code = bytes(code).decode("ascii")
        except ValueError:  # not ASCII (UnicodeDecodeError), or a released memoryview
            return TokenProblem("invalid", "Not a Voelgoed ticket: the code is not text.")
    if not isinstance(code, str):
        return TokenProblem("invalid", "Not a Voelgoed ticket: the code is not text.")
    # Wedge scanners and copy-paste add line ends; the alphabet has no whitespace, so
    # stripping it cannot change a genuine token.
    if len(code) > MAX_TOKEN_LENGTH + 8:
        return TokenProblem("invalid", "Not a Voelgoed ticket: the code is far too long.")
    code = code.strip()
    if not code.startswith(PREFIX):
        return TokenProblem("invalid", "Not a Voelgoed ticket code.")
    if len(code) > MAX_TOKEN_LENGTH:
        return TokenProblem("invalid", "Not a Voelgoed ticket: the code is too long.")
    try:
        raw = base43.decode(code[len(PREFIX) :])
    except base43.Base43Error:
        return TokenProblem("invalid", "Damaged ticket code: it contains unreadable characters.")
    if not _MIN_BYTES <= len(raw) <= _MAX_BYTES:
        return TokenProblem("invalid", "Damaged ticket code: it is truncated or padded.")
    flags, key_id, event_b, ticket_b, type_b = _HEADER.unpack_from(raw)
    if flags & ~(_FLAG_FROM | _FLAG_UNTIL):
        return TokenProblem("invalid", "Damaged ticket code: unknown flags.")
    n_bounds = bin(flags).count("1")
    if len(raw) != _MIN_BYTES + n_bounds * _BOUND.size:
        return TokenProblem("invalid", "Damaged ticket code: its length does not match.")
    offset = _HEADER.size
    valid_from = valid_until = None
    if flags & _FLAG_FROM:
        valid_from = _from_epoch(_BOUND.unpack_from(raw, offset)[0])
        offset += _BOUND.size
    if flags & _FLAG_UNTIL:
        valid_until = _from_epoch(_BOUND.unpack_from(raw, offset)[0])
        offset += _BOUND.size
    claims = TicketClaims(
        event_id=uuid_from_bytes(event_b),
        ticket_id=uuid_from_bytes(ticket_b),
        ticket_type_id=uuid_from_bytes(type_b),
        key_id=key_id,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return ParsedToken(claims, raw[:offset], raw[offset:])


def verify_token(
    parsed: ParsedToken, keys: Mapping[int, nacl.signing.VerifyKey]
) -> TicketClaims | TokenProblem:
    """Check the signature against the event's public keys, selected by the token's key id."""
    key = keys.get(parsed.claims.key_id)
    if key is None:
        return TokenProblem("forged", "Forged ticket: signed with a key this event does not know.")
    try:
        # The binding directly: VerifyKey.verify re-checks types and copies on every call,
        # a tenth of the cost of a verification on the scan path.
        crypto_sign_open(parsed.signature + SIGNATURE_DOMAIN + parsed.signed_bytes, key.encode())
    except nacl.exceptions.BadSignatureError:
        return TokenProblem("forged", "Forged ticket: the signature does not match.")
    return parsed.claims


def decode_token(
    code: object, keys: Mapping[int, nacl.signing.VerifyKey]
) -> TicketClaims | TokenProblem:
    """Parse and verify in one step (for callers that need no event check in between)."""
    parsed = parse_token(code)
    if isinstance(parsed, TokenProblem):
        return parsed
    return verify_token(parsed, keys)


def verify_keys(public_keys: Mapping[int, bytes]) -> dict[int, nacl.signing.VerifyKey]:
    """Prepared verifiers for an event's public keys, keyed by key id."""
    return {key_id: nacl.signing.VerifyKey(pk) for key_id, pk in public_keys.items()}
