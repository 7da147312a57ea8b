"""The delivery loop: one per hub process, safe to run in any number of them at once.

Each round claims up to `batch` due messages with ``SELECT ... FOR UPDATE SKIP LOCKED`` and
keeps them locked, in that one transaction, while it hands each to the transport and
records the outcome. Another process skips locked rows, so no message is handed over twice
while both processes live; if a process dies mid-round, PostgreSQL drops its locks and
rolls its round back, and the messages are tried again by whoever comes next. (So delivery
is at least once: a process killed between the server's "accepted" and its commit sends
that message again, with the same Message-ID.)

Between rounds the loop sleeps until the next message is due, a NOTIFY from `enqueue`
(in any process) wakes it, or `poll_seconds` pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from tortoise.transactions import in_transaction

from hub.database import asyncpg_dsn
from hub.mail.config import MailSettings, SmtpServer
from hub.mail.errors import DeliveryFailed
from hub.mail.outbox import CHANNEL
from hub.mail.transport import FolderTransport, Outgoing, SmtpTransport, Transport
from hub.models.mail import MailStatus, OutboxMessage

log = logging.getLogger("hub.mail")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def next_try(
    attempts: int, queued_at: dt.datetime, now: dt.datetime, settings: MailSettings
) -> dt.datetime | None:
    """When to try again after `attempts` failed tries, or None to give up.

    The waits double from `retry_after` up to `max_wait`; a message is given up once the
    next try would fall more than `give_up_after` after it was queued.
    """
    wait = min(settings.retry_after * 2 ** max(attempts - 1, 0), settings.max_wait)
    at = now + dt.timedelta(seconds=wait)
    if at - queued_at > settings.give_up_after:
        return None
    return at


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DeliveryLoop:
    """Delivers the outbox through `transport` until `stop()`."""

    settings: MailSettings
    transport: Transport
    # For LISTEN, on a connection of its own; None: poll only.
    database_url: str | None = None
    clock: Callable[[], dt.datetime] = utc_now
    worker: str = field(default_factory=worker_name)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _stopping: bool = False
    _listener: asyncpg.Connection | None = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Finish the message in hand, then return from `run`."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        try:
            while not self._stopping:
                await self._listen()
                self._wake.clear()  # before looking: a NOTIFY from now on is not lost
                try:
                    while await self.deliver_due() and not self._stopping:
                        pass
                    pause = await self._pause()
                except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
                    log.warning("mail delivery: the database is unavailable (%s); waiting", exc)
                    pause = self.settings.poll_seconds
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), pause)
        finally:
            await self._unlisten()

    async def deliver_due(self) -> int:
        """One round: deliver what is due now; how many messages were handled."""
        async with in_transaction():
            rows = (
                await OutboxMessage.filter(
                    status=MailStatus.QUEUED, next_attempt_at__lte=self.clock()
                )
                .order_by("next_attempt_at", "id")
                .limit(self.settings.batch)
                .select_for_update(skip_locked=True)
            )
            handled = 0
            for row in rows:
                if self._stopping:
                    break  # the rest stay queued, unlocked at commit
                await self._deliver(row)
                handled += 1
        return handled

    async def _deliver(self, row: OutboxMessage) -> None:
        outgoing = Outgoing(
            id=row.id,
            sender=row.sender,
            to=row.to_address,
            raw=row.content,
            # A file name that sorts by time (not for people, so not local_time's format).
            stamp=row.created_at.astimezone(dt.UTC)
            .isoformat(timespec="seconds")[:19]
            .replace(":", ""),
        )
        row.attempts += 1
        try:
            note = await self.transport.send(outgoing)
        except DeliveryFailed as exc:
            now = self.clock()
            retry_at = (
                None if exc.permanent else next_try(row.attempts, row.queued_at, now, self.settings)
            )
            row.last_error = str(exc)[:2000]
            if retry_at is None:
                row.status = MailStatus.FAILED
                log.warning(
                    "mail %s to %s failed for good after %d tries: %s",
                    row.id,
                    row.to_address,
                    row.attempts,
                    exc,
                )
            else:
                row.next_attempt_at = retry_at
                log.warning(
                    "mail %s to %s not delivered (try %d), next try at %s: %s",
                    row.id,
                    row.to_address,
                    row.attempts,
                    retry_at.isoformat(),
                    exc,
                )
        else:
            row.status = MailStatus.SENT if self.settings.delivers else MailStatus.SAVED
            row.sent_at = self.clock()
            row.sent_by = self.worker[:100]
            row.delivery_note = note[:500]
        await row.save()

    async def _pause(self) -> float:
        """Seconds until the next queued message is due (at most `poll_seconds`)."""
        upcoming = (
            await OutboxMessage.filter(status=MailStatus.QUEUED)
            .order_by("next_attempt_at")
            .only("id", "next_attempt_at")
            .first()
        )
        if upcoming is None:
            return self.settings.poll_seconds
        due_in = (upcoming.next_attempt_at - self.clock()).total_seconds()
        return min(max(due_in, 0.0), self.settings.poll_seconds)

    async def _listen(self) -> None:
        if self.database_url is None or (
            self._listener is not None and not self._listener.is_closed()
        ):
            return
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=5)
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            log.warning("mail delivery: cannot LISTEN (%s); polling instead", exc)
            return
        self._listener = conn

    async def _unlisten(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._listener.close()
        self._listener = None


def transport_for(settings: MailSettings) -> Transport:
    """SMTP when a server is configured, else the outbox folder."""
    server: SmtpServer | None = settings.smtp
    if server is None:
        return FolderTransport(settings.outbox_dir)
    return SmtpTransport(
        server, timeout=settings.timeout, local_hostname=settings.sender.rpartition("@")[2]
    )
