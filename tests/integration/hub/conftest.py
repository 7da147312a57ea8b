"""A real hub on a real PostgreSQL for the hub's integration tests.

The server is $TEST_DATABASE_URL, else the one on 127.0.0.1:5432 when it answers, else an
embedded one started for the run. Each run gets its own database, dropped at the end; the
hub runs as a child process (`voelgoed hub serve`) on a free loopback port.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from hub import database
from hub.models import User
from hub.provisioning import create_org
from hub.roles import Role
from hub.schemas import ApiKeyIn
from hub.services import accounts
from tests.integration.kiosk_ui.conftest import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "door-open-2026"
# One secret for every hub process of a run, as the workers of one hub share theirs.
HUB_SECRET = secrets.token_urlsafe(24)


def _server_url(tmp: Path) -> str:
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        return database.tortoise_url(configured)
    if asyncio.run(database.server_answers(LOCAL_SERVER)):
        return LOCAL_SERVER
    return database.embedded_url(tmp)


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "vg_test") -> Iterator[str]:
    """A new, migrated database on the server of `server_url`; dropped afterwards."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    asyncio.run(database.create_database(server_url, name))
    url = database.with_database(server_url, name)
    try:
        asyncio.run(database.migrate(url))
        yield url
    finally:
        asyncio.run(database.drop_database(server_url, name))


@pytest.fixture(scope="session")
def hub_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, migrated database of this test run; dropped afterwards."""
    with fresh_database(_server_url(tmp_path_factory.mktemp("pg"))) as url:
        yield url


@dataclass
class Hub:
    url: str
    database_url: str
    data_dir: Path
    process: ServerProcess
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An HTTP client of the hub (closed after the session)."""
        c = httpx.Client(base_url=self.url, timeout=30, **kwargs)
        self.clients.append(c)
        return c


def serve_hub(
    database_url: str,
    data: Path,
    *options: str,
    env: dict[str, str] | None = None,
    port: int | None = None,
) -> Hub:
    """`voelgoed hub serve` on `port` (default: a free loopback port), once its health check
    answers."""
    port = port or free_port()
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
        env={"VOELGOED_HUB_SECRET": HUB_SECRET, **(env or {})},
    ).start(timeout=60)
    hub = Hub(process.url, database_url, data, process)
    # The port opens before the lifespan (migrations, ORM) has finished.
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


def stop_hub(hub: Hub) -> None:
    for c in hub.clients:
        c.close()
    hub.process.stop()


@pytest.fixture(scope="session")
def hub(tmp_path_factory: pytest.TempPathFactory, hub_database_url: str) -> Iterator[Hub]:
    hub = serve_hub(hub_database_url, tmp_path_factory.mktemp("hub"))
    try:
        yield hub
    finally:
        stop_hub(hub)


@dataclass
class Org:
    """An org made for a test, with its admin and an admin API key."""

    slug: str
    admin_email: str
    admin_key: str
    api: httpx.Client
    hub: Hub

    def key(self, role: Role) -> str:
        """A new API key of this org with `role`."""
        return asyncio.run(_make_key(self.hub.database_url, self.slug, self.admin_email, role))

    def client(self, role: Role) -> httpx.Client:
        return self.hub.client(headers={"authorization": f"Bearer {self.key(role)}"})


async def _make_key(url: str, slug: str, email: str, role: Role) -> str:
    async with database.connected(url):
        user = await User.get(email=email)
        principal = await accounts.member_principal(user, slug)
        made = await accounts.create_api_key(
            principal, ApiKeyIn(name=f"{role.value} key", role=role), dt.datetime.now(dt.UTC)
        )
        return made.key


OrgFactory = Callable[..., Org]


# The organiser app in a real browser. Module-scoped: Playwright's sync API keeps an event loop
# running on this thread while a browser is open, and the hub tests run asyncio here too.


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    """Where each screen's picture is saved for people to look at (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def page(browser: Browser, hub: Hub, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page of a fresh browser context on the hub (its own cookies). A test module may set
    PAGE_HEIGHT (pixels) and PAGE_TIMEOUT_MS for its screens."""
    height = getattr(request.module, "PAGE_HEIGHT", 900)
    context = browser.new_context(base_url=hub.url, viewport={"width": 1280, "height": height})
    page = context.new_page()
    page.set_default_timeout(getattr(request.module, "PAGE_TIMEOUT_MS", 10_000))
    yield page
    context.close()


def new_org(hub: Hub, name: str = "Test org") -> Org:
    """An org (with an admin user and an admin API key) made through the provisioning code."""
    slug = f"org-{uuid.uuid4().hex[:10]}"
    email = f"admin-{slug}@example.org"
    done = asyncio.run(
        create_org(
            hub.database_url,
            hub.data_dir,
            email=email,
            name="Admin",
            password=PASSWORD,
            org_name=name,
            slug=slug,
            api_key_name="admin key",
        )
    )
    assert done.api_key is not None
    api = hub.client(headers={"authorization": f"Bearer {done.api_key}"})
    return Org(slug, email, done.api_key, api, hub)


@pytest.fixture(scope="session")
def make_org(hub: Hub) -> OrgFactory:
    """Make an org on the session's hub (see `new_org`)."""

    def make(name: str = "Test org") -> Org:
        return new_org(hub, name)

    return make
