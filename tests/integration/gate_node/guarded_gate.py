"""A real gate process and every kind of caller its access rules know, for the access walk
and the fuzz.

The gate runs behind a named proxy (`--trusted-proxy 127.0.0.1`): the test client, on
loopback, plays the venue's reverse proxy and names a LAN address in `X-Forwarded-For` for
the callers that stand on the LAN. The loopback caller sends no such header, as the kiosk
browser on the gate does. Gates started without a trusted proxy ignore the header (see
test_forwarded_for.py, which also uses a real LAN address in a network namespace).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import httpx
from starlette.routing import BaseRoute, Mount, Route

from gate_node import replica
from gate_node.access_rules import Rule
from gate_node.app import create_app
from gate_node.settings import GateSettings
from sync.auth import sign_request
from tests.integration.conftest import add_staff
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

SECRET: Final = b"guarded-venue-secret-0123456789"
STEWARD_PIN: Final = "1111"
SUPERVISOR_PIN: Final = "2222"

CallerKind = Literal["anonymous", "loopback", "steward", "supervisor", "peer"]
CALLERS: Final[tuple[CallerKind, ...]] = ("anonymous", "loopback", "steward", "supervisor", "peer")
# Each LAN caller has its own address, so that one's wrong PINs never throttle another.
LAN_ADDRESS: Final[dict[CallerKind, str]] = {
    "anonymous": "10.20.0.11",
    "steward": "10.20.0.12",
    "supervisor": "10.20.0.13",
    "peer": "10.20.0.14",
}
SIGN_IN_ADDRESS: Final = "10.20.0.99"  # used only to (re)gain the staff sessions

Refusal = tuple[int, str]
NOT_SIGNED_IN: Final[Refusal] = (401, "not_signed_in")
FORBIDDEN: Final[Refusal] = (403, "forbidden")
NOT_A_PEER: Final[Refusal] = (401, "not_a_peer")
REFUSALS: Final = frozenset({NOT_SIGNED_IN, FORBIDDEN, NOT_A_PEER})


def expected_refusal(rule: Rule, caller: CallerKind, *, kiosk_trusted: bool) -> Refusal | None:
    """What the access table says `caller` gets from a route with `rule` (None: let in)."""
    staff = caller in ("steward", "supervisor")
    if rule is Rule.PUBLIC:
        return None
    if rule is Rule.PEER:
        return None if caller == "peer" else NOT_A_PEER
    if rule is Rule.KIOSK_OR_STAFF:
        return None if staff or (caller == "loopback" and kiosk_trusted) else NOT_SIGNED_IN
    if rule is Rule.STAFF:
        return None if staff else NOT_SIGNED_IN
    if caller == "supervisor":
        return None
    return FORBIDDEN if caller == "steward" else NOT_SIGNED_IN


@dataclass
class GuardedGate:
    """A gate process with a steward's and a supervisor's session."""

    process: ServerProcess
    data_dir: Path
    client: httpx.Client
    kiosk_trusted: bool
    tokens: dict[CallerKind, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def sign_in(self) -> None:
        """(Re)gain the steward's and the supervisor's sessions."""
        for caller, pin in (("steward", STEWARD_PIN), ("supervisor", SUPERVISOR_PIN)):
            # Not through `client`: its cookie jar would sign in every later caller.
            response = httpx.post(
                f"{self.url}/api/v1/staff/sign-in",
                json={"pin": pin},
                headers={"x-forwarded-for": SIGN_IN_ADDRESS},
                timeout=20,
            )
            assert response.status_code == 200, response.text
            self.tokens[caller] = response.json()["token"]  # type: ignore[index]

    def headers(self, caller: CallerKind, method: str, path: str, body: bytes) -> dict[str, str]:
        """The headers that make a request come from `caller` (path as sent, unquoted)."""
        headers: dict[str, str] = {}
        if caller != "loopback":
            headers["x-forwarded-for"] = LAN_ADDRESS[caller]
        if caller in self.tokens:
            headers["authorization"] = f"Bearer {self.tokens[caller]}"
        if caller == "peer":
            headers.update(sign_request(SECRET, method, path, body))
        return headers


def start_guarded_gate(
    tmp: Path, package: Path, name: str = "guarded", *extra: str, replicating: bool = True
) -> Iterator[GuardedGate]:
    """A gate with staff, behind a named proxy; replicating (so /sync/* is served) unless
    told otherwise."""
    data = tmp / name
    replica.open_replica(data).close()
    add_staff(data, "Thandi", "steward", STEWARD_PIN)
    add_staff(data, "Johan", "supervisor", SUPERVISOR_PIN)
    secret = tmp / f"{name}.secret"
    secret.write_bytes(SECRET)
    venue = ("--venue-secret-file", str(secret)) if replicating else ()
    port = free_port()
    argv = voelgoed_command(
        "gate",
        "serve",
        "--data",
        str(data),
        "--port",
        str(port),
        "--gate-name",
        name,
        "--event-package",
        str(package),
        *venue,
        "--trusted-proxy",
        "127.0.0.1",
        "--log-level",
        "warning",
        *extra,
    )
    process = ServerProcess(argv, port, log_path=tmp / f"{name}.log").start()
    client = httpx.Client(base_url=process.url, timeout=20)
    gate = GuardedGate(process, data, client, kiosk_trusted="--require-sign-in" not in extra)
    try:
        gate.sign_in()
        yield gate
    finally:
        client.close()
        process.stop()


def served_routes(data_dir: Path, package: Path) -> list[BaseRoute]:
    """Every route a replicating gate serves, from the app `voelgoed gate serve` runs."""
    app = create_app(GateSettings(data_dir=data_dir, event_package=package, venue_secret=SECRET))
    app.state.scan_service.conn.close()  # never served: only its routes are wanted
    return list(app.routes)


def route_methods(route: BaseRoute) -> list[str]:
    """The methods a route answers (a Mount of files: GET)."""
    if isinstance(route, Route):
        return sorted((route.methods or {"GET"}) - {"HEAD"})
    assert isinstance(route, Mount), route
    return ["GET"]
