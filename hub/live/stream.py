"""The live figures served: one `Live` per hub process, shared by the API and the pages.

A stream polls a cheap stamp of the event (counts of its scans and annulments, notices
heard, the devices' health) every second or on a NOTIFY, and sends the figures when the
stamp changed. Figures are computed once per stamp and minute for every client of this
process, so ten people watching one event cost one set of aggregate queries per change.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Final

from starlette.requests import Request
from starlette.responses import StreamingResponse

from hub.live.devices import DeviceHealthSource, no_devices
from hub.live.figures import LiveFigures
from hub.live.queries import live_figures, scan_stamp
from hub.live.signals import LiveSignals

POLL_S: Final = 1.0
KEEPALIVE_S: Final = 15.0
# A stream ends after this long and the browser's EventSource reconnects (after RETRY_MS),
# possibly to another hub worker: no client stays pinned to one process for hours.
STREAM_S: Final = 600.0
RETRY_MS: Final = 1000
CACHED: Final = 64


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Live:
    """The process's live figures: device source, signals and the figures' cache."""

    def __init__(
        self,
        device_health: DeviceHealthSource = no_devices,
        signals: LiveSignals | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.device_health = device_health
        self.signals = signals or LiveSignals()
        self.clock = clock
        self._cache: OrderedDict[Hashable, asyncio.Task[LiveFigures]] = OrderedDict()

    async def stamp(self, event_id: uuid.UUID) -> Hashable:
        """Changes whenever the figures may have changed: new rows, a notice, the devices'
        roster, and each minute (the chart's window moves, a device falls silent)."""
        devices = await self.device_health(event_id)
        minute = self.clock().replace(second=0, microsecond=0)
        scans = await scan_stamp(event_id)
        return (scans, self.signals.generation(event_id), tuple(devices), minute)

    async def figures(
        self, event_id: uuid.UUID, timezone: str, hours: int, stamp: Hashable | None = None
    ) -> LiveFigures:
        """The event's figures now (with holders' names), shared by this process's callers."""
        now = self.clock()
        if stamp is None:
            stamp = await self.stamp(event_id)
        key = (event_id, timezone, hours, stamp)
        task = self._cache.get(key)
        if task is None or (task.done() and (task.cancelled() or task.exception() is not None)):
            task = asyncio.ensure_future(
                live_figures(event_id, timezone, now, hours, self.device_health)
            )
            self._cache[key] = task
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)
        return await asyncio.shield(task)

    async def events(
        self,
        event_id: uuid.UUID,
        render: Callable[[LiveFigures], Awaitable[bytes]],
        timezone: str,
        hours: int,
        follow: bool,
    ) -> AsyncIterator[bytes]:
        """Server-sent events: `figures` now, then whenever they change (`follow`), with a
        comment every KEEPALIVE_S so proxies keep the connection; ends after STREAM_S."""
        loop = asyncio.get_running_loop()
        started = quiet_since = loop.time()
        sent: Hashable | None = None
        number = 0
        yield f"retry: {RETRY_MS}\n\n".encode()
        while True:
            stamp = await self.stamp(event_id)
            if stamp != sent:
                figures = await self.figures(event_id, timezone, hours, stamp)
                number += 1
                yield sse("figures", str(number), await render(figures))
                sent, quiet_since = stamp, loop.time()
            if not follow or loop.time() - started > STREAM_S:
                return
            if loop.time() - quiet_since > KEEPALIVE_S:
                yield b": still here\n\n"
                quiet_since = loop.time()
            await self.signals.wait(event_id, POLL_S)


def sse(event: str, event_id: str, data: bytes) -> bytes:
    """One server-sent event (`data` is one line of JSON)."""
    return (
        b"event: " + event.encode() + b"\nid: " + event_id.encode() + b"\ndata: " + data + b"\n\n"
    )


def follows(request: Request) -> bool:
    """Whether the client asked for a stream (EventSource sends this Accept header): any
    other GET gets the figures once, as one event, and the end of the answer."""
    return "text/event-stream" in request.headers.get("accept", "")


def stream_response(body: AsyncIterator[bytes]) -> StreamingResponse:
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
    )


def live_of(request: Request) -> Live:
    """The app's `Live` (hub.app puts it in the app's state)."""
    live = getattr(request.app.state, "live", None)
    if not isinstance(live, Live):
        raise RuntimeError("the app has no live figures (hub.app.create_app makes them)")
    return live
