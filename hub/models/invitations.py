"""Invitations to join an organisation, sent by email with a one-time link."""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model

from hub.models.mail import OutboxMessage
from hub.models.tenancy import Org, User
from hub.roles import Role


class Invitation(Model):
    """An email address invited with a role. The link holds a random token; only its
    SHA-256 is stored. Resending replaces the token (the older link stops working)."""

    id = fields.UUIDField(primary_key=True)
    org: fields.ForeignKeyRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="invitations", on_delete=fields.CASCADE
    )
    org_id: uuid.UUID
    email = fields.CharField(max_length=254)
    role = fields.CharEnumField(Role, max_length=20)
    token_hash = fields.CharField(max_length=64, unique=True)
    # Who invited, as the audit log names them ("name <email>", "API key ...").
    invited_by = fields.CharField(max_length=300)
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    # The email of the latest sending, whose delivery the team page shows.
    mail: fields.ForeignKeyNullableRelation[OutboxMessage] = fields.ForeignKeyField(
        "hub.OutboxMessage", related_name="invitations", null=True, on_delete=fields.SET_NULL
    )
    mail_id: int | None
    accepted_at = fields.DatetimeField(null=True)
    accepted_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "hub.User", related_name="accepted_invitations", null=True, on_delete=fields.SET_NULL
    )
    accepted_by_id: uuid.UUID | None
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "invitation"
        indexes = (("org_id", "email"),)
