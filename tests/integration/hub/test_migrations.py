"""The migrations in hub/migrations build exactly the models' schema, and upgrade a hub
that already holds data (a column added later must fill the rows already there)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import secrets
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from tortoise import Tortoise
from tortoise.cli.cli import tortoise_cli_context
from tortoise.fields.base import Field
from tortoise.migrations import operations as ops
from tortoise.migrations.api import migrate
from tortoise.migrations.autodetector import MigrationAutodetector

import hub.migrations
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


def _later_migrations() -> Iterator[tuple[str, list[object]]]:
    for info in pkgutil.iter_modules(hub.migrations.__path__):
        if info.name != "0001_initial":
            module = importlib.import_module(f"hub.migrations.{info.name}")
            yield info.name, list(module.Migration.operations)


def test_columns_added_later_fill_the_rows_already_there() -> None:
    # Tortoise's `default` lives in Python only: without a database default (or NULL
    # allowed) adding a column to a table with rows fails, and the hub would not start.
    refused = [
        f"{name}: {op.model_name}.{op.name}"
        for name, operations in _later_migrations()
        for op in operations
        if isinstance(op, ops.AddField)
        and isinstance(op.field, Field)
        and not (op.field.null or op.field.has_db_default())
    ]
    assert refused == [], "give these fields db_default=... or null=True"


@pytest.fixture
def first_release_url(hub_database_url: str) -> Iterator[str]:
    server = database.with_database(hub_database_url, "postgres")
    name = f"vg_upgrade_{secrets.token_hex(4)}"
    asyncio.run(database.create_database(server, name))
    try:
        yield database.with_database(server, name)
    finally:
        asyncio.run(database.drop_database(server, name))


def test_a_hub_with_data_of_the_first_release_upgrades(first_release_url: str) -> None:
    async def run() -> tuple[str, str, int, str]:
        try:
            await migrate(config=tortoise_config(first_release_url), target="hub.0001_initial")
        finally:
            await Tortoise.close_connections()
        dsn = "postgresql://" + first_release_url.split("://", 1)[1]
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                "INSERT INTO app_user (id, email, name, password_hash, created_at)"
                " VALUES (gen_random_uuid(), 'early@example.org', 'Early', 'x', now())"
            )
            org, venue = uuid.uuid4(), uuid.uuid4()
            await conn.execute(
                "INSERT INTO org (id, name, slug, branding, settings, created_at)"
                " VALUES ($1, 'Early', 'early', '{}', '{}', now())",
                org,
            )
            await conn.execute(
                "INSERT INTO venue (id, org_id, name, address, timezone, created_at)"
                " VALUES ($1, $2, 'Hall', '', 'UTC', now())",
                venue,
                org,
            )
            await conn.execute(
                "INSERT INTO event (id, org_id, venue_id, name, description, status,"
                " timezone, currency, created_at)"
                " VALUES ($1, $2, $3, 'Old show', '', 'draft', 'UTC', 'ZAR', now())",
                uuid.uuid4(),
                org,
                venue,
            )
        finally:
            await conn.close()
        await database.migrate(first_release_url)
        conn = await asyncpg.connect(dsn)
        try:
            user = await conn.fetchrow("SELECT email, timezone FROM app_user")
            event = await conn.fetchrow("SELECT door_opens_minutes, door_policy FROM event")
        finally:
            await conn.close()
        return user["email"], user["timezone"], event["door_opens_minutes"], event["door_policy"]

    # Rows made before a column existed get its default: the door window's policy too.
    assert asyncio.run(run()) == ("early@example.org", "UTC", 120, "warn")


def test_gate_names_already_used_become_the_events_gates(first_release_url: str) -> None:
    async def run() -> tuple[list[tuple[str, str]], list[int]]:
        try:
            await migrate(config=tortoise_config(first_release_url), target="hub.0007_gate_scans")
        finally:
            await Tortoise.close_connections()
        dsn = "postgresql://" + first_release_url.split("://", 1)[1]
        conn = await asyncpg.connect(dsn)
        org = uuid.uuid4()
        try:
            await conn.execute(
                "INSERT INTO org (id, name, slug, branding, settings, created_at)"
                " VALUES ($1, 'Early', 'early', '{}', '{}', now())",
                org,
            )
            for venue, event in ((uuid.uuid4(), "Show one"), (uuid.uuid4(), "Show two")):
                await conn.execute(
                    "INSERT INTO venue (id, org_id, name, address, timezone, created_at)"
                    " VALUES ($1, $2, 'Hall', '', 'UTC', now())",
                    venue,
                    org,
                )
                event_id = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO event (id, org_id, venue_id, name, description, status,"
                    " timezone, currency, created_at)"
                    " VALUES ($1, $2, $3, $4, '', 'draft', 'UTC', 'ZAR', now())",
                    event_id,
                    org,
                    venue,
                    event,
                )
                await conn.execute(
                    "INSERT INTO check_in_list (id, org_id, event_id, name, gates,"
                    " ticket_type_ids) VALUES ($1, $2, $3, 'Main', $4, '[]')",
                    uuid.uuid4(),
                    org,
                    event_id,
                    '["north", " south "]' if event == "Show one" else '["north"]',
                )
                await conn.execute(
                    "INSERT INTO gate_rule (id, org_id, event_id, description, rule, gate)"
                    " VALUES ($1, $2, $3, 'Late', 'true', $4)",
                    uuid.uuid4(),
                    org,
                    event_id,
                    "south" if event == "Show one" else "loading bay",
                )
        finally:
            await conn.close()
        await database.migrate(first_release_url)
        conn = await asyncpg.connect(dsn)
        try:
            gates = await conn.fetch(
                "SELECT e.name AS event, g.name FROM event_gate g JOIN event e ON e.id = g.event_id"
                " ORDER BY e.name, g.name"
            )
            secrets_ = await conn.fetch("SELECT sync_secret FROM venue")
        finally:
            await conn.close()
        assert len({bytes(r["sync_secret"]) for r in secrets_}) == 2  # one each, not shared
        return [(r["event"], r["name"]) for r in gates], [len(r["sync_secret"]) for r in secrets_]

    assert asyncio.run(run()) == (
        [
            ("Show one", "north"),
            ("Show one", "south"),
            ("Show two", "loading bay"),
            ("Show two", "north"),
        ],
        [32, 32],
    )
