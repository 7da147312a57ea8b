"""Device-signed sync requests: an Ed25519 signature by the sending device over the request,
with a timestamp and a nonce, so that a captured request can be replayed neither later nor
within the time window.

The signature covers the method, the path, the timestamp, the nonce, and the body's length
and SHA-256, all sent as headers. A receiver therefore checks the signature (and the
device's place in its roster, and the nonce) before it reads a byte of the body, and reads
at most the signed length; ``check_body`` then holds the body to its signed digest.

Headers: ``x-device-id`` (the device's id as its roster names it), ``x-device-time``
(milliseconds since the epoch), ``x-device-nonce`` (32 hex digits, never reused),
``x-content-length``, ``x-content-sha256`` (hex) and ``x-device-signature`` (hex).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Final

import nacl.exceptions
import nacl.signing

from sync.errors import AuthenticationError

DEVICE_HEADER: Final = "x-device-id"
TIME_HEADER: Final = "x-device-time"
NONCE_HEADER: Final = "x-device-nonce"
LENGTH_HEADER: Final = "x-content-length"
DIGEST_HEADER: Final = "x-content-sha256"
SIGNATURE_HEADER: Final = "x-device-signature"
SIGNED_HEADERS: Final = (
    DEVICE_HEADER,
    TIME_HEADER,
    NONCE_HEADER,
    LENGTH_HEADER,
    DIGEST_HEADER,
    SIGNATURE_HEADER,
)

MAX_SKEW_MS: Final = 300_000
"""How far a request's timestamp may be from the receiver's clock (5 minutes); nonces are
remembered at least this long, so a replay inside the window is refused too."""

_NONCE = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DEVICE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def signed_text(method: str, path: str, fields: SignedRequest) -> bytes:
    """The bytes a device signs for one request."""
    return (
        f"voelgoed-sync-v1\n{method.upper()}\n{path}\n{fields.device}\n{fields.stamp_ms}\n"
        f"{fields.nonce}\n{fields.length}\n{fields.digest}"
    ).encode()


def sign_device_request(
    key: nacl.signing.SigningKey,
    device: str,
    method: str,
    path: str,
    body: bytes,
    *,
    now_ms: int | None = None,
) -> dict[str, str]:
    """The headers that authenticate one request made now by ``device``."""
    stamp = int(time.time() * 1000) if now_ms is None else now_ms
    nonce = os.urandom(16).hex()
    digest = hashlib.sha256(body).hexdigest()
    text = signed_text(method, path, SignedRequest(device, stamp, nonce, len(body), digest))
    return {
        DEVICE_HEADER: device,
        TIME_HEADER: str(stamp),
        NONCE_HEADER: nonce,
        LENGTH_HEADER: str(len(body)),
        DIGEST_HEADER: digest,
        SIGNATURE_HEADER: key.sign(text).signature.hex(),
    }


class SignedRequest:
    """A request whose signed headers verified: who sent it, when, and the body it declared."""

    __slots__ = ("device", "digest", "length", "nonce", "stamp_ms")

    def __init__(self, device: str, stamp_ms: int, nonce: str, length: int, digest: str) -> None:
        self.device = device
        self.stamp_ms = stamp_ms
        self.nonce = nonce
        self.length = length
        self.digest = digest


def parse_signed_headers(headers: Mapping[str, str]) -> tuple[SignedRequest, bytes]:
    """The signed fields of a request's headers and its signature; ``AuthenticationError``
    when any is missing or malformed."""
    device = headers.get(DEVICE_HEADER, "")
    stamp = headers.get(TIME_HEADER, "")
    nonce = headers.get(NONCE_HEADER, "")
    length = headers.get(LENGTH_HEADER, "")
    digest = headers.get(DIGEST_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not device and not signature:
        raise AuthenticationError("the request is not signed by a device")
    if not (
        _DEVICE.fullmatch(device)
        and stamp.isascii()
        and stamp.isdigit()
        and len(stamp) <= 15
        and _NONCE.fullmatch(nonce)
        and length.isascii()
        and length.isdigit()
        and len(length) <= 12
        and _HEX64.fullmatch(digest)
        and re.fullmatch(r"[0-9a-f]{128}", signature)
    ):
        raise AuthenticationError("the request's device signature headers are malformed")
    return SignedRequest(device, int(stamp), nonce, int(length), digest), bytes.fromhex(signature)


def verify_signed_headers(
    method: str,
    path: str,
    headers: Mapping[str, str],
    *,
    public_key_of: Callable[[str], bytes | None],
    now_ms: int,
    max_body: int,
) -> SignedRequest:
    """Check a request's signature against its device's roster key, before any body is read.

    ``public_key_of(device)`` answers the device's 32-byte Ed25519 key while it may sync,
    None when the roster does not know it or it was revoked. The nonce is not checked here
    (see ``NonceWindow``): a caller records it only once the signature verified.
    """
    signed, signature = parse_signed_headers(headers)
    if abs(now_ms - signed.stamp_ms) > MAX_SKEW_MS:
        raise AuthenticationError(
            "the request's timestamp is more than 5 minutes from this clock (check the clocks)"
        )
    if signed.length > max_body:
        raise AuthenticationError("the request's body is larger than this receiver takes")
    public_key = public_key_of(signed.device)
    if public_key is None:
        raise AuthenticationError(f"device {signed.device} is not enrolled here or was revoked")
    text = signed_text(method, path, signed)
    try:
        nacl.signing.VerifyKey(public_key).verify(text, signature)
    except (nacl.exceptions.BadSignatureError, ValueError, TypeError) as exc:
        raise AuthenticationError("the request's device signature does not verify") from exc
    return signed


def check_body(signed: SignedRequest, body: bytes) -> None:
    """Hold a body to the length and digest its signature covers."""
    if len(body) != signed.length or hashlib.sha256(body).hexdigest() != signed.digest:
        raise AuthenticationError("the request body is not the one its device signed")


class NonceWindow:
    """Nonces seen within the time window, per receiver process; a repeat is refused.

    Bounded: past ``capacity`` (far more requests than gates send in 10 minutes), the oldest
    are forgotten, and a timestamp older than the oldest one remembered is refused instead,
    so the bound never lets a replay through. Thread-safe.
    """

    def __init__(self, *, window_ms: int = 2 * MAX_SKEW_MS, capacity: int = 200_000) -> None:
        self._window_ms = window_ms
        self._capacity = capacity
        self._seen: OrderedDict[str, int] = OrderedDict()
        self._floor_ms = 0
        self._lock = threading.Lock()

    def admit(self, signed: SignedRequest, now_ms: int) -> None:
        """Record the request's nonce, or raise ``AuthenticationError`` for a replay."""
        key = f"{signed.device}/{signed.nonce}"
        with self._lock:
            while self._seen:
                oldest_key, oldest_at = next(iter(self._seen.items()))
                if oldest_at >= now_ms - self._window_ms and len(self._seen) < self._capacity:
                    break
                del self._seen[oldest_key]
                self._floor_ms = max(self._floor_ms, oldest_at)
            if signed.stamp_ms <= self._floor_ms:
                raise AuthenticationError("the request is older than this receiver remembers")
            if key in self._seen:
                raise AuthenticationError("the request was replayed (its nonce was seen)")
            self._seen[key] = signed.stamp_ms


def new_device_key() -> nacl.signing.SigningKey:
    """A fresh Ed25519 device key."""
    return nacl.signing.SigningKey.generate()
