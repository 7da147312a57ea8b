"""Writes to the replica by another connection (`voelgoed gate load-package` on a running
gate's data folder), noticed and folded into the scan path without a restart.

`PRAGMA data_version` on the gate's own connection changes only when another connection
committed, so polling it costs one pragma per tick and nothing while nobody else writes.
When it moved: with sync/ attached, the change rows recorded since the last tick say which
rows were written and `ScanService.absorb` reads back those (the gate's own writes of the
tick are among them: absorbing them again changes nothing); without sync/ (a standalone
gate), the event context, the ticket book and the roster are re-read whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable
from typing import Final

from gate_node.scanning import ScanService
from sync.replica import Replica

log = logging.getLogger(__name__)

POLL_S: Final = 0.2


class OutsideWrites:
    """Polls the replica for other connections' commits and absorbs them."""

    def __init__(
        self,
        service: ScanService,
        replica: Replica | None,
        *,
        on_absorbed: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.replica = replica
        self.on_absorbed = on_absorbed
        self._version = self._data_version()
        self._since = replica.db_version() if replica is not None else 0

    def _data_version(self) -> int:
        return int(self.service.conn.execute("PRAGMA data_version").fetchone()[0])

    def check(self) -> bool:
        """Absorb what other connections committed since the last check; True if any."""
        version = self._data_version()
        moved = version != self._version
        self._version = version
        if self.replica is None:
            if moved:
                self.service.reload_event()
        else:
            if moved:
                self.service.absorb(self.replica.changes_since(self._since))
            # Read each tick, so that what another connection commits next is all that the
            # next tick reads (not every scan since the gate started).
            self._since = self.replica.db_version()
        if moved and self.on_absorbed is not None:
            self.on_absorbed()
        return moved

    async def run(self) -> None:
        """Check every `POLL_S` until cancelled."""
        while True:
            await asyncio.sleep(POLL_S)
            try:
                self.check()
            except sqlite3.Error as exc:
                # A busy or damaged file: the next tick tries again; scans report their own.
                log.warning("reading other connections' writes failed: %s", exc)

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[None]:
        """Run the checks for as long as the context lasts."""
        task = asyncio.get_running_loop().create_task(self.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
