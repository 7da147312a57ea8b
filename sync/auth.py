"""Authentication of sync requests: an HMAC-SHA256 over the request, keyed with the venue
secret, with a timestamp so that a captured request cannot be replayed later."""

from __future__ import annotations

import hashlib
import hmac
import time

from sync.errors import AuthenticationError

MAC_HEADER = "x-sync-mac"
TIME_HEADER = "x-sync-time"
MAX_SKEW_S = 300


def request_mac(secret: bytes, method: str, path: str, stamp: str, body: bytes) -> str:
    """The hex HMAC of one request: method, path, timestamp and body."""
    digest = hmac.new(secret, f"{method.upper()} {path} {stamp}\n".encode(), hashlib.sha256)
    digest.update(body)
    return digest.hexdigest()


def sign_request(secret: bytes, method: str, path: str, body: bytes) -> dict[str, str]:
    """Headers that authenticate a request made now."""
    stamp = str(int(time.time()))
    return {TIME_HEADER: stamp, MAC_HEADER: request_mac(secret, method, path, stamp, body)}


def verify_request(
    secret: bytes,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> None:
    """Raise ``AuthenticationError`` unless the request carries a valid, fresh MAC."""
    stamp = headers.get(TIME_HEADER, "")
    mac = headers.get(MAC_HEADER, "")
    if not stamp.isdigit() or not mac:
        raise AuthenticationError("the request is not signed")
    current = time.time() if now is None else now
    if abs(current - int(stamp)) > MAX_SKEW_S:
        raise AuthenticationError("the request signature has expired")
    expected = request_mac(secret, method, path, stamp, body)
    if not hmac.compare_digest(mac, expected):
        raise AuthenticationError("the request signature does not verify")
