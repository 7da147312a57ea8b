"""Provisioning from the command line: an org with its first admin (and an API key)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from hub import database
from hub.errors import ValidationFailed
from hub.models import User
from hub.roles import Role
from hub.schemas import DEFAULT_TIMEZONE, ApiKeyIn, is_timezone
from hub.services import accounts
from hub.tenancy import Principal


@dataclass(frozen=True)
class Provisioned:
    org_slug: str
    email: str
    api_key: str | None


async def create_org(
    database_url: str | None,
    data_dir: Path,
    *,
    email: str,
    name: str,
    password: str,
    org_name: str,
    slug: str,
    api_key_name: str | None,
    timezone: str = DEFAULT_TIMEZONE,
) -> Provisioned:
    """An org with `email` as its admin (the account is made unless it exists and the
    password matches), optionally with an admin API key."""
    url = database.resolve_url(database_url, data_dir)
    await database.migrate(url)
    async with database.connected(url):
        now = dt.datetime.now(dt.UTC)
        existing = await User.get_or_none(email=accounts.normalise_email(email))
        if existing is None:
            user = await accounts.sign_up(email, name, password, timezone)
        else:
            user = await accounts.authenticate(email, password)
        if not is_timezone(timezone):
            raise ValidationFailed(
                f"unknown timezone {timezone!r}: use a name like {DEFAULT_TIMEZONE}"
            )
        org = await accounts.create_org(user, org_name, slug, now, timezone=timezone)
        key = None
        if api_key_name:
            principal = Principal(org.id, org.slug, Role.ADMIN, user.id, display=user.email)
            created = await accounts.create_api_key(
                principal, ApiKeyIn(name=api_key_name, role=Role.ADMIN), now
            )
            key = created.key
        return Provisioned(org.slug, user.email, key)
