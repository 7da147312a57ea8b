"""A live feed of what happens at the gate, for server-sent events to kiosks and dashboards.

Publishing never blocks the scan path: each subscriber has a bounded queue, and a
subscriber too slow to keep up loses its oldest events and is told so (a `lagged` event)
rather than slowing scans down.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

QUEUE_SIZE = 256


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """One event: `kind` names it (scan, annul, ...), `data` is JSON-encodable."""

    kind: str
    data: Any


class LiveFeed:
    """Fan-out of gate events to any number of subscribers on the event loop."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[LiveEvent]] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def publish(self, kind: str, data: Any) -> None:
        """Hand an event to every subscriber; never waits."""
        event = LiveEvent(kind, data)
        for queue in self._subscribers:
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
                queue.put_nowait(LiveEvent("lagged", None))
                if queue.full():
                    continue
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self) -> AsyncIterator[asyncio.Queue[LiveEvent]]:
        """A queue receiving every event published while the context is open."""
        queue: asyncio.Queue[LiveEvent] = asyncio.Queue(QUEUE_SIZE)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)
