"""Browser sessions: the cookie, the signed-in user and CSRF checks."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from hub import credentials
from hub.errors import CsrfFailed
from hub.models import User
from hub.services import accounts
from hub.settings import HubSettings

COOKIE = "vg_session"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf"


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


async def signed_in_user(request: Request, now: dt.datetime) -> User | None:
    """The user of the request's session cookie, if it is valid."""
    token = session_token(request)
    if token is None:
        return None
    return await accounts.session_user(token, now)


def csrf_for(request: Request, settings: HubSettings) -> str:
    token = session_token(request)
    return "" if token is None else credentials.csrf_token(settings.secret_key, token)


def check_csrf(request: Request, settings: HubSettings, candidate: str | None) -> None:
    """Raise CsrfFailed unless `candidate` is this session's CSRF token."""
    token = session_token(request)
    if (
        token is None
        or not candidate
        or not credentials.csrf_matches(settings.secret_key, token, candidate)
    ):
        raise CsrfFailed("the form or request is missing this session's CSRF token: reload")


def set_session_cookie(response: Response, token: str, settings: HubSettings) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.session_days * 86400,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
