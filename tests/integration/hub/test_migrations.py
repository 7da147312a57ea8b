"""The migrations in hub/migrations build exactly the models' schema."""

from __future__ import annotations

import asyncio
import secrets
import uuid

from tortoise import Tortoise
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector

from hub import database
from hub.database import tortoise_config


def test_models_and_migrations_agree(hub_database_url: str) -> None:
    async def pending() -> list[str]:
        config = tortoise_config(hub_database_url)
        async with tortoise_cli_context(config) as ctx:
            assert ctx.apps is not None
            detector = MigrationAutodetector(ctx.apps, config["apps"])
            return [writer.name for writer in await detector.changes()]

    # A model changed without `tortoise makemigrations` would leave the database behind.
    assert asyncio.run(pending()) == []


def test_the_door_window_migration_fills_in_events_made_before_it(hub_database_url: str) -> None:
    """Adding the door window to a hub that has events: they get the default policy."""
    server = database.with_database(hub_database_url, "postgres")
    name = f"vg_door_{secrets.token_hex(4)}"
    url = database.with_database(server, name)

    async def run() -> list[tuple[int, str]]:
        await database.create_database(server, name)
        try:
            await run_migrations(config=tortoise_config(url), target="hub.0001_initial")
            async with database.connected(url):
                db = Tortoise.get_connection("default")
                org, venue = uuid.uuid4(), uuid.uuid4()
                await db.execute_query(
                    "INSERT INTO org (id, name, slug, branding, settings, created_at)"
                    " VALUES ($1, 'Old org', 'old-org', '{}', '{}', now())",
                    [org],
                )
                await db.execute_query(
                    "INSERT INTO venue (id, org_id, name, address, timezone, created_at)"
                    " VALUES ($1, $2, 'Hall', '', 'UTC', now())",
                    [venue, org],
                )
                await db.execute_query(
                    "INSERT INTO event (id, org_id, venue_id, name, description, status,"
                    " timezone, currency, created_at)"
                    " VALUES ($1, $2, $3, 'Old show', '', 'draft', 'UTC', 'ZAR', now())",
                    [uuid.uuid4(), org, venue],
                )
            await database.migrate(url)
            async with database.connected(url):
                rows = await Tortoise.get_connection("default").execute_query_dict(
                    "SELECT door_opens_minutes, door_policy FROM event"
                )
            return [(r["door_opens_minutes"], r["door_policy"]) for r in rows]
        finally:
            await Tortoise.close_connections()
            await database.drop_database(server, name)

    assert asyncio.run(run()) == [(120, "warn")]
