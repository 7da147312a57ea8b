"""Turning a declared API route into a Starlette endpoint: who is calling, the body, errors.

API keys come as ``Authorization: Bearer <key>``. The organiser app's scripts (the seating
builder) call the same API with the session cookie, naming the org in ``X-Org`` and sending
the session's CSRF token in ``X-CSRF-Token`` on every state-changing request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from tortoise.exceptions import BaseORMException

from hub.api_routing import ApiRoute, Call, PublicRoute
from hub.database import refusal
from hub.errors import HubError, InvalidBody, NotFound, NotSignedIn
from hub.http import (
    check_path,
    decode_json,
    decode_query,
    error_response,
    json_response,
    read_body,
)
from hub.services import accounts
from hub.sessions import CSRF_HEADER, check_csrf, signed_in_user
from hub.settings import HubSettings
from hub.tenancy import Principal, require

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ORG_HEADER = "x-org"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def principal_for(request: Request, settings: HubSettings, now: dt.datetime) -> Principal:
    """Who is calling: an API key, or a signed-in member acting in the org of X-Org."""
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise NotSignedIn("use 'Authorization: Bearer <API key>'")
        return await accounts.key_principal(key.strip(), now)
    user = await signed_in_user(request, now)
    if user is None:
        raise NotSignedIn("send an API key (Authorization: Bearer ...) or sign in")
    if request.method not in SAFE_METHODS:
        check_csrf(request, settings, request.headers.get(CSRF_HEADER))
    slug = request.headers.get(ORG_HEADER)
    if not slug:
        raise NotFound("a browser session names its organisation in the X-Org header")
    return await accounts.member_principal(user, slug)


def api_endpoint(
    route: ApiRoute, settings: HubSettings
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one declared route."""

    async def handle(request: Request) -> Response:
        now = utc_now()
        try:
            principal = await principal_for(request, settings, now)
            require(principal, route.action)
            check_path(request.path_params)
            query = None
            if route.query is not None:
                query = decode_query(dict(request.query_params), route.query)
            body = None
            if route.body is not None:
                raw = await read_body(request, settings.max_body_bytes)
                if not raw:
                    raise InvalidBody("a JSON body is required")
                body = decode_json(raw, route.body)
            result = await route.handler(
                Call(principal, dict(request.path_params), query, body, now, request)
            )
        except HubError as exc:
            return error_response(exc)
        except BaseORMException as exc:
            mapped = refusal(exc)
            if mapped is None:
                raise
            return error_response(mapped)
        if isinstance(result, Response):
            return result
        if result is None:
            return Response(status_code=route.status)
        return json_response(result, route.status)

    return handle


def public_endpoint(
    route: PublicRoute, settings: HubSettings
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of a route without API key: the body is its credential."""

    async def handle(request: Request) -> Response:
        now = utc_now()
        try:
            raw = await read_body(request, settings.max_body_bytes)
            if not raw:
                raise InvalidBody("a JSON body is required")
            result = await route.handler(decode_json(raw, route.body), now)
        except HubError as exc:
            return error_response(exc)
        except BaseORMException as exc:
            mapped = refusal(exc)
            if mapped is None:
                raise
            return error_response(mapped)
        return json_response(result)

    return handle
