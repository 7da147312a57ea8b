"""Sign-ups waiting for their address to be confirmed (on a hub that sends email)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class SignupRequest(Model):
    """An address someone wants an account for. The emailed link (whose token is kept only
    as its SHA-256) leads to the form that makes the account; a request for an address
    that already has one is kept too, but its token is never sent."""

    id = fields.UUIDField(primary_key=True)
    email = fields.CharField(max_length=254)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "signup_request"
        indexes = (("email", "created_at"),)
