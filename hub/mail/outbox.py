"""Queueing a message in the caller's transaction, and reading the queue's state.

`enqueue` must be called inside the transaction of the change the message is about: then
the message exists if and only if the change was committed, and a failed change sends
nothing. The NOTIFY it issues is delivered by PostgreSQL at commit, to the delivery loop
of every hub process, so the message goes out at once rather than at the next poll.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Final

from tortoise import connections

from hub.mail.compose import Composed
from hub.models.mail import MailStatus, OutboxMessage

CHANNEL: Final = "voelgoed_outbox"


async def enqueue(
    composed: Composed, *, kind: str, sender: str, now: dt.datetime, org_id: uuid.UUID | None
) -> OutboxMessage:
    """Queue `composed` for delivery as soon as the current transaction commits."""
    row = await OutboxMessage.create(
        org_id=org_id,
        kind=kind,
        sender=sender,
        to_address=composed.to,
        subject=composed.subject,
        message_id=composed.message_id,
        content=composed.raw,
        status=MailStatus.QUEUED,
        next_attempt_at=now,
        created_at=now,
        queued_at=now,
    )
    # The connection of the current transaction, if there is one: NOTIFY waits for COMMIT.
    await connections.get("default").execute_query("SELECT pg_notify($1, '')", [CHANNEL])
    return row


@dataclass(frozen=True)
class QueueState:
    """How many messages are in each state, and the ones that need a person's eyes."""

    counts: dict[MailStatus, int]
    stuck: list[OutboxMessage]


async def queue_state(limit: int = 50) -> QueueState:
    """Counts by status, and the failed messages and those waiting for a retry."""
    counts = {status: await OutboxMessage.filter(status=status).count() for status in MailStatus}
    failed = await OutboxMessage.filter(status=MailStatus.FAILED).order_by("-id").limit(limit)
    retrying = (
        await OutboxMessage.filter(status=MailStatus.QUEUED, attempts__gt=0)
        .order_by("next_attempt_at")
        .limit(limit)
    )
    return QueueState(counts, [*failed, *retrying])


async def retry_failed(now: dt.datetime) -> int:
    """Queue every failed message again (after the cause was fixed); how many."""
    count = await OutboxMessage.filter(status=MailStatus.FAILED).update(
        status=MailStatus.QUEUED, attempts=0, next_attempt_at=now, queued_at=now
    )
    await connections.get("default").execute_query("SELECT pg_notify($1, '')", [CHANNEL])
    return count
