"""An httpx client for a peer's sync routes (``sync.transport``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
import msgspec

from sync.auth import sign_request
from sync.changes import Change
from sync.errors import AuthenticationError, SyncError, WireFormatError
from sync.replica import ApplyResult, Replica
from sync.transport import CHANGESET_TYPE, Runner, decode_versions, encode_versions
from sync.wire import ChangesetReader, encode_changeset_bytes

Signer = Callable[[str, str, bytes], dict[str, str]]
"""Headers that authenticate one request (method, path, body): the venue secret's HMAC or a
device's signature (``sync.device_auth``)."""


def secret_signer(secret: bytes) -> Signer:
    """The offline mode's signer: the venue secret's HMAC."""
    return lambda method, path, body: sign_request(secret, method, path, body)


@dataclass(frozen=True, slots=True)
class PushResult:
    """What a push sent and where the peer's clock stands."""

    sent: int
    peer_db_version: int


class SyncClient:
    """Pulls from and pushes to one peer on behalf of a local replica.

    ``http`` is an ``httpx.Client`` whose
    base URL is the peer; ``prefix`` is where the peer mounted its sync routes.
    """

    def __init__(
        self,
        replica: Replica,
        http: httpx.Client,
        *,
        secret: bytes,
        prefix: str = "/sync",
        signer: Signer | None = None,
    ) -> None:
        self._replica = replica
        self._http = http
        self._secret = secret
        self._prefix = prefix
        self._sign = signer or secret_signer(secret)

    def _post(self, name: str, body: bytes, content_type: str) -> httpx.Response:
        path = f"{self._prefix}/{name}"
        url = self._http.base_url.join(path)
        headers = self._sign("POST", url.path, body)
        headers["content-type"] = content_type
        return self._http.post(path, content=body, headers=headers)

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        if response.status_code == 200:
            return
        try:
            detail = msgspec.msgpack.decode(response.content)
            code = detail.get("error", "")
        except (msgspec.DecodeError, AttributeError):
            code = ""
        if response.status_code == 401 or code == "unauthenticated":
            raise AuthenticationError(f"the peer refused our credentials ({response.status_code})")
        raise SyncError(f"the peer answered {response.status_code} {code}")

    def peer_versions(self) -> dict[bytes, int]:
        """The peer's per-origin versions."""
        response = self._post("versions", b"", "application/msgpack")
        self._raise_for(response)
        return decode_versions(response.content)

    def pull(self) -> ApplyResult:
        """Fetch what the local replica lacks from the peer and apply it in one transaction
        (only once the whole changeset has verified)."""
        body = encode_versions(self._replica.origin_versions())
        path = f"{self._prefix}/pull"
        headers = self._sign("POST", self._http.base_url.join(path).path, body)
        headers["content-type"] = "application/msgpack"
        reader = ChangesetReader(secret=self._secret)
        with self._http.stream("POST", path, content=body, headers=headers) as response:
            if response.status_code != 200:
                response.read()
                self._raise_for(response)
            if response.headers.get("content-type", "").split(";")[0] != CHANGESET_TYPE:
                raise WireFormatError("the peer did not answer with a changeset")
            for chunk in response.iter_bytes():
                reader.feed(chunk)
        changeset = reader.finish()
        return self._replica.apply_changes(changeset.changes)

    def push(self) -> PushResult:
        """Send the peer what it lacks (asking its versions first)."""
        missing = self._replica.changes_missing(self.peer_versions())
        body = encode_changeset_bytes(missing, secret=self._secret, sender=self._replica.site_id)
        response = self._post("push", body, CHANGESET_TYPE)
        self._raise_for(response)
        answer = msgspec.msgpack.decode(response.content)
        return PushResult(sent=len(missing), peer_db_version=int(answer["db_version"]))


class AsyncSyncClient:
    """`SyncClient` for services on an event loop: httpx's async client for the peer, and
    ``run`` to call the local replica wherever its connection lives (on the loop itself for
    a gate). ``pull`` also returns the merged rows, so the caller can follow up on them."""

    def __init__(
        self,
        replica: Replica,
        http: httpx.AsyncClient,
        *,
        secret: bytes,
        run: Runner,
        prefix: str = "/sync",
        signer: Signer | None = None,
    ) -> None:
        self._replica = replica
        self._http = http
        self._secret = secret
        self._run = run
        self._prefix = prefix
        self._sign = signer or secret_signer(secret)
        self._known: dict[bytes, int] | None = None
        self._through = 0  # the local db_version the peer holds everything up to

    def _signed(self, name: str, body: bytes, content_type: str) -> tuple[str, dict[str, str]]:
        path = f"{self._prefix}/{name}"
        headers = self._sign("POST", self._http.base_url.join(path).path, body)
        headers["content-type"] = content_type
        return path, headers

    async def peer_versions(self) -> dict[bytes, int]:
        """The peer's per-origin versions."""
        path, headers = self._signed("versions", b"", "application/msgpack")
        response = await self._http.post(path, content=b"", headers=headers)
        SyncClient._raise_for(response)
        return decode_versions(response.content)

    async def pull(self) -> tuple[ApplyResult, list[Change]]:
        """Fetch what the local replica lacks and apply it (once verified whole)."""
        versions: dict[bytes, int] = await self._run(self._replica.origin_versions)
        body = encode_versions(versions)
        path, headers = self._signed("pull", body, "application/msgpack")
        reader = ChangesetReader(secret=self._secret)
        async with self._http.stream("POST", path, content=body, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                SyncClient._raise_for(response)
            if response.headers.get("content-type", "").split(";")[0] != CHANGESET_TYPE:
                raise WireFormatError("the peer did not answer with a changeset")
            async for chunk in response.aiter_bytes():
                reader.feed(chunk)
        changes = reader.finish().changes
        if not changes:
            return ApplyResult(0, 0, await self._run(self._replica.db_version)), changes
        result: ApplyResult = await self._run(lambda: self._replica.apply_changes(changes))
        return result, changes

    async def push(self) -> PushResult:
        """Send the peer what it lacks. Its versions are asked the first time and after
        ``forget_peer_versions``; in between, what it accepted is added to them, so a push
        after each scan is one request, not two. (What the peer learns from others meanwhile
        is sent again, at worst: merging it again changes nothing.)"""
        theirs = self._known
        if theirs is None:
            theirs = await self.peer_versions()
            self._through = 0
        known = dict(theirs)
        through = self._through
        replica = self._replica

        def missing_now() -> tuple[int, list[Change]]:
            # Read together: every row at or below this version is considered now.
            return replica.db_version(), replica.changes_missing(known, changed_after=through)

        version, missing = await self._run(missing_now)
        if not missing:
            self._known, self._through = known, version
            return PushResult(sent=0, peer_db_version=-1)
        body = encode_changeset_bytes(missing, secret=self._secret, sender=self._replica.site_id)
        path, headers = self._signed("push", body, CHANGESET_TYPE)
        self._known = None  # until the peer has said it took them
        response = await self._http.post(path, content=body, headers=headers)
        SyncClient._raise_for(response)
        answer = msgspec.msgpack.decode(response.content)
        for change in missing:
            origin = change.origin_version or change.db_version
            if origin > known.get(change.site_id, 0):
                known[change.site_id] = origin
        self._known, self._through = known, version
        return PushResult(sent=len(missing), peer_db_version=int(answer["db_version"]))

    def forget_peer_versions(self) -> None:
        """Ask the peer's versions again at the next push (e.g. every anti-entropy round,
        in case the peer lost what it had), and look at every table again."""
        self._known = None
        self._through = 0
