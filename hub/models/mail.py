"""The outbox: every email the hub has to send, from the transaction that caused it until
it is delivered (or has failed for good, with the reason)."""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from hub.models.tenancy import Org


class MailStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first try, or for the next after a failure
    SENT = "sent"  # an SMTP server accepted it
    SAVED = "saved"  # no SMTP server is configured: written to the outbox folder
    FAILED = "failed"  # refused for good, or undelivered for too long: see last_error
    # Withdrawn before it went out: what it was about was undone (a revoked invitation).
    CANCELLED = "cancelled"


class OutboxMessage(Model):
    """One email, composed when it was queued (so retries send the same Message-ID)."""

    id = fields.BigIntField(primary_key=True)
    # The organisation it is sent for, if any (its name is in the sender's display name).
    org: fields.ForeignKeyNullableRelation[Org] = fields.ForeignKeyField(
        "hub.Org", related_name="mail", null=True, on_delete=fields.CASCADE
    )
    org_id: uuid.UUID | None
    kind = fields.CharField(max_length=32)
    sender = fields.CharField(max_length=254)
    to_address = fields.CharField(max_length=254)
    subject = fields.CharField(max_length=300)
    message_id = fields.CharField(max_length=300)
    content = fields.TextField()  # the whole message, as sent
    status = fields.CharEnumField(MailStatus, max_length=16, default=MailStatus.QUEUED)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField()
    last_error = fields.TextField(default="")
    # What the transport said: "accepted by smtp://...", "written to .../12.eml".
    delivery_note = fields.CharField(max_length=500, default="")
    # Which hub process delivered it ("host:pid").
    sent_by = fields.CharField(max_length=100, default="")
    created_at = fields.DatetimeField()
    # When it was last queued (at creation, or again by `voelgoed hub outbox --retry-failed`):
    # it is given up on `give_up_after` from here.
    queued_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mail_outbox"
        indexes = (("status", "next_attempt_at"),)
