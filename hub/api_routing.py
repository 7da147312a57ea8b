"""Declaring JSON API routes once: Starlette routing, body validation and OpenAPI together.

Each route names its body and response types (msgspec structs); the OpenAPI document is
generated from the same declarations, so it always says what the hub actually enforces.
"""

from __future__ import annotations

import datetime as dt
import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.roles import Action
from hub.tenancy import Principal

PATH_PARAM = re.compile(r"{(\w+)}")

ERROR_STATUSES = {
    "400": "The body is not JSON",
    "401": "No valid API key or session",
    "403": "The role may not do this (or a browser session sent no CSRF token)",
    "404": "No such object in this organisation",
    "409": "Clashes with existing data or the object's state",
    "413": "The body is too large",
    "422": "The body is not acceptable (the message says why)",
    "429": "Too many of these for now: wait, then try again (the message says how long)",
}


@dataclass(frozen=True)
class Call:
    """One authenticated API call as a handler sees it."""

    principal: Principal
    params: dict[str, str]
    query: Any
    body: Any
    now: dt.datetime
    request: Request


Handler = Callable[[Call], Awaitable[object]]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    # Checked before the handler runs (services check it again: they are also called
    # from the organiser pages and the CLI).
    action: Action
    body: type[Any] | None = None
    response: Any = None
    status: int = 200
    # A struct of query parameters (e.g. `Paging`); its fields become documented parameters.
    query: type[Any] | None = None
    # Error statuses this route can answer beyond those every route of its kind can.
    also: tuple[str, ...] = ()
    # What a 200 holds when it is not JSON: "text/event-stream" for server-sent events
    # (each event's data is a JSON `response`).
    media_type: str = "application/json"


@dataclass(frozen=True)
class PublicRoute:
    """A route that needs no API key or session: its body carries its own credential (an
    enrolment token). Documented with the others, without the key requirement."""

    method: str
    path: str
    handler: Callable[[Any, dt.datetime], Awaitable[object]]
    summary: str
    tag: str
    credential: str  # what authenticates it, for the document: "a one-time enrolment token"
    body: type[Any]
    response: Any
    # Error statuses with what each means for this route.
    errors: tuple[tuple[str, str], ...] = ()


@dataclass
class ApiRouter:
    """Collects API route declarations; `routes()` turns them into Starlette routes."""

    prefix: str = "/api/v1"
    declared: list[ApiRoute] = field(default_factory=list)
    public_declared: list[PublicRoute] = field(default_factory=list)

    def public(self, route: PublicRoute) -> None:
        """Declare a route without an API key (see `PublicRoute`)."""
        self.public_declared.append(route)

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tag: str,
        action: Action,
        body: type[Any] | None = None,
        response: Any = None,
        status: int = 200,
        query: type[Any] | None = None,
        also: tuple[str, ...] = (),
        media_type: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.declared.append(
                ApiRoute(
                    method,
                    path,
                    handler,
                    summary,
                    tag,
                    action,
                    body,
                    response,
                    status,
                    query,
                    also,
                    media_type,
                )
            )
            return handler

        return register

    def routes(
        self, endpoint: Callable[[ApiRoute], Callable[[Request], Awaitable[Response]]]
    ) -> list[Route]:
        """Starlette routes, one per path, dispatching on method to `endpoint(route)`."""
        by_path: dict[str, dict[str, ApiRoute]] = {}
        for r in self.declared:
            by_path.setdefault(r.path, {})[r.method] = r
        out = []
        for path, methods in by_path.items():
            handlers = {m: endpoint(r) for m, r in methods.items()}

            async def dispatch(
                request: Request,
                handlers: dict[str, Callable[[Request], Awaitable[Response]]] = handlers,
            ) -> Response:
                # Starlette answers HEAD on GET routes: the GET handler serves it.
                method = "GET" if request.method == "HEAD" else request.method
                return await handlers[method](request)

            out.append(Route(self.prefix + path, dispatch, methods=list(methods)))
        return out

    def openapi(self, title: str, version: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every declared route."""
        types: list[Any] = []
        for r in self.declared:
            if r.body is not None:
                types.append(r.body)
            if r.response is not None:
                types.append(r.response)
        for p in self.public_declared:
            types += [p.body, p.response]
        schemas, components = msgspec.json.schema_components(
            types, ref_template="#/components/schemas/{name}"
        )
        schema_of = dict(zip(map(repr, types), schemas, strict=True))
        components["Error"] = {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "problems": {"type": "array", "items": {"type": "string"}},
                    },
                }
            },
        }
        paths: dict[str, dict[str, Any]] = {}
        for r in self.declared:
            op: dict[str, Any] = {
                "operationId": r.handler.__name__,
                "summary": r.summary,
                "description": f"Requires the `{r.action.value}` permission.",
                "tags": [r.tag],
                "parameters": [
                    {
                        "name": name,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"},
                    }
                    for name in PATH_PARAM.findall(r.path)
                ]
                + _query_parameters(r.query),
                "responses": {},
            }
            if r.body is not None:
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema_of[repr(r.body)]}},
                }
            ok: dict[str, Any] = {"description": "OK"}
            if r.query is not None and typing.get_origin(r.response) is list:
                ok["headers"] = {
                    "X-Total-Count": {
                        "description": "How many items there are in all pages",
                        "schema": {"type": "integer"},
                    }
                }
            if r.media_type == "text/event-stream":
                ok["description"] = (
                    "Server-sent events: each `figures` event's data is one JSON document"
                    f" of the schema {r.response.__name__}"
                )
                event = {
                    "type": "object",
                    "required": ["data"],
                    "properties": {
                        "event": {"type": "string"},
                        "id": {"type": "string"},
                        "data": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": schema_of[repr(r.response)],
                        },
                    },
                }
                ok["content"] = {r.media_type: {"schema": event}}
            elif r.response is not None:
                ok["content"] = {"application/json": {"schema": schema_of[repr(r.response)]}}
            op["responses"][str(r.status)] = ok
            statuses = ["401", "403", "404"]
            if r.query is not None:
                statuses.append("422")
            if r.body is not None:
                statuses += ["400", "409", "413", "422"]
            elif r.method != "GET":
                statuses += ["409", "422"]
            statuses += [status for status in r.also if status not in statuses]
            for status in statuses:
                op["responses"][status] = {
                    "description": ERROR_STATUSES[status],
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
            paths.setdefault(self.prefix + r.path, {})[r.method.lower()] = op
        for p in self.public_declared:
            error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            paths.setdefault(self.prefix + p.path, {})[p.method.lower()] = {
                "operationId": p.handler.__name__,
                "summary": p.summary,
                "description": f"No API key: {p.credential} in the body authenticates it.",
                "tags": [p.tag],
                "security": [],
                "parameters": [],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": schema_of[repr(p.body)]}},
                },
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": schema_of[repr(p.response)]}},
                    },
                    **{
                        status: {"description": text, "content": error} for status, text in p.errors
                    },
                },
            }
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version},
            "paths": paths,
            "components": {
                "schemas": components,
                "securitySchemes": {
                    "apiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "vgk_..."},
                },
            },
            "security": [{"apiKey": []}],
        }


def _query_parameters(query: type[Any] | None) -> list[dict[str, Any]]:
    if query is None:
        return []
    schema = msgspec.json.schema(query)
    fields = schema["$defs"][query.__name__]["properties"]
    return [
        {"name": name, "in": "query", "required": False, "schema": field_schema}
        for name, field_schema in fields.items()
    ]
