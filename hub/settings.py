"""Settings of the hub service."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

SETTINGS_ENV: Final = "VOELGOED_HUB_WORKER_SETTINGS"
"""Where `voelgoed hub serve --workers N` hands its settings to the worker processes."""


@dataclass(frozen=True)
class HubSettings:
    """What `create_app` needs. Defaults suit a one-machine demo on loopback.

    `database_url` None: the hub starts an embedded PostgreSQL in `data_dir/postgres`.
    `secret_key` signs nothing by itself (sessions are random tokens stored hashed); it keys
    the CSRF tokens derived from each session, so it must stay stable across restarts.
    """

    data_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8800
    secret_key: bytes = b""
    # Cookies get the Secure flag behind HTTPS; a loopback demo runs plain HTTP.
    secure_cookies: bool = False
    session_days: int = 14
    max_body_bytes: int = 256 * 1024
    # Apply pending migrations at start-up (the demo and tests); production runs
    # `voelgoed hub migrate` as its own deployment step.
    migrate_on_start: bool = True
    # Links in emails start with this: the address people reach the hub at (behind a proxy,
    # https://tickets.example); by default the address it serves on.
    public_url: str | None = None
    # Where email goes (see hub.mail.config): None writes it to DATA/outbox instead.
    smtp_url: str | None = None
    # The sender's address; by default noreply@ the public URL's host.
    mail_from: str | None = None
    # The first retry of an undelivered email waits this many seconds, each later one twice
    # as long (at most an hour); after a day it is marked failed.
    mail_retry_after: float = 30.0
    invitation_days: int = 7

    @property
    def base_url(self) -> str:
        """The hub's address for links that leave it (emails), without a trailing slash."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")


def settings_to_env(settings: HubSettings) -> str:
    """The settings as one environment value (JSON; the secret key as hex)."""
    values = dataclasses.asdict(settings)
    values["data_dir"] = str(settings.data_dir)
    values["secret_key"] = settings.secret_key.hex()
    return json.dumps(values)


def settings_from_env(text: str) -> HubSettings:
    """The settings `settings_to_env` wrote."""
    values = json.loads(text)
    values["data_dir"] = Path(values["data_dir"])
    values["secret_key"] = bytes.fromhex(values["secret_key"])
    return HubSettings(**values)
