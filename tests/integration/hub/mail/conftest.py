"""A hub that sends email through a real SMTP server (aiosmtpd on loopback).

It has a database of its own: every hub process runs a delivery loop over its database's
outbox, and the session's hub (which has no SMTP server and writes .eml files instead)
must not deliver this hub's messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hub import database
from hub.provisioning import create_org
from tests.integration.hub.conftest import PASSWORD, Hub, Org
from tests.integration.hub.mail.smtp_server import MailServer
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

SENDER = "noreply@hub.test"
# Retries start this soon here (30 s in production), so a test sees several.
RETRY_AFTER = "0.3"


def serve_hub(
    database_url: str, data: Path, *options: str, env: dict[str, str] | None = None
) -> Hub:
    """`voelgoed hub serve` on a free loopback port, once its health check answers."""
    port = free_port()
    process = ServerProcess(
        voelgoed_command(
            "hub",
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            "--database-url",
            database_url,
            "--log-level",
            "warning",
            *options,
        ),
        port,
        log_path=data / "hub.log",
        env={"VOELGOED_HUB_SECRET": "mail-test-secret-" + "x" * 16, **(env or {})},
    ).start(timeout=60)
    hub = Hub(process.url, database_url, data, process)
    with httpx.Client(base_url=hub.url) as probe:
        for _ in range(400):
            try:
                if probe.get("/api/v1/health").status_code == 200:
                    return hub
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    process.stop()
    raise TimeoutError("the hub did not become healthy")


def smtp_options(smtp: MailServer) -> list[str]:
    """`hub serve` options for sending through `smtp`."""
    return ["--smtp", smtp.url, "--mail-from", SENDER, "--mail-retry-after", RETRY_AFTER]


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, migrated database on the server of `server_url`; dropped afterwards."""
    name = f"vg_mail_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(database.create_database(server_url, name))
    url = database.with_database(server_url, name)
    try:
        asyncio.run(database.migrate(url))
        yield url
    finally:
        asyncio.run(database.drop_database(server_url, name))


@pytest.fixture(scope="session")
def mail_database_url(hub_database_url: str) -> Iterator[str]:
    """A database of the hubs that send email."""
    with fresh_database(hub_database_url) as url:
        yield url


@pytest.fixture(scope="session")
def smtp() -> Iterator[MailServer]:
    server = MailServer().start()
    yield server
    server.stop()


@dataclass
class MailHub:
    """The emailing hub, its SMTP server and how to make orgs on it."""

    hub: Hub
    smtp: MailServer

    def make_org(self, name: str = "Mail org") -> Org:
        slug = f"org-{uuid.uuid4().hex[:10]}"
        email = f"admin-{slug}@example.org"
        done = asyncio.run(
            create_org(
                self.hub.database_url,
                self.hub.data_dir,
                email=email,
                name="Admin",
                password=PASSWORD,
                org_name=name,
                slug=slug,
                api_key_name="admin key",
            )
        )
        assert done.api_key is not None
        api = self.hub.client(headers={"authorization": f"Bearer {done.api_key}"})
        return Org(slug, email, done.api_key, api, self.hub)


@pytest.fixture(scope="session")
def mail_hub(
    tmp_path_factory: pytest.TempPathFactory, mail_database_url: str, smtp: MailServer
) -> Iterator[MailHub]:
    data = tmp_path_factory.mktemp("mail-hub")
    hub = serve_hub(mail_database_url, data, *smtp_options(smtp))
    try:
        yield MailHub(hub, smtp)
    finally:
        for client in hub.clients:
            client.close()
        hub.process.stop()
