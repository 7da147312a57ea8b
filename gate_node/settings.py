"""Settings of one gate node service."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GateSettings:
    """What `create_app` needs. Defaults suit a one-machine demo on loopback."""

    data_dir: Path
    gate_name: str = "gate-1"
    host: str = "127.0.0.1"
    port: int = 8700
    event_package: Path | None = None
    max_body_bytes: int = 8 * 1024
    # Anonymous scans from this machine (kiosk browser, camera loop); other devices sign in.
    trust_loopback: bool = True
    # Replication with the venue's other gates (none without a secret).
    venue_secret: bytes | None = None
    peers: tuple[str, ...] = ()
    venue_name: str = "venue"
    # Addresses to run mDNS on (loopback for a one-machine venue, the LAN's on a Pi); none:
    # peers come from `peers` only.
    mdns_interfaces: tuple[str, ...] = ()
    tls: bool = False
    # Added to the machine's wall clock: a diagnostic aid (and how tests give one gate a
    # wrong clock); VOELGOED_CLOCK_OFFSET_S sets it for `voelgoed gate serve`.
    clock_offset_s: float = 0.0
    # Reverse proxies whose X-Forwarded-For names the client (`--trusted-proxy`); none: the
    # header is ignored and the connecting address is the client.
    trusted_proxies: tuple[str, ...] = ()
    # How often an enrolled gate pulls from its hub (pushes follow each scan at once).
    hub_pull_interval_s: float = 1.0
