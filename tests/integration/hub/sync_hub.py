"""A real hub process whose sync routes know devices from a file instead of enrolment, so
that the replication tests and the bench can make thousands of gate-like replicas (and sign
as them) without enrolling each; tests/integration/hub/test_one_system.py covers the real
enrolled path.

``python -m tests.integration.hub.sync_hub --port P --database-url URL --devices FILE``
serves ``hub.app.create_app`` with a ``DeviceDirectory`` over a JSON file ({"secret": hex,
"devices": {device id: public key hex}}): nonces remembered by this process, ``seen``
appended to ``FILE.seen``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import nacl.signing

from hub.replication.directory import DeviceDirectory
from sync.client import Signer
from sync.device_auth import NonceWindow, SignedRequest, sign_device_request
from voelgoed.processes import ServerProcess, free_port


@dataclass
class Devices:
    """The roster a test writes and its hub processes read."""

    path: Path
    secret: bytes
    keys: dict[str, nacl.signing.SigningKey]

    @classmethod
    def make(cls, path: Path, count: int) -> Devices:
        keys = {str(uuid.uuid4()): nacl.signing.SigningKey.generate() for _ in range(count)}
        devices = cls(path, secrets.token_bytes(32), keys)
        path.write_text(
            json.dumps(
                {
                    "secret": devices.secret.hex(),
                    "devices": {d: bytes(k.verify_key).hex() for d, k in keys.items()},
                }
            )
        )
        return devices

    def signer(self, device: str) -> Signer:
        key = self.keys[device]
        return lambda method, path, body: sign_device_request(key, device, method, path, body)


def directory_from(path: Path) -> DeviceDirectory:
    data = json.loads(path.read_text())
    secret = bytes.fromhex(data["secret"])
    keys = {d: bytes.fromhex(k) for d, k in data["devices"].items()}
    window = NonceWindow()
    seen_log = path.with_suffix(".seen")

    async def sync_key(event_id: uuid.UUID, device: str) -> bytes | None:
        return keys.get(device)

    async def admit_nonce(signed: SignedRequest, now_ms: int) -> None:
        window.admit(signed, now_ms)

    async def seen(
        device_id: str,
        *,
        clock_offset_ms: int,
        software_version: str | None,
        backlog: int | None,
        now: dt.datetime,
    ) -> None:
        with seen_log.open("a") as log:
            log.write(json.dumps([device_id, clock_offset_ms, software_version, backlog]) + "\n")

    async def sync_secret(event_id: uuid.UUID) -> bytes | None:
        return secret

    return DeviceDirectory(sync_key, admit_nonce, seen, sync_secret)


@contextmanager
def serve_sync_hub(database_url: str, data: Path, devices: Path) -> Iterator[str]:
    """One hub process on a free loopback port; its URL once it answers."""
    port = free_port()
    data.mkdir(parents=True, exist_ok=True)
    process = ServerProcess(
        [
            sys.executable,
            "-m",
            "tests.integration.hub.sync_hub",
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--devices",
            str(devices),
            "--data",
            str(data),
        ],
        port,
        log_path=data / f"hub-{port}.log",
    ).start(timeout=60)
    try:
        with httpx.Client(base_url=process.url) as probe:
            for _ in range(400):
                try:
                    if probe.get("/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(0.05)
        yield process.url
    finally:
        process.stop()


def main() -> None:
    import uvicorn  # noqa: PLC0415

    from hub.app import create_app  # noqa: PLC0415
    from hub.settings import HubSettings  # noqa: PLC0415

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--devices", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    settings = HubSettings(
        data_dir=args.data,
        database_url=args.database_url,
        port=args.port,
        secret_key=b"sync-hub-tests-secret-key",
        migrate_on_start=False,
    )
    app = create_app(settings, sync_directory=directory_from(args.devices))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", loop="uvloop")


if __name__ == "__main__":
    main()
