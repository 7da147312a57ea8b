"""A hub that sends email through a real SMTP server (aiosmtpd on loopback).

It has a database of its own: every hub process runs a delivery loop over its database's
outbox, and the session's hub (which has no SMTP server and writes .eml files instead)
must not deliver this hub's messages.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.integration.hub.conftest import (
    Hub,
    Org,
    fresh_database,
    new_org,
    serve_hub,
    stop_hub,
)
from tests.integration.hub.mail.smtp_server import MailServer

SENDER = "noreply@hub.test"
# Retries start this soon here (30 s in production), so a test sees several.
RETRY_AFTER = "0.3"


def smtp_options(smtp: MailServer) -> list[str]:
    """`hub serve` options for sending through `smtp`."""
    return ["--smtp", smtp.url, "--mail-from", SENDER, "--mail-retry-after", RETRY_AFTER]


@pytest.fixture(scope="session")
def mail_database_url(hub_database_url: str) -> Iterator[str]:
    """A database of the hubs that send email."""
    with fresh_database(hub_database_url, "vg_mail") as url:
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
        return new_org(self.hub, name)


@pytest.fixture(scope="session")
def mail_hub(
    tmp_path_factory: pytest.TempPathFactory, mail_database_url: str, smtp: MailServer
) -> Iterator[MailHub]:
    data = tmp_path_factory.mktemp("mail-hub")
    hub = serve_hub(mail_database_url, data, *smtp_options(smtp))
    try:
        yield MailHub(hub, smtp)
    finally:
        stop_hub(hub)
