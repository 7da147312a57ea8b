"""The gate's device identity at the hub, as enrolment left it in the data folder.

`device.key` holds the raw 32-byte Ed25519 seed (mode 0600: it never leaves the gate) and
`device.json` what the hub said at enrolment (gate_node.enrolment writes both): at least
`device_id`, `hub_url` and
`venue_secret` (hex: the key of the changesets' HMAC chain), and the `events` served. A
folder with neither file is an offline gate (the venue secret's mode); a folder with one of
them, or a damaged one, is refused with the file named, never silently served offline.
"""

from __future__ import annotations

import json
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import nacl.signing

from gate_node.errors import DeviceIdentityInvalid
from sync.client import Signer
from sync.device_auth import sign_device_request

KEY_FILE: Final = "device.key"
INFO_FILE: Final = "device.json"
SEED_BYTES: Final = 32
MIN_SECRET_BYTES: Final = 16


@dataclass(frozen=True)
class DeviceIdentity:
    """Who this gate is at the hub and in the venue's device roster."""

    device_id: str
    signing_key: nacl.signing.SigningKey = field(repr=False)
    hub_url: str | None
    venue_secret: bytes = field(repr=False)
    events: list[dict[str, str]] = field(default_factory=list)

    @property
    def public_key(self) -> bytes:
        """The 32-byte public key the roster holds for this device."""
        return bytes(self.signing_key.verify_key)

    def signer(self) -> Signer:
        """Headers signing one sync request (method, path, body) as this device."""
        key, device = self.signing_key, self.device_id
        return lambda method, path, body: sign_device_request(key, device, method, path, body)


def load_identity(data_dir: Path) -> DeviceIdentity | None:
    """The device identity in `data_dir`, or None when the gate was never enrolled.
    Raises `DeviceIdentityInvalid` naming the file and the problem otherwise."""
    key_path, info_path = data_dir / KEY_FILE, data_dir / INFO_FILE
    if not key_path.exists() and not info_path.exists():
        return None
    for path in (key_path, info_path):
        if not path.is_file():
            raise DeviceIdentityInvalid(f"{path} is missing: enrol this gate again")
    info = _info(info_path)
    return DeviceIdentity(
        device_id=_text(info, "device_id", info_path),
        signing_key=nacl.signing.SigningKey(_seed(key_path)),
        hub_url=_optional_text(info, "hub_url", info_path),
        venue_secret=_secret(info, info_path),
        events=_events(info, info_path),
    )


def _seed(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise DeviceIdentityInvalid(
            f"{path} is readable by other users (mode {stat.filemode(mode)}):"
            f" run `chmod 600 {path}`"
        )
    seed = path.read_bytes()
    if len(seed) != SEED_BYTES:
        raise DeviceIdentityInvalid(
            f"{path} holds {len(seed)} bytes, not a {SEED_BYTES}-byte key: enrol this gate again"
        )
    return seed


def _info(path: Path) -> dict[str, object]:
    try:
        info = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise DeviceIdentityInvalid(f"{path} cannot be read: {exc}") from None
    if not isinstance(info, dict):
        raise DeviceIdentityInvalid(f"{path} is not a JSON object")
    return info


def _text(info: dict[str, object], name: str, path: Path) -> str:
    value = info.get(name)
    if not isinstance(value, str) or not value:
        raise DeviceIdentityInvalid(f"{path} has no `{name}`")
    return value


def _optional_text(info: dict[str, object], name: str, path: Path) -> str | None:
    value = info.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise DeviceIdentityInvalid(f"{path}: `{name}` is not text")
    return value or None


def _secret(info: dict[str, object], path: Path) -> bytes:
    text = _text(info, "venue_secret", path)
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise DeviceIdentityInvalid(f"{path}: `venue_secret` is not hex") from None
    if len(secret) < MIN_SECRET_BYTES:
        raise DeviceIdentityInvalid(f"{path}: `venue_secret` is too short")
    return secret


def _events(info: dict[str, object], path: Path) -> list[dict[str, str]]:
    events = info.get("events", [])
    if not isinstance(events, list) or not all(
        isinstance(e, dict) and all(isinstance(v, str) for v in e.values()) for e in events
    ):
        raise DeviceIdentityInvalid(f"{path}: `events` is not a list of objects of text")
    return [{str(k): str(v) for k, v in e.items()} for e in events]
