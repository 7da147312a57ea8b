"""Finding the other gates of the venue on the LAN with mDNS (python-zeroconf).

Each gate advertises `SERVICE_TYPE` with TXT records naming its venue, event, replica site
id, gate name and protocol version, and browses continuously for the others. Peers of
another venue or event, or speaking another protocol version, are ignored; peers that go
away are dropped. Browsing asks for multicast answers (QM): the default first query asks
for a unicast answer, which python-zeroconf's responder ignored here, costing a second.

Which interfaces mDNS uses is configuration: loopback for a one-machine demo and tests,
the venue LAN's interface on a Pi in the field. Never the default "all interfaces".
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from zeroconf import DNSQuestionType, IPVersion, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

log = logging.getLogger(__name__)

SERVICE_TYPE: Final = "_voelgoed._tcp.local."
PROTOCOL_VERSION: Final = "1"
_RESOLVE_TIMEOUT_MS: Final = 3000


@dataclass(frozen=True, slots=True)
class Advert:
    """What a gate tells the LAN about itself."""

    venue: str
    event: str
    site_id: str  # hex of the replica's 16-byte site id
    gate: str
    protocol: str = PROTOCOL_VERSION
    tls: bool = False

    def properties(self) -> dict[str, str]:
        return {
            "venue": self.venue,
            "event": self.event,
            "site": self.site_id,
            "gate": self.gate,
            "proto": self.protocol,
            "tls": "1" if self.tls else "0",
        }


@dataclass(frozen=True, slots=True)
class Peer:
    """Another gate found on the LAN, with where to reach its API."""

    service_name: str
    advert: Advert
    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.advert.tls else "http"
        return f"{scheme}://{host}:{self.port}"


def parse_advert(properties: Mapping[bytes, bytes | None]) -> Advert | None:
    """The advert in a service's TXT records, or None when it is not a gate's (never raises)."""
    try:
        fields = {
            key.decode("ascii"): (value or b"").decode("utf-8") for key, value in properties.items()
        }
    except UnicodeDecodeError:
        return None
    site = fields.get("site", "")
    if len(site) != 32 or any(c not in "0123456789abcdef" for c in site):
        return None
    required = ("venue", "event", "gate", "proto")
    if not all(fields.get(k) for k in required):
        return None
    return Advert(
        fields["venue"],
        fields["event"],
        site,
        fields["gate"],
        fields["proto"],
        tls=fields.get("tls") == "1",
    )


def is_compatible(mine: Advert, theirs: Advert) -> bool:
    """Whether a peer belongs to this gate's venue and event and speaks its protocol."""
    return (
        theirs.venue == mine.venue
        and theirs.event == mine.event
        and theirs.protocol == mine.protocol
        and theirs.site_id != mine.site_id
    )


class Discovery:
    """Advertise this gate and keep the set of compatible peers current."""

    def __init__(
        self,
        advert: Advert,
        *,
        port: int,
        interfaces: Sequence[str],
        on_peer_up: Callable[[Peer], None],
        on_peer_down: Callable[[Peer], None],
    ) -> None:
        if not interfaces:
            raise ValueError("mDNS needs at least one interface address (e.g. 127.0.0.1)")
        self.advert = advert
        self.port = port
        self.interfaces = list(interfaces)
        self.on_peer_up = on_peer_up
        self.on_peer_down = on_peer_down
        self.peers: dict[str, Peer] = {}
        self._azc: AsyncZeroconf | None = None
        self._browser: AsyncServiceBrowser | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.service_name = f"{advert.gate}-{advert.site_id[:8]}.{SERVICE_TYPE}"

    async def start(self) -> None:
        """Register this gate's service and start browsing."""
        first = ipaddress.ip_address(self.interfaces[0])
        version = IPVersion.V6Only if first.version == 6 else IPVersion.V4Only
        self._azc = AsyncZeroconf(interfaces=self.interfaces, ip_version=version)
        family = socket.AF_INET6 if first.version == 6 else socket.AF_INET
        info = AsyncServiceInfo(
            SERVICE_TYPE,
            self.service_name,
            addresses=[socket.inet_pton(family, str(first))],
            port=self.port,
            properties=self.advert.properties(),
        )
        self._browser = AsyncServiceBrowser(
            self._azc.zeroconf,
            SERVICE_TYPE,
            handlers=[self._on_change],
            question_type=DNSQuestionType.QM,
        )
        await self._azc.async_register_service(info)

    async def stop(self) -> None:
        """Withdraw the advert (peers see the gate leave) and stop browsing."""
        for task in list(self._tasks):
            task.cancel()
        if self._browser is not None:
            await self._browser.async_cancel()
        if self._azc is not None:
            await self._azc.async_unregister_all_services()
            await self._azc.async_close()

    def _on_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if name == self.service_name:
            return
        if state_change is ServiceStateChange.Removed:
            peer = self.peers.pop(name, None)
            if peer is not None:
                log.info("peer %s left", peer.advert.gate)
                self.on_peer_down(peer)
            return
        task = asyncio.get_running_loop().create_task(self._resolve(zeroconf, name))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, zeroconf: Zeroconf, name: str) -> None:
        info = AsyncServiceInfo(SERVICE_TYPE, name)
        if not await info.async_request(zeroconf, _RESOLVE_TIMEOUT_MS):
            return
        advert = parse_advert(info.properties)
        addresses = info.parsed_scoped_addresses()
        if advert is None or not addresses or info.port is None:
            return
        if not is_compatible(self.advert, advert):
            log.debug("ignoring %s: another venue, event or protocol", name)
            return
        peer = Peer(name, advert, addresses[0], info.port)
        if self.peers.get(name) != peer:
            self.peers[name] = peer
            log.info("peer %s at %s", advert.gate, peer.url)
            self.on_peer_up(peer)
