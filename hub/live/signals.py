"""Waking live streams when scans arrive: PostgreSQL NOTIFY from the ingest, LISTEN here.

The ingest calls `notify_scans(conn, event_id)` in the transaction that stores a gate's
scans or annulments; PostgreSQL delivers the notice at commit, to every hub process. Each
process keeps one LISTEN connection (not one per client) and wakes its streams of that
event. Without notices (another ingest, a lost connection) the streams still poll a cheap
count every second, so NOTIFY only makes them quicker; it also tells of rows changed in
place, which the count cannot see.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Final

import asyncpg
from tortoise.backends.base.client import BaseDBAsyncClient

from hub.database import asyncpg_dsn

CHANNEL: Final = "voelgoed_live_scans"
RETRY_LISTEN_S: Final = 30.0

log = logging.getLogger("voelgoed.hub.live")


async def notify_scans(conn: BaseDBAsyncClient, event_id: uuid.UUID) -> None:
    """Tell every hub process that the event's scans changed, when `conn`'s transaction
    commits (a rolled-back ingest tells nobody)."""
    await conn.execute_query("SELECT pg_notify($1, $2)", [CHANNEL, str(event_id)])


class LiveSignals:
    """One process's LISTEN connection and the streams waiting on it, by event."""

    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url
        self._conn: asyncpg.Connection | None = None
        self._tried_at = -RETRY_LISTEN_S
        self._waiting: dict[str, asyncio.Event] = {}
        self._generation: dict[str, int] = {}

    @property
    def listening(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def listen(self) -> None:
        """LISTEN, unless already listening or a try failed lately (then: poll)."""
        if self.database_url is None or self.listening:
            return
        if time.monotonic() - self._tried_at < RETRY_LISTEN_S:
            return
        self._tried_at = time.monotonic()
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.database_url), timeout=5)
            await conn.add_listener(CHANNEL, self._heard)
        except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
            log.warning("live figures: cannot LISTEN (%s); polling instead", exc)
            return
        self._conn = conn

    def _heard(self, conn: object, pid: int, channel: str, payload: str) -> None:
        self._generation[payload] = self._generation.get(payload, 0) + 1
        waiting = self._waiting.pop(payload, None)
        if waiting is not None:
            waiting.set()

    def generation(self, event_id: uuid.UUID) -> int:
        """How many notices this process has heard for the event."""
        return self._generation.get(str(event_id), 0)

    async def wait(self, event_id: uuid.UUID, timeout: float) -> None:
        """Return on the event's next notice, or after `timeout` seconds."""
        await self.listen()
        waiting = self._waiting.setdefault(str(event_id), asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(waiting.wait(), timeout)

    async def close(self) -> None:
        if self._conn is not None and not self._conn.is_closed():
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await self._conn.close()
        self._conn = None
