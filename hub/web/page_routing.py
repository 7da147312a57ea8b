"""Declaring organiser pages once: who may see them, what they may do, how errors look.

Every page route says what it needs: nothing (sign-in, sign-up), a signed-in user (the
org list) or a member of the org in the path with one `Action` (everything under
``/o/{slug}``). The endpoint checks, in this order, before the handler runs: the session,
the CSRF token of a form post, membership of the org (a non-member sees 404, as if the org
did not exist) and the role's permission (403). Services check the permission again.

A form post's handler only does the happy path: parse, call the service, redirect. When
the form or the service refuses, the endpoint re-renders the page the form came from with
the message and the user's input kept. A NotFound that re-rendering also raises means the
page's own object is missing (another org's, or deleted): then it is a 404 page.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates
from tortoise.exceptions import BaseORMException

from hub.api_endpoint import utc_now
from hub.api_routing import PATH_PARAM
from hub.database import refusal
from hub.errors import CsrfFailed, Forbidden, HubError, NotFound, PublishBlocked
from hub.http import check_path, read_body
from hub.models import Org, User
from hub.roles import Action, Role
from hub.services import accounts
from hub.sessions import CSRF_FIELD, check_csrf, csrf_for, signed_in_user
from hub.settings import HubSettings
from hub.tenancy import Principal, require
from hub.web.forms import FormError, check_form
from hub.web.templating import NOTICES

Kind = Literal["public", "user", "org"]
ORG_PREFIX = "/o/{slug}"
# Never echoed back into a re-rendered form.
SECRET_FIELDS = frozenset({"password", CSRF_FIELD})
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@dataclass(frozen=True)
class Failed:
    """A refused form: which form, why, and what the user typed (to show it again)."""

    form: str
    message: str
    values: Mapping[str, str]
    problems: list[str] = field(default_factory=list)
    status: int = 422

    def value(self, form: str, name: str, default: object = "") -> str:
        """The typed value of `name` if this is `form`, else `default`."""
        if form == self.form and name in self.values:
            return self.values[name]
        return "" if default is None else str(default)


@dataclass(frozen=True)
class Visit:
    """One request as a page handler sees it."""

    request: Request
    settings: HubSettings
    templates: Jinja2Templates
    now: dt.datetime
    form: FormData
    user: User | None = None
    principal: Principal | None = None
    orgs: list[tuple[Org, Role]] = field(default_factory=list)
    failed: Failed | None = None

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    @property
    def member(self) -> Principal:
        """The acting member (org pages only: the router has checked membership)."""
        if self.principal is None:
            raise NotFound("no such organisation")
        return self.principal

    @property
    def signed_in(self) -> User:
        """The signed-in user (user and org pages only)."""
        if self.user is None:
            raise NotFound("sign in first")
        return self.user

    def org_url(self, path: str = "") -> str:
        return f"/o/{self.member.org_slug}{path}"

    def redirect(self, url: str, notice: str | None = None) -> Response:
        """POST/redirect/GET: the browser's back and reload never repeat the post."""
        if notice is not None:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"n": notice})
        return RedirectResponse(url, status_code=303)

    def render(self, template: str, status: int = 200, **context: Any) -> Response:
        """The page `template` with the header's context (user, org switcher, role)."""
        org = None
        if self.principal is not None:
            org = next((o for o, _ in self.orgs if o.id == self.principal.org_id), None)
        notice = NOTICES.get(self.request.query_params.get("n", ""))

        def can(action: Action) -> bool:
            return self.principal is not None and self.principal.can(action)

        base = {
            "user": self.user,
            "principal": self.principal,
            "org": org,
            "orgs": self.orgs,
            "csrf": csrf_for(self.request, self.settings),
            "can": can,
            "failed": self.failed,
            "notice": notice,
            "now": self.now,
        }
        if self.failed is not None and status == 200:
            status = self.failed.status  # a re-rendered form keeps the refusal's status
        response = self.templates.TemplateResponse(
            self.request, template, {**base, **context}, status_code=status
        )
        response.headers.update(SECURITY_HEADERS)
        return response


Handler = Callable[[Visit], Awaitable[Response]]


@dataclass(frozen=True)
class PageRoute:
    method: str
    path: str
    handler: Handler
    kind: Kind
    action: Action | None = None
    # For form posts: the page to re-render with the refusal, and the form's name there.
    page: Handler | None = None
    form: str = ""


@dataclass
class PageRouter:
    """Collects page declarations; `routes()` turns them into Starlette routes."""

    declared: list[PageRoute] = field(default_factory=list)

    def public(
        self, method: str, path: str, *, page: Handler | None = None, form: str = ""
    ) -> Callable[[Handler], Handler]:
        """A page anyone may open (sign-in, sign-up)."""
        return self._add(method, path, kind="public", page=page, form=form)

    def user(
        self, method: str, path: str, *, page: Handler | None = None, form: str = ""
    ) -> Callable[[Handler], Handler]:
        """A page of a signed-in user outside any org."""
        return self._add(method, path, kind="user", page=page, form=form)

    def org(
        self,
        method: str,
        path: str,
        action: Action,
        *,
        page: Handler | None = None,
        form: str = "",
    ) -> Callable[[Handler], Handler]:
        """A page of the org named in the path, open to members whose role allows `action`."""
        return self._add(method, ORG_PREFIX + path, kind="org", action=action, page=page, form=form)

    def _add(self, method: str, path: str, **spec: Any) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.declared.append(PageRoute(method, path, handler, **spec))
            return handler

        return register

    def routes(self, settings: HubSettings, templates: Jinja2Templates) -> list[Route]:
        """Starlette routes, one per path, dispatching on method."""
        by_path: dict[str, dict[str, PageRoute]] = {}
        for r in self.declared:
            by_path.setdefault(r.path, {})[r.method] = r
        page_paths = {id(r.handler): r.path for r in self.declared if r.method == "GET"}
        out = []
        for path, methods in by_path.items():
            handlers = {
                m: _endpoint(r, settings, templates, _names_more(r, page_paths))
                for m, r in methods.items()
            }

            async def dispatch(
                request: Request,
                handlers: dict[str, Callable[[Request], Awaitable[Response]]] = handlers,
            ) -> Response:
                # Starlette answers HEAD on GET routes: the GET handler serves it.
                method = "GET" if request.method == "HEAD" else request.method
                return await handlers[method](request)

            out.append(Route(path, dispatch, methods=list(methods)))
        return out


def _names_more(route: PageRoute, page_paths: dict[int, str]) -> bool:
    """Whether the route's path names objects its page does not show (a member, a date).

    Those forms never refer to other objects by id, so a NotFound there is about the
    path: another org's object, which must look like a missing page (404).
    """
    if route.page is None:
        return False
    page_path = page_paths.get(id(route.page), "")
    return bool(set(PATH_PARAM.findall(route.path)) - set(PATH_PARAM.findall(page_path)))


def same_origin(request: Request) -> bool:
    """Whether the post comes from one of the hub's own pages, when the browser says.

    Sign-in and sign-up happen before there is a session (and so a CSRF token): the
    Origin header (or failing that the Referer) is what stops another site posting them.
    """
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urllib.parse.urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    if referer is not None:
        return urllib.parse.urlsplit(referer).netloc == host
    return True


async def read_form(request: Request, limit: int) -> FormData:
    """A url-encoded form post (the only kind these pages send), at most `limit` bytes."""
    body = await read_body(request, limit)
    try:
        pairs = urllib.parse.parse_qsl(
            body.decode(), keep_blank_values=True, strict_parsing=False, max_num_fields=2000
        )
    except (UnicodeDecodeError, ValueError):
        raise FormError("the form could not be read: reload the page and try again") from None
    fields: list[tuple[str, str | UploadFile]] = list(pairs)
    return FormData(fields)


def _kept_values(form: FormData) -> dict[str, str]:
    kept: dict[str, str] = {}
    for key, raw in form.multi_items():
        if key not in SECRET_FIELDS and isinstance(raw, str):
            # Shown again with what could not be stored marked, so nothing else is lost.
            value = raw.replace("\x00", "\ufffd")
            # Repeated fields (checkbox groups) are kept joined; templates split them.
            kept[key] = f"{kept[key]}\n{value}" if key in kept else value
    return kept


def _endpoint(
    route: PageRoute, settings: HubSettings, templates: Jinja2Templates, names_more: bool
) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        now = utc_now()
        visit = Visit(request, settings, templates, now, FormData())
        try:
            visit = await _admit(route, visit)
        except _SignInFirst:
            return _to_sign_in(request)
        except (HubError, FormError) as exc:
            return error_page(visit, exc)
        try:
            try:
                check_form(visit.form)
                return await route.handler(visit)
            except BaseORMException as orm_exc:
                mapped = refusal(orm_exc)
                if mapped is None:
                    raise
                raise mapped from orm_exc
        except (HubError, FormError) as exc:
            if (
                route.page is None
                or isinstance(exc, Forbidden | CsrfFailed)
                or (names_more and isinstance(exc, NotFound))
            ):
                return error_page(visit, exc)
            failed = Failed(
                route.form,
                "The event cannot be published yet:"
                if isinstance(exc, PublishBlocked)
                else str(exc),
                _kept_values(visit.form),
                exc.problems if isinstance(exc, PublishBlocked) else [],
                422 if isinstance(exc, FormError | NotFound) else exc.http_status,
            )
            try:
                return await route.page(replace(visit, failed=failed))
            except HubError as page_exc:
                return error_page(visit, page_exc)

    return handle


class _SignInFirst(Exception):
    """The page needs a signed-in user and the request has no valid session."""


async def _admit(route: PageRoute, visit: Visit) -> Visit:
    """The visit with its user, form and principal, once every check has passed."""
    request = visit.request
    user = await signed_in_user(request, visit.now)
    orgs = [] if user is None else await accounts.user_orgs(user.id)
    visit = replace(visit, user=user, orgs=orgs)
    if route.method == "POST":
        if not same_origin(request):
            raise CsrfFailed("this form was sent from another site")
        visit = replace(visit, form=await read_form(request, visit.settings.max_body_bytes))
    if route.kind == "public":
        return visit
    if user is None:
        raise _SignInFirst
    if route.method == "POST":
        token = visit.form.get(CSRF_FIELD)
        check_csrf(request, visit.settings, token if isinstance(token, str) else None)
    check_path(request.path_params)
    if route.kind == "org":
        principal = await accounts.member_principal(user, str(request.path_params["slug"]))
        visit = replace(visit, principal=principal)
        if route.action is not None:
            require(principal, route.action)
    return visit


def _to_sign_in(request: Request) -> Response:
    target = request.url.path
    if request.method == "GET" and request.url.query:
        target += "?" + request.url.query
    return RedirectResponse("/signin?" + urllib.parse.urlencode({"next": target}), status_code=303)


def error_page(visit: Visit, exc: HubError | FormError, status: int | None = None) -> Response:
    """The page for a refused request: 404 and 403 look alike to every org's members."""
    code = status or (exc.http_status if isinstance(exc, HubError) else 400)
    titles = {403: "Not allowed", 404: "Not found", 413: "Too large"}
    return visit.render(
        "error.html",
        status=code,
        title=titles.get(code, "Something is wrong"),
        message=str(exc),
    )
