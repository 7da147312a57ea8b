"""The hub's HTTP service: `create_app(settings)` declares routes, errors and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from tortoise import Tortoise

from hub import database
from hub.api import api
from hub.api_endpoint import api_endpoint, public_endpoint
from hub.errors import HubError
from hub.http import error_response, json_response
from hub.live.devices import DeviceHealthSource, device_health_of
from hub.live.signals import LiveSignals
from hub.live.stream import Live
from hub.mail import config as mail_config
from hub.mail.delivery import DeliveryLoop, transport_for
from hub.replication.directory import DeviceDirectory, hub_directory
from hub.replication.routes import hub_sync_routes
from hub.settings import SETTINGS_ENV, HubSettings, settings_from_env
from hub.web import STATIC_DIR, web_routes

VERSION = "0.1.0"


def create_app(
    settings: HubSettings,
    *,
    sync_directory: DeviceDirectory | None = None,
    device_health: DeviceHealthSource = device_health_of,
) -> Starlette:
    """The hub service: JSON API, organiser pages, OpenAPI document and the per-event sync
    routes its gate devices replicate through (hub.replication.routes). ``sync_directory``
    (default: the enrolled devices, hub.services.devices) authenticates them;
    ``device_health`` says how the devices serving an event are doing, for the live
    figures."""
    if len(settings.secret_key) < 16:
        raise ValueError("the hub's secret key must be at least 16 bytes")
    openapi_doc = api.openapi("Voelgoed hub API", VERSION)
    live = Live(device_health, LiveSignals())
    # Checked now, so a bad --smtp URL stops the start with one clear line.
    mail = mail_config.mail_settings(settings)

    async def openapi(request: Request) -> Response:
        return json_response(openapi_doc)

    async def health(request: Request) -> Response:
        await Tortoise.get_connection("default").execute_query("SELECT 1")
        return json_response({"status": "ok", "version": VERSION})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        url = database.resolve_url(settings.database_url, settings.data_dir)
        if settings.migrate_on_start:
            await database.migrate(url)
        # Requests run in tasks that do not inherit the lifespan's context: the ORM's
        # context must be the process-wide fallback.
        await Tortoise.init(config=database.tortoise_config(url), _enable_global_fallback=True)
        # One LISTEN connection per process wakes the live streams (they poll without it).
        live.signals.database_url = url
        deliveries = DeliveryLoop(mail, transport_for(mail), database_url=url)
        delivering = asyncio.create_task(deliveries.run(), name="mail delivery")
        try:
            yield
        finally:
            deliveries.stop()
            # The message in hand is finished (a cut-off send could go out twice).
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(delivering, mail.timeout + 5)
            await live.signals.close()
            await Tortoise.close_connections()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if request.url.path.startswith("/api/"):
            code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
            return json_response(
                {"error": {"code": code, "message": str(exc.detail)}}, exc.status_code
            )
        return Response(str(exc.detail), exc.status_code, media_type="text/plain")

    async def unexpected_error(request: Request, exc: Exception) -> Response:
        # Starlette logs the traceback after this answer; the client gets the usual shape.
        if request.url.path.startswith("/api/"):
            return json_response(
                {"error": {"code": "internal_error", "message": "the hub failed; it is logged"}},
                500,
            )
        return Response("The hub failed; it is logged.", 500, media_type="text/plain")

    async def hub_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HubError)
        return error_response(exc)

    routes = [
        *api.routes(lambda route: api_endpoint(route, settings)),
        *(
            Route(api.prefix + p.path, public_endpoint(p, settings), methods=[p.method])
            for p in api.public_declared
        ),
        *hub_sync_routes(sync_directory or hub_directory()),
        Route("/api/v1/openapi.json", openapi),
        Route("/api/v1/health", health),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        *web_routes(settings),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            HTTPException: http_error,
            HubError: hub_error,
            Exception: unexpected_error,
        },
    )
    app.state.mailing = mail_config.mailing(settings)
    app.state.live = live
    return app


def app_from_environment() -> Starlette:
    """The app of one worker of `voelgoed hub serve --workers N` (uvicorn's factory)."""
    return create_app(settings_from_env(os.environ[SETTINGS_ENV]))
