"""Enrolling a gate at its hub: a fresh Ed25519 device key, one token, the gate's identity.

``enrol(hub_url, token, data_dir)`` makes the device key, keeps it in ``DATA/device.key``
(the raw 32-byte seed, mode 0600, never printed nor sent), sends the public key to the hub's
``POST /api/v1/enrol`` and writes what the hub answers to ``DATA/device.json`` (mode 0600
too: it holds the venue's sync secret). The key is on disk before the hub hears of it, so an
enrolment the hub accepted always has its key; when the enrolment fails the new key is
removed and an earlier identity (``--force`` re-enrolment) is left as it was.

``device.json`` (UTF-8 JSON object, written by ``write_identity``):
``{"format": 1, "device_id", "device_name", "hub_url", "hub_id", "org", "venue",
"venue_id", "gate", "events": [{"id", "name", "sync_path"}], "venue_secret": hex,
"enrolled_at": ISO 8601 UTC}``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx
import msgspec
import nacl.signing

from gate_node.errors import GateError
from sync.device_auth import new_device_key

KEY_FILE: Final = "device.key"
IDENTITY_FILE: Final = "device.json"
FORMAT: Final = 1
ENROL_PATH: Final = "/api/v1/enrol"
_TOKEN = re.compile(r"vgt1\.[A-Za-z0-9_-]{1,64}\.[A-Za-z0-9_-]{20,128}")


class EnrolmentError(GateError):
    """Enrolment did not happen; ``exit_code`` is what ``voelgoed gate enrol`` exits with
    (listed in docs/cli.md)."""

    code = "enrolment_failed"
    exit_code = 20


class AlreadyEnrolled(EnrolmentError):
    code = "already_enrolled"
    exit_code = 3


class HubUnreachable(EnrolmentError):
    code = "hub_unreachable"
    exit_code = 4


class NotAHub(EnrolmentError):
    code = "not_a_hub"
    exit_code = 5


class BadToken(EnrolmentError):
    """The token is not an enrolment token's text (checked before the hub is asked)."""

    code = "token_malformed"
    exit_code = 6


class HubRefused(EnrolmentError):
    """The hub answered with its error shape; ``code`` is the hub's code."""

    exit_code = 19

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.exit_code = HUB_EXIT_CODES.get(code, 19)


class DamagedIdentity(GateError):
    code = "identity_damaged"
    http_status = 500


HUB_EXIT_CODES: Final = {
    "token_unknown": 10,
    "token_used": 11,
    "token_expired": 12,
    "device_revoked": 13,
    "token_other_hub": 14,
    "invalid_body": 15,
    "invalid_json": 15,
}
"""The hub's enrolment error codes and the exit status of each (any other: 19)."""

_HUB_SENTENCES: Final = {
    "token_unknown": "The hub does not know this enrolment token: check it was copied whole,"
    " or make a new one in the organiser app.",
    "token_used": "This enrolment token was already used: make a new one for this gate in the"
    " organiser app.",
    "token_expired": "This enrolment token has expired: make a new one in the organiser app.",
    "device_revoked": "The device this token is for was revoked at the hub: re-key it in the"
    " organiser app and enrol with the new token.",
    "token_other_hub": "This enrolment token belongs to another hub: use the hub that made it.",
    "invalid_body": "The hub refused the enrolment request as malformed",
    "invalid_json": "The hub refused the enrolment request as malformed",
}


class EventServed(msgspec.Struct, forbid_unknown_fields=False):
    id: str
    name: str
    sync_path: str


class EnrolAnswer(msgspec.Struct, forbid_unknown_fields=False):
    """The hub's 200 answer to ``POST /api/v1/enrol`` (docs/hub-api.md)."""

    hub_id: str
    device_id: str
    device_name: str
    org: str
    venue: str
    venue_id: str
    gate: str
    events: list[EventServed]
    venue_secret: str


class Identity(msgspec.Struct, forbid_unknown_fields=False):
    """``device.json``: who this gate is at its hub, and what it serves."""

    device_id: str
    device_name: str
    hub_url: str
    hub_id: str
    org: str
    venue: str
    venue_id: str
    gate: str
    events: list[EventServed]
    venue_secret: str
    enrolled_at: str
    format: int = FORMAT

    @property
    def secret(self) -> bytes:
        return bytes.fromhex(self.venue_secret)


@dataclass(frozen=True)
class Enrolled:
    """What ``enrol`` did: the identity written and the device's public key (hex)."""

    identity: Identity
    public_key: str


def software_version() -> str:
    """The installed ``voelgoed`` distribution's version."""
    try:
        return importlib.metadata.version("voelgoed")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def hub_base(url: str) -> str:
    """The hub's base URL without a trailing slash; ``NotAHub`` for anything not http(s)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NotAHub(f"{url!r} is not a hub address: give it as http(s)://host[:port]")
    return url.strip().rstrip("/")


def _write_private(path: Path, data: bytes) -> None:
    """Create ``path`` holding ``data``, readable by this user only from the first byte."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_enrolled(data_dir: Path) -> bool:
    return (data_dir / IDENTITY_FILE).exists()


def enrol(
    hub_url: str,
    token: str,
    data_dir: Path,
    *,
    force: bool = False,
    host_name: str | None = None,
    now: dt.datetime | None = None,
    timeout_s: float = 10.0,
) -> Enrolled:
    """Enrol the gate of ``data_dir`` at the hub with a one-time ``token``."""
    base = hub_base(hub_url)
    token = token.strip()
    if not _TOKEN.fullmatch(token):
        raise BadToken(
            "That is not an enrolment token (they look like vgt1.<hub>.<code>): copy it whole"
            " from the organiser app."
        )
    data_dir.mkdir(parents=True, exist_ok=True)
    if is_enrolled(data_dir) and not force:
        raise AlreadyEnrolled(
            f"{data_dir} is already enrolled (see {IDENTITY_FILE}); to enrol it again after"
            " a re-key at the hub, add --force (the replica is kept, the key replaced)."
        )
    pending_key = data_dir / (KEY_FILE + ".pending")
    pending_identity = data_dir / (IDENTITY_FILE + ".pending")
    for stale in (pending_key, pending_identity):
        stale.unlink(missing_ok=True)
    key = new_device_key()
    _write_private(pending_key, bytes(key))
    try:
        answer = _ask_hub(base, token, key, host_name or socket.gethostname(), timeout_s)
        stamp = (now or dt.datetime.now(dt.UTC)).isoformat().replace("+00:00", "Z")
        identity = Identity(
            device_id=answer.device_id,
            device_name=answer.device_name,
            hub_url=base,
            hub_id=answer.hub_id,
            org=answer.org,
            venue=answer.venue,
            venue_id=answer.venue_id,
            gate=answer.gate,
            events=answer.events,
            venue_secret=answer.venue_secret,
            enrolled_at=stamp,
        )
        _write_private(pending_identity, msgspec.json.encode(identity) + b"\n")
        # The key first: a gate whose identity names a key it lacks could not sign at all.
        os.replace(pending_key, data_dir / KEY_FILE)
        os.replace(pending_identity, data_dir / IDENTITY_FILE)
        _sync_dir(data_dir)
    except BaseException:
        for leftover in (pending_key, pending_identity):
            leftover.unlink(missing_ok=True)
        raise
    return Enrolled(identity, key.verify_key.encode().hex())


def _ask_hub(
    base: str, token: str, key: nacl.signing.SigningKey, host_name: str, timeout_s: float
) -> EnrolAnswer:
    body = {
        "token": token,
        "public_key": key.verify_key.encode().hex(),
        "host_name": host_name[:255],
        "software_version": software_version(),
    }
    try:
        response = httpx.post(base + ENROL_PATH, json=body, timeout=timeout_s)
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise HubUnreachable(
            f"The hub at {base} cannot be reached: {exc or type(exc).__name__}."
            " Check the address and the network."
        ) from None
    return _read_answer(base, response)


def _read_answer(base: str, response: httpx.Response) -> EnrolAnswer:
    not_a_hub = NotAHub(
        f"{base} answered {response.status_code} to {ENROL_PATH} without a Voelgoed answer:"
        " it is not a Voelgoed hub (or not this version of one). Check the address."
    )
    try:
        content = json.loads(response.content)
    except ValueError:
        raise not_a_hub from None
    if response.status_code == 200:
        try:
            answer = msgspec.convert(content, EnrolAnswer)
            bytes.fromhex(answer.venue_secret)
        except (msgspec.ValidationError, ValueError):
            raise not_a_hub from None
        return answer
    error = content.get("error") if isinstance(content, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    if not isinstance(code, str) or not isinstance(message, str):
        raise not_a_hub
    sentence = _HUB_SENTENCES.get(code)
    if sentence is None:
        raise HubRefused(code, f"The hub refused the enrolment: {message}")
    if code in ("invalid_body", "invalid_json"):
        sentence = f"{sentence}: {message}"
    raise HubRefused(code, sentence)


def read_identity(data_dir: Path) -> Identity | None:
    """``device.json`` of ``data_dir``, None when the gate is not enrolled; ``GateError``
    when the file is damaged."""
    path = data_dir / IDENTITY_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        identity = msgspec.json.decode(raw, type=Identity)
        bytes.fromhex(identity.venue_secret)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise DamagedIdentity(f"{path} is damaged ({exc}): enrol again with --force") from None
    return identity


def file_mode(path: Path) -> int | None:
    """The permission bits of ``path``, None when it does not exist."""
    with contextlib.suppress(FileNotFoundError):
        return path.stat().st_mode & 0o777
    return None
