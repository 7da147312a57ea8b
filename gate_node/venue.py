"""A gate among the venue's gates: its replica replicated with theirs through sync/.

Gates replicate every table of the event (the event, its keys, ticket types, rules and
gates, tickets, revocations, blocks, scans, annulments, the audit log and the device
roster), so one gate that hears from the hub brings the whole venue up to date. Each
recorded scan is pushed to every peer at once (push on commit), and every peer is pulled
periodically (anti-entropy) and as soon as it is added, so a gate that was cut off catches
up by itself. Replica calls run on the event loop's thread, where the gate's connection
lives, and what a merge brings in is folded into the scan path by `ScanService.absorb`.

Two modes. Online (the data folder holds a device identity from enrolment): every request
is signed with the gate's device key and a receiver admits only devices its replicated
roster holds as active, so a device revoked at the hub is refused as soon as the row
arrives. Offline (no hub; `--venue-secret-file`): requests carry the venue secret's HMAC.
Changesets carry the HMAC chain over the venue secret in both modes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx
from starlette.requests import Request
from starlette.routing import BaseRoute

from gate_node import replica
from gate_node.access import PEER_VERIFIED
from gate_node.device_identity import DeviceIdentity
from gate_node.discovery import Discovery
from gate_node.replicated_values import accept_changes
from gate_node.scanning import ScanService
from sync.changes import Change
from sync.client import AsyncSyncClient, Signer, secret_signer
from sync.errors import SyncError
from sync.replica import Replica
from sync.transport import MAX_BODY, Authenticator, device_authenticator, read_bounded, sync_routes

log = logging.getLogger(__name__)

# Every table of the event. Staff stay per gate: PIN hashes are salted per replica.
REPLICATED_TABLES: Final = (
    "event",
    "event_keys",
    "ticket_types",
    "gate_rules",
    "gates",
    "tickets",
    "revocations",
    "blocks",
    "devices",
    "scans",
    "annulments",
    "audit_log",
)
SYNC_PREFIX: Final = "/sync"


def attach(conn: sqlite3.Connection, *, venue: bool) -> Replica | None:
    """Attach sync/ to the gate's connection before anything writes: when the gate joins a
    venue, or when its replica was replicated before (its triggers need the engine). Every
    event table is made replicated: a replica from before a table replicated gets it now,
    its rows recorded as written now (idempotent), so what it loaded reaches its peers."""
    replicated = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sync_tables'"
    ).fetchone()
    if not venue and replicated is None:
        return None

    def accept(batch: Sequence[Change]) -> None:
        # What peers send is checked against what gates write before it is merged.
        held = replica.held_event_id(conn)
        accept_changes(batch, event_id=None if held is None else str(held))

    attached = Replica(conn, site_id=bytes.fromhex(replica.site_id(conn)), accept=accept)
    for table in REPLICATED_TABLES:
        attached.make_replicated(table)
    return attached


@contextlib.contextmanager
def opened_for_writing(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """The replica in `data_dir`, opened by another process than its gate (the `voelgoed`
    command), with sync/ attached when it replicates: its triggers need the engine, and
    what is written then reaches the peers (a running gate takes it in within a moment)."""
    conn = replica.open_replica(data_dir)
    try:
        synced = attach(conn, venue=False)
        try:
            yield conn
        finally:
            if synced is not None:
                synced.close()
    finally:
        conn.close()


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
        secret: bytes | None = None,
        identity: DeviceIdentity | None = None,
        peers: Iterable[str] = (),
        pull_interval_s: float = 2.0,
        discovery: Discovery | None = None,
    ) -> None:
        """Replicate in the online mode when `identity` is given (its venue secret keys
        the changesets), else in the offline mode with the venue `secret`."""
        secret = identity.venue_secret if identity is not None else secret
        if not secret:
            raise ValueError("a venue secret or a device identity is needed to replicate")
        self.service = service
        self.secret = secret
        self.identity = identity
        self.signer: Signer = secret_signer(secret) if identity is None else identity.signer()
        # Peers' requests, online: the guard and the sync routes admit them through this.
        self.authenticate_peer = self._device_authenticator()
        self.pull_interval_s = pull_interval_s
        self.replica = replica
        for table in REPLICATED_TABLES:
            self.replica.make_replicated(table)
        self._status_checked: set[str] = set()
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
            on_applied=self.service.absorb,
            authenticate=None if self.authenticate_peer is None else self._route_authenticator,
        )

    def _device_authenticator(self) -> Authenticator | None:
        """Online: device signatures against the roster as it stands (in memory, updated by
        every merge); offline (None): the venue secret's HMAC."""
        if self.identity is None:
            return None
        service = self.service

        async def public_key_of(device_id: str) -> bytes | None:
            return service.roster.key_of(device_id)

        return device_authenticator(public_key_of)

    async def _route_authenticator(self, request: Request) -> bytes:
        # The gate's guard verifies peer requests (gate_node.guard); mounted elsewhere, the
        # routes verify them themselves.
        if request.scope.get(PEER_VERIFIED) is True:
            return await read_bounded(request, MAX_BODY)
        assert self.authenticate_peer is not None
        return await self.authenticate_peer(request)

    def changes_merged(self) -> None:
        """Tell the venue that rows were merged or written outside the scan path (a package
        loaded, the hub's rows): peers are sent them at once, not at the next pull."""
        self._push_wanted.set()

    def _now_ms(self) -> int:
        # The gate's own clock (the one its scans are stamped with), not the machine's.
        return int(self.service.clock().timestamp() * 1000)

    def add_peer(self, url: str) -> None:
        """Replicate with the gate at `url` from now on (pulling from it at once)."""
        self._add(url, url, SYNC_PREFIX, check_status=True)

    def _add(
        self,
        key: str,
        url: str,
        prefix: str,
        *,
        check_status: bool,
        verify: bool = False,
        signer: Signer | None = None,
    ) -> None:
        if key in self.clients:
            return
        # Gates serving HTTPS use self-signed certificates no peer can verify; requests and
        # changesets are authenticated by signature or HMAC whatever the transport.
        http = httpx.AsyncClient(base_url=url, timeout=5.0, verify=verify)
        self._http[key] = http
        self.clients[key] = AsyncSyncClient(
            self.replica,
            http,
            secret=self.secret,
            run=on_this_thread,
            prefix=prefix,
            signer=signer or self.signer,
        )
        if check_status:
            self._status_checked.add(key)
        self._spawn(self._pull(key))
        self._push_wanted.set()

    async def remove_peer(self, url: str) -> None:
        """Stop replicating with `url` (it went away)."""
        self.clients.pop(url, None)
        self.peer_states.pop(url, None)
        self._status_checked.discard(url)
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
            for client in self.clients.values():
                client.forget_peer_versions()
            await asyncio.gather(*(self._pull(url) for url in urls))
            checked = [url for url in urls if url in self._status_checked]
            await asyncio.gather(*(self._check_peer(url) for url in checked))

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
            self.service.absorb(changes)
            # Relayed at once: rows a gate heard of first (from the hub) reach every gate
            # within a round trip, not a pull interval later.
            self._push_wanted.set()
