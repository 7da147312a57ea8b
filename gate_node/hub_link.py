"""The gate's link to its hub: replication with the hub's sync routes for the gate's event.

An enrolled gate (``device.json`` and ``device.key`` in its data folder, see
gate_node/enrolment.py) replicates with ``{hub}{sync_path}`` as with any peer, but every
request is signed with its device key (``sync.device_auth``) and carries the gate's
software version and its replication backlog (rows it holds that the hub lacks, as far as
the gate knows). Changesets keep the HMAC chain keyed with the venue secret the hub gave at
enrolment.

- Push: soon after a scan is recorded (``push_soon``, batched over ``push_delay_s`` so a
  burst of scans is one request), and whenever the replica moved since the last push (rows
  merged from the venue's other gates reach the hub through any gate that reaches it).
- Pull: every ``pull_interval_s``; what merges is handed to ``absorb`` (the scan path).
- Hub unreachable: the gate keeps scanning; attempts back off 1, 2, 4 s to at most
  ``max_backoff_s``, and the failure is logged once, not once per attempt.

The link's state (``HubLinkView``) is in the gate's ``/api/v1/status`` and dashboard.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx
import msgspec
import nacl.signing

from gate_node.dashboard import PeerLink
from gate_node.venue import on_this_thread
from sync.changes import Change
from sync.client import AsyncSyncClient, Signer
from sync.device_auth import sign_device_request
from sync.errors import AuthenticationError, SyncError
from sync.replica import Replica

log = logging.getLogger(__name__)

VERSION_HEADER: Final = "x-software-version"
BACKLOG_HEADER: Final = "x-replication-backlog"


class HubLinkView(msgspec.Struct):
    """The hub link as the gate's status shows it (times: ms since the epoch, gate clock)."""

    url: str
    reachable: bool
    last_pull_ms: int | None
    last_push_ms: int | None
    last_error: str | None
    backlog: int | None
    clock_offset_ms: int | None


@dataclass(frozen=True)
class HubTarget:
    """Where and as whom the gate replicates with its hub."""

    hub_url: str
    sync_path: str
    device_id: str
    key: nacl.signing.SigningKey
    venue_secret: bytes
    software_version: str


def device_signer(target: HubTarget, backlog: Callable[[], int | None]) -> Signer:
    """Headers for one request to the hub: the device signature, version and backlog."""

    def sign(method: str, path: str, body: bytes) -> dict[str, str]:
        headers = sign_device_request(target.key, target.device_id, method, path, body)
        headers[VERSION_HEADER] = target.software_version
        known = backlog()
        if known is not None:
            headers[BACKLOG_HEADER] = str(known)
        return headers

    return sign


def date_offset_ms(date_header: str | None, received_ms: int) -> int | None:
    """The hub's clock minus ours, from an HTTP Date header (whole seconds: the hub's clock
    is on average half a second past what the header says)."""
    if not date_header:
        return None
    try:
        stamp = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    return round(stamp.timestamp() * 1000 + 500 - received_ms)


class HubLink:
    """Replication of one gate's replica with its hub, on the gate's event loop."""

    def __init__(
        self,
        replica: Replica,
        target: HubTarget,
        *,
        absorb: Callable[[list[Change]], None],
        now_ms: Callable[[], int],
        pull_interval_s: float = 1.0,
        push_delay_s: float = 0.1,
        max_backoff_s: float = 5.0,
        timeout_s: float = 10.0,
    ) -> None:
        self.replica = replica
        self.target = target
        self._absorb = absorb
        self._now_ms = now_ms
        self.pull_interval_s = pull_interval_s
        self.push_delay_s = push_delay_s
        self.max_backoff_s = max_backoff_s
        self.reachable = False
        self.last_pull_ms: int | None = None
        self.last_push_ms: int | None = None
        self.last_error: str | None = None
        self.clock_offset_ms: int | None = None
        # Rows recorded since the last push that reached the hub; unknown before one has.
        self.backlog: int | None = None
        self._recorded = 0
        self._pushed_version = -1
        self._failures = 0
        self._retry_at = 0.0
        self._push_wanted = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._http = httpx.AsyncClient(
            base_url=target.hub_url,
            timeout=timeout_s,
            event_hooks={"response": [self._on_response]},
        )
        self.client = AsyncSyncClient(
            replica,
            self._http,
            secret=target.venue_secret,
            run=on_this_thread,
            prefix=target.sync_path,
            signer=device_signer(target, lambda: self.backlog),
        )

    def view(self) -> HubLinkView:
        return HubLinkView(
            url=self.target.hub_url + self.target.sync_path,
            reachable=self.reachable,
            last_pull_ms=self.last_pull_ms,
            last_push_ms=self.last_push_ms,
            last_error=self.last_error,
            backlog=self.backlog,
            clock_offset_ms=self.clock_offset_ms,
        )

    def peer_link(self) -> PeerLink:
        """The hub in the dashboard's gates panel: by its address, as a peer not named."""
        url = self.target.hub_url + self.target.sync_path
        return PeerLink(None, f"hub {url}", self.reachable, self.clock_offset_ms)

    def push_soon(self) -> None:
        """A scan was recorded: push it within ``push_delay_s`` (with any that follow)."""
        self._recorded += 1
        if self.backlog is not None:
            self.backlog += 1
        self._push_wanted.set()

    async def start(self) -> None:
        """Start pushing and pulling (call from the app's lifespan)."""
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._push_loop()), loop.create_task(self._pull_loop())]
        self._push_wanted.set()

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._http.aclose()

    async def _on_response(self, response: httpx.Response) -> None:
        offset = date_offset_ms(response.headers.get("date"), self._now_ms())
        if offset is not None:
            self.clock_offset_ms = offset

    async def _wait_for_retry(self) -> None:
        delay = self._retry_at - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)

    def _failed(self, what: str, exc: Exception) -> None:
        if isinstance(exc, AuthenticationError):
            error = (
                f"the hub refused this gate's signature ({exc}): if the device was revoked,"
                " re-key it at the hub and run `voelgoed gate enrol --force`"
            )
        else:
            error = f"{what} failed: {exc or type(exc).__name__}"
        if self.reachable or self._failures == 0:
            # Once per outage: the backoff keeps trying quietly.
            log.warning("hub %s: %s (retrying every few seconds)", self.target.hub_url, error)
        self.reachable = False
        self.last_error = error
        self._failures += 1
        backoff = min(self.max_backoff_s, 2.0 ** (self._failures - 1))
        self._retry_at = asyncio.get_running_loop().time() + backoff

    def _succeeded(self) -> None:
        if not self.reachable and self._failures:
            log.warning("hub %s reachable again", self.target.hub_url)
        self.reachable = True
        self.last_error = None
        self._failures = 0
        self._retry_at = 0.0

    async def _push_loop(self) -> None:
        while True:
            await self._push_wanted.wait()
            await self._wait_for_retry()
            # Scans of the next moment go in the same request.
            await asyncio.sleep(self.push_delay_s)
            self._push_wanted.clear()
            await self.push()

    async def push(self) -> None:
        """Send the hub what it lacks now."""
        recorded = self._recorded
        version = self.replica.db_version()
        try:
            await self.client.push()
        except (httpx.HTTPError, SyncError) as exc:
            self._failed("push", exc)
            self._push_wanted.set()
            return
        self._succeeded()
        self._pushed_version = version
        self.last_push_ms = self._now_ms()
        self.backlog = self._recorded - recorded

    async def _pull_loop(self) -> None:
        while True:
            await asyncio.sleep(self.pull_interval_s)
            await self._wait_for_retry()
            await self.pull()
            if self.reachable and self.replica.db_version() != self._pushed_version:
                # Rows merged from the venue's other gates (or not pushed yet) go up too.
                self._push_wanted.set()

    async def pull(self) -> None:
        """Fetch and merge what the hub has that the gate lacks (and ask the hub's versions
        again at the next push, in case it lost some)."""
        self.client.forget_peer_versions()
        try:
            _, changes = await self.client.pull()
        except (httpx.HTTPError, SyncError) as exc:
            self._failed("pull", exc)
            return
        self._succeeded()
        self.last_pull_ms = self._now_ms()
        if changes:
            self._absorb(changes)
