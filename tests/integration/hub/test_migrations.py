"""The migrations in hub/migrations build exactly the models' schema."""

from __future__ import annotations

import asyncio

from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector

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
