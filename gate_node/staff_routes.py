"""Staff routes: PIN sign-in and sign-out, and supervisors' annul and override.

Who may call each is declared in `gate_node.access_rules` and checked by the guard.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gate_node import staff_store
from gate_node.access import SESSION_COOKIE, Access, session_token
from gate_node.errors import BadPin, TooManyAttempts
from gate_node.guard import caller_of
from gate_node.http import decode_body, json_response, read_body
from gate_node.replica import audit
from gate_node.scanning import ScanService
from gate_node.staff import SESSION_LIFETIME, StaffMember, hash_pin
from gate_node.timestamps import format_time

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class SignInRequest(msgspec.Struct, forbid_unknown_fields=True):
    pin: Annotated[str, msgspec.Meta(max_length=64)]


class ReasonRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class StaffView(msgspec.Struct):
    id: str
    name: str
    role: str


class SignInAnswer(msgspec.Struct):
    staff: StaffView
    token: str


def _view(staff: StaffMember) -> StaffView:
    return StaffView(staff.id, staff.name, staff.role)


_sign_in = msgspec.json.Decoder(SignInRequest)
_reason = msgspec.json.Decoder(ReasonRequest)


def staff_routes(service: ScanService, access: Access, max_body: int) -> list[Route]:
    """The routes, bound to the gate's scan service and access rules."""
    conn = service.conn

    async def sign_in(request: Request) -> Response:
        body = decode_body(_sign_in, await read_body(request, max_body))
        client = request.client.host if request.client else "unknown"
        now = access.clock()
        if not access.throttle.allowed(client, now):
            raise TooManyAttempts("too many wrong PINs from this device: wait a minute")
        # scrypt takes ~40 ms: off the event loop, so scans elsewhere are not held up.
        digest = await run_in_threadpool(hash_pin, body.pin, staff_store.pin_salt(conn))
        staff = staff_store.find_by_pin_hash(conn, digest)
        if staff is None:
            access.throttle.failed(client, now)
            raise BadPin("no member of staff has this PIN")
        access.throttle.succeeded(client)
        token = access.sessions.create(staff, now)
        audit(
            conn,
            at=format_time(now),
            staff_id=staff.id,
            action="sign_in",
            subject=service.gate_name,
            detail=client,
        )
        response = json_response(SignInAnswer(_view(staff), token))
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=int(SESSION_LIFETIME.total_seconds()),
            httponly=True,
            samesite="strict",
        )
        return response

    async def sign_out(request: Request) -> Response:
        access.sessions.drop(session_token(request))
        response = json_response({"signed_out": True})
        response.delete_cookie(SESSION_COOKIE)
        return response

    async def me(request: Request) -> Response:
        return json_response(_view(caller_of(request).member()))

    async def annul(request: Request) -> Response:
        supervisor = caller_of(request).member()
        body = decode_body(_reason, await read_body(request, max_body))
        return json_response(service.annul(request.path_params["scan_id"], supervisor, body.reason))

    async def override(request: Request) -> Response:
        supervisor = caller_of(request).member()
        body = decode_body(_reason, await read_body(request, max_body))
        answer = service.override(request.path_params["scan_id"], supervisor, body.reason)
        return json_response(answer)

    return [
        Route("/api/v1/staff/sign-in", sign_in, methods=["POST"]),
        Route("/api/v1/staff/sign-out", sign_out, methods=["POST"]),
        Route("/api/v1/staff/me", me, methods=["GET"]),
        Route("/api/v1/scans/{scan_id}/annul", annul, methods=["POST"]),
        Route("/api/v1/scans/{scan_id}/override", override, methods=["POST"]),
    ]
