"""A gate among the venue's gates: its replica replicated with theirs through sync/.

Each recorded scan is pushed to every peer at once (push on commit), and every peer is
pulled periodically (anti-entropy) and as soon as it is added, so a gate that was cut off
catches up by itself. Replica calls run on the event loop's thread, where the gate's
connection lives, and what a merge brings in is folded into the scan path's in-memory
state: the `ScanIndex` (scans, annulments), the `TicketBook` (revocations, blocks) and the
hybrid clock (every merged stamp).

Requests between gates are signed with the venue secret; a gate without it can neither
pull nor push.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import httpx
from starlette.routing import BaseRoute

from gate_node import replica
from gate_node.discovery import Discovery
from gate_node.replicated_values import accept_changes
from gate_node.scanning import ScanService
from sync.changes import Change
from sync.client import AsyncSyncClient
from sync.errors import SyncError
from sync.pk_codec import unpack_pk
from sync.replica import Replica
from sync.transport import sync_routes

log = logging.getLogger(__name__)

# Staff stay per gate for now: PIN hashes are salted per replica (see notes in docs).
REPLICATED_TABLES: Final = ("scans", "annulments", "audit_log", "revocations", "blocks")
SYNC_PREFIX: Final = "/sync"


def attach(conn: sqlite3.Connection, *, venue: bool) -> Replica | None:
    """Attach sync/ to the gate's connection before anything writes: when the gate joins a
    venue, or when its replica was replicated before (its triggers need the engine)."""
    replicated = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_tables'"
    ).fetchone()
    if not venue and replicated is None:
        return None
    # What peers send is checked against what gates write before it is merged.
    return Replica(conn, site_id=bytes.fromhex(replica.site_id(conn)), accept=accept_changes)


@dataclass
class PeerState:
    """What this gate last learnt of a peer: its name, reachability, clock skew."""

    gate: str | None = None
    reachable: bool = False
    error: str | None = None
    skew_ms: int | None = None
    last_seen_ms: int | None = None
    last_pull_ms: int | None = None


async def on_this_thread(fn: Callable[[], Any]) -> Any:
    """Run a replica call right here: the gate's connection belongs to the loop's thread."""
    return fn()


class Venue:
    """Replication of one gate's replica with its peers."""

    def __init__(
        self,
        service: ScanService,
        replica: Replica,
        *,
        secret: bytes,
        peers: Iterable[str] = (),
        pull_interval_s: float = 2.0,
        discovery: Discovery | None = None,
    ) -> None:
        if not secret:
            raise ValueError("a venue secret is needed to replicate")
        self.service = service
        self.secret = secret
        self.pull_interval_s = pull_interval_s
        self.replica = replica
        for table in REPLICATED_TABLES:
            self.replica.make_replicated(table)
        self.clients: dict[str, AsyncSyncClient] = {}
        self.peer_states: dict[str, PeerState] = {}
        self._http: dict[str, httpx.AsyncClient] = {}
        self._initial_peers = list(peers)
        self.discovery = discovery
        if discovery is not None:
            discovery.on_peer_up = lambda peer: self.add_peer(peer.url)
            discovery.on_peer_down = lambda peer: self._spawn(self.remove_peer(peer.url))
        self._push_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        service.on_recorded = self._push_wanted.set

    def routes(self) -> list[BaseRoute]:
        """The sync routes, to be mounted by the gate's app."""
        return sync_routes(
            self.replica,
            secret=self.secret,
            prefix=SYNC_PREFIX,
            run=on_this_thread,
            on_applied=self.absorb,
        )

    def absorb(self, changes: list[Change]) -> None:
        """Fold merged change rows into the scan path's in-memory state."""
        touched: dict[str, set[str]] = {}
        for change in changes:
            key = unpack_pk(change.pk)
            if len(key) == 1 and isinstance(key[0], str):
                touched.setdefault(change.table, set()).add(key[0])
        service = self.service
        scan_ids = sorted(touched.get("scans", ()))
        newest = 0
        for row in replica.scans_for_index(service.conn, scan_ids):
            service.index.add(*row)
            newest = max(newest, row[7] or 0)
        if newest:
            service.hlc.observe(newest, self._now_ms())
        for scan_id in touched.get("annulments", ()):
            service.index.annul(scan_id)
        if touched.keys() & {"revocations", "blocks"}:
            service.book.refresh(service.conn)
        if scan_ids:
            service.feed.publish("replicated", {"scan_ids": scan_ids})

    def _now_ms(self) -> int:
        # The gate's own clock (the one its scans are stamped with), not the machine's.
        return int(self.service.clock().timestamp() * 1000)

    def add_peer(self, url: str) -> None:
        """Replicate with the gate at `url` from now on (pulling from it at once)."""
        if url in self.clients:
            return
        # Gates serving HTTPS use self-signed certificates no peer can verify; requests and
        # changesets are authenticated by the venue secret's HMAC whatever the transport.
        http = httpx.AsyncClient(base_url=url, timeout=5.0, verify=False)  # noqa: S501
        self._http[url] = http
        self.clients[url] = AsyncSyncClient(
            self.replica, http, secret=self.secret, run=on_this_thread, prefix=SYNC_PREFIX
        )
        self._spawn(self._pull(url))
        self._push_wanted.set()

    async def remove_peer(self, url: str) -> None:
        """Stop replicating with `url` (it went away)."""
        self.clients.pop(url, None)
        self.peer_states.pop(url, None)
        http = self._http.pop(url, None)
        if http is not None:
            await http.aclose()

    async def start(self) -> None:
        """Start pushing and pulling (call from the app's lifespan)."""
        for url in self._initial_peers:
            self.add_peer(url)
        if self.discovery is not None:
            await self.discovery.start()
        self._spawn(self._push_loop())
        self._spawn(self._pull_loop())

    async def stop(self) -> None:
        if self.discovery is not None:
            await self.discovery.stop()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for url in list(self.clients):
            await self.remove_peer(url)

    def _spawn(self, coroutine: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        if task in self._tasks:
            self._tasks.remove(task)

    async def _push_loop(self) -> None:
        # Scans arriving while a push is under way are sent by the next one: pushes never
        # queue up behind each other, and no scan waits for the network.
        while True:
            await self._push_wanted.wait()
            self._push_wanted.clear()
            await asyncio.gather(*(self._push(url) for url in list(self.clients)))

    async def _push(self, url: str) -> None:
        client = self.clients.get(url)
        if client is None:
            return
        try:
            await client.push()
        except (httpx.HTTPError, SyncError) as exc:
            log.warning("push to %s failed: %s", url, exc)

    async def _pull_loop(self) -> None:
        while True:
            # A peer that could not be reached is tried eight times as often: when a
            # partition heals, the gates meet within a fraction of a second.
            unreachable = any(not s.reachable for s in self.peer_states.values())
            await asyncio.sleep(self.pull_interval_s / (8 if unreachable else 1))
            urls = list(self.clients)
            await asyncio.gather(*(self._pull(url) for url in urls))
            await asyncio.gather(*(self._check_peer(url) for url in urls))

    async def _check_peer(self, url: str) -> None:
        """Ask a peer for its name and wall clock: the skew, halfway through the round trip."""
        http = self._http.get(url)
        if http is None:
            return
        state = self.peer_states.setdefault(url, PeerState())
        sent = self._now_ms()
        try:
            response = await http.get("/api/v1/status")
            body = response.json()
            clock_ms, gate = int(body["clock_ms"]), str(body["gate"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            state.reachable = False
            state.error = str(exc) or type(exc).__name__
            return
        received = self._now_ms()
        state.gate = gate
        state.skew_ms = round(clock_ms - (sent + received) / 2)
        state.reachable = True
        state.error = None
        state.last_seen_ms = int(received)

    async def _pull(self, url: str) -> None:
        client = self.clients.get(url)
        if client is None:
            return
        state = self.peer_states.setdefault(url, PeerState())
        try:
            _, changes = await client.pull()
        except (httpx.HTTPError, SyncError) as exc:
            log.info("pull from %s failed: %s", url, exc)
            state.reachable = False
            state.error = str(exc) or type(exc).__name__
            return
        state.reachable = True
        state.error = None
        state.last_pull_ms = self._now_ms()
        if changes:
            self.absorb(changes)
