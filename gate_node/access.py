"""Who may do what at the gate's API: sessions from a PIN sign-in, and the loopback rule.

Anonymous scans are accepted from loopback by default: that is the kiosk browser and the
camera loop on the gate itself. Every other device (handhelds on the venue LAN) scans as a
signed-in member of staff. Supervisors' actions always need a supervisor's session.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from collections.abc import Callable

from starlette.requests import Request

from gate_node.errors import Forbidden, NotSignedIn
from gate_node.staff import Sessions, SignInThrottle, StaffMember

SESSION_COOKIE = "vg_session"


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
    """The gate's sessions, sign-in throttle and access rules."""

    def __init__(
        self,
        *,
        trust_loopback: bool,
        clock: Callable[[], dt.datetime],
        is_active: Callable[[str], bool],
    ) -> None:
        self.trust_loopback = trust_loopback
        self.clock = clock
        # Staff can be disabled on any gate (and replicated): checked on every request.
        self.is_active = is_active
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

    def scanner(self, request: Request) -> StaffMember | None:
        """Who scans: staff, or anonymous from loopback; otherwise NotSignedIn."""
        staff = self.staff(request)
        if staff is None and not (self.trust_loopback and is_loopback(request)):
            raise NotSignedIn("sign in with your staff PIN to scan from this device")
        return staff

    def supervisor(self, request: Request) -> StaffMember:
        """The signed-in supervisor; NotSignedIn or Forbidden otherwise."""
        staff = self.staff(request)
        if staff is None:
            raise NotSignedIn("sign in with a supervisor's PIN")
        if not staff.is_supervisor:
            raise Forbidden("this needs a supervisor")
        return staff
