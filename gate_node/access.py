"""Who is calling: sessions from a PIN sign-in, the sign-in throttle, and the kiosk rule.

The rules themselves (which route needs whom) are the table in `gate_node.access_rules`,
enforced by `gate_node.guard`; this module answers the questions the guard asks.

The anonymous kiosk is the kiosk browser and the camera loop on the gate itself: a request
from loopback that carries no forwarding proxy's headers (a proxy on the gate forwarding a
LAN client connects from loopback too, and says so in `X-Forwarded-For`).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Callable

from starlette.requests import Request

from gate_node.staff import Sessions, SignInThrottle, StaffMember
from sync.transport import Authenticator

SESSION_COOKIE = "vg_session"
# Set in a request's scope once the guard verified its peer's device signature: the sync
# route then reads the body the guard handed on instead of verifying (and spending the
# nonce) again.
PEER_VERIFIED = "voelgoed.peer_verified"
# Headers by which a proxy says whom it forwards: such a request is not the kiosk's own.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def session_token(request: Request) -> str | None:
    """The session token from the cookie, or from an ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization")
    if header is not None and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


def is_loopback(request: Request) -> bool:
    """Whether the request comes from this machine."""
    return request.client is not None and _is_loopback_host(request.client.host)


@functools.lru_cache(maxsize=1024)
def _is_loopback_host(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Access:
    """The gate's sessions, sign-in throttle and the facts its access rules need."""

    def __init__(
        self,
        *,
        trust_loopback: bool,
        clock: Callable[[], dt.datetime],
        is_active: Callable[[str], bool],
        venue_secret: bytes | None = None,
        authenticate_peer: Authenticator | None = None,
    ) -> None:
        self.trust_loopback = trust_loopback
        self.clock = clock
        # Staff can be disabled on any gate (and replicated): checked on every request.
        self.is_active = is_active
        # Signs peer (sync) requests; None on a gate that does not replicate.
        self.venue_secret = venue_secret
        # An enrolled gate's peers sign with their device keys (checked against the roster)
        # instead: the body of a request this admits, or a SyncError.
        self.authenticate_peer = authenticate_peer
        self.sessions = Sessions()
        self.throttle = SignInThrottle()

    def staff(self, request: Request) -> StaffMember | None:
        """The signed-in member of staff making this request, if any."""
        token = session_token(request)
        staff = None if token is None else self.sessions.get(token, self.clock())
        if staff is not None and not self.is_active(staff.id):
            self.sessions.drop_staff(staff.id)
            return None
        return staff

    def from_kiosk(self, request: Request) -> bool:
        """Whether this is the gate's own kiosk or camera loop, trusted without a session."""
        if not self.trust_loopback or not is_loopback(request):
            return False
        return not any(name in request.headers for name in FORWARDING_HEADERS)
