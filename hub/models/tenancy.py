"""Organisations, people, their roles, sessions, API keys and the audit log."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model

from hub.roles import Role


class Org(Model):
    """A tenant: an organiser or a venue operator."""

    id = fields.UUIDField(primary_key=True)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=64, unique=True)
    # {"colour": "#rrggbb", "logo_url": "..."}: shown in the app and on tickets.
    branding: dict[str, str] = fields.JSONField(default=dict)
    # {"timezone": "...", "currency": "ZAR"}
    settings: dict[str, str] = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "org"


class User(Model):
    """A person who signs in to the organiser app; belongs to orgs through memberships."""

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=200)
    # Asked at sign-up: the organisations the user creates start in it.
    timezone = fields.CharField(max_length=64, default="UTC", db_default="UTC")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Membership(Model):
    """A user's role in one organisation."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="memberships", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    role = fields.CharEnumField(Role, max_length=20)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "membership"
        unique_together = (("org", "user"),)


class Session(Model):
    """A signed-in browser. The cookie holds a random token; only its hash is stored."""

    token_hash = fields.CharField(max_length=64, primary_key=True)
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="sessions", on_delete=fields.CASCADE
    )
    user_id: uuid.UUID
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()

    class Meta:
        table = "session"


class ApiKey(Model):
    """A key for the JSON API, scoped to one org and one role. Only a hash is stored; the
    key is shown once, when it is made."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="api_keys", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    name = fields.CharField(max_length=200)
    role = fields.CharEnumField(Role, max_length=20)
    prefix = fields.CharField(max_length=16, unique=True)
    key_hash = fields.CharField(max_length=64)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="api_keys", null=True, on_delete=fields.SET_NULL
    )
    created_by_id: uuid.UUID | None
    created_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"


class AuditEntry(Model):
    """A sensitive change: who did what to which object, when."""

    id = fields.BigIntField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="audit_entries", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    actor = fields.CharField(max_length=300)
    action = fields.CharField(max_length=64)
    target = fields.CharField(max_length=300)
    detail: dict[str, object] = fields.JSONField(default=dict)
    at = fields.DatetimeField()

    class Meta:
        table = "audit_entry"
        indexes = (("org_id", "at"),)
