"""The one place a gate checks access: every route is wrapped in a guard that applies the
route's rule from `gate_node.access_rules` before the route's own code runs.

`guard_routes` wraps each route the app serves (Mounts included) and refuses a route the
table does not name, so a route cannot be served without a declared rule. The guard records
whom it admitted in the request's scope; handlers read it with `caller_of(request)` instead
of checking sessions themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from starlette.requests import Request
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gate_node.access import PEER_VERIFIED, Access
from gate_node.access_rules import ROUTE_RULES, Rule
from gate_node.errors import Forbidden, NotAPeer, NotSignedIn, UndeclaredRoute
from gate_node.http import read_body
from gate_node.staff import StaffMember
from sync.auth import MAC_HEADER, TIME_HEADER, verify_request
from sync.errors import AuthenticationError, SyncError
from sync.transport import MAX_BODY as SYNC_MAX_BODY

CALLER_KEY: Final = "voelgoed.caller"

CallerKind = Literal["anyone", "kiosk", "staff", "peer"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom a route's rule admitted: anyone (public routes), the gate's kiosk, a member of
    staff (with who they are), or a peer gate."""

    kind: CallerKind
    staff: StaffMember | None = None

    def member(self) -> StaffMember:
        """The signed-in member of staff (the guard admitted only staff on this route)."""
        if self.staff is None:
            raise NotSignedIn("sign in with your staff PIN")
        return self.staff


def caller_of(request: Request) -> Caller:
    """Whom the guard admitted for this request."""
    caller = request.scope.get(CALLER_KEY)
    if not isinstance(caller, Caller):
        raise NotSignedIn("this route is not guarded")  # never for a routed request
    return caller


async def admit(access: Access, rule: Rule, request: Request) -> tuple[Caller, bytes | None]:
    """The caller `rule` admits, or the GateError refusing them; for peer routes also the
    body the signature covered (read here, handed on to the route)."""
    if rule is Rule.PUBLIC:
        return Caller("anyone"), None
    if rule is Rule.PEER:
        return Caller("peer"), await _signed_body(access, request)
    staff = access.staff(request)
    if staff is not None:
        if rule is Rule.SUPERVISOR and not staff.is_supervisor:
            raise Forbidden("this needs a supervisor")
        return Caller("staff", staff), None
    if rule is Rule.KIOSK_OR_STAFF and access.from_kiosk(request):
        return Caller("kiosk"), None
    if rule is Rule.SUPERVISOR:
        raise NotSignedIn("sign in with a supervisor's PIN")
    raise NotSignedIn("sign in with your staff PIN to use this from this device")


async def _signed_body(access: Access, request: Request) -> bytes:
    if access.authenticate_peer is not None:
        # The online mode: a device signature, checked before the body is read.
        try:
            body = await access.authenticate_peer(request)
        except SyncError as exc:
            # A body longer than its signature covers is not the request its device signed.
            raise NotAPeer(str(exc)) from None
        request.scope[PEER_VERIFIED] = True
        return body
    secret = access.venue_secret
    if secret is None:
        raise NotAPeer("this gate does not replicate")
    # Unsigned requests are refused before their body is read.
    if TIME_HEADER not in request.headers or MAC_HEADER not in request.headers:
        raise NotAPeer("the request is not signed with the venue secret")
    body = await read_body(request, SYNC_MAX_BODY)
    try:
        verify_request(secret, request.method, request.url.path, dict(request.headers), body)
    except AuthenticationError as exc:
        raise NotAPeer(str(exc)) from None
    return body


class Guarded:
    """A route's ASGI app behind its rule."""

    def __init__(self, app: ASGIApp, rule: Rule, access: Access) -> None:
        self.app = app
        self.rule = rule
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        caller, body = await admit(self.access, self.rule, Request(scope, receive))
        scope[CALLER_KEY] = caller
        await self.app(scope, receive if body is None else _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that first hands on the body the guard read, then the rest."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def route_rule(route: BaseRoute) -> Rule | None:
    """The rule a guarded route enforces (None when it is not guarded)."""
    app = route.app if isinstance(route, Route | Mount) else None
    return app.rule if isinstance(app, Guarded) else None


def guard_routes(routes: Sequence[BaseRoute], access: Access) -> list[BaseRoute]:
    """The routes, each behind its rule from `ROUTE_RULES`; UndeclaredRoute for a route the
    table does not name."""
    for route in routes:
        if not isinstance(route, Route | Mount):
            raise UndeclaredRoute(f"{route!r} cannot be guarded: use a Route or a Mount")
        rule = ROUTE_RULES.get(route.path)
        if rule is None:
            raise UndeclaredRoute(
                f"the gate route {route.path} has no access rule: declare it in"
                " gate_node/access_rules.py"
            )
        if not isinstance(route.app, Guarded):
            route.app = Guarded(route.app, rule, access)
    return list(routes)
