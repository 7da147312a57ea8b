"""Every organiser page, gathered from the modules that declare them."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

from hub.settings import HubSettings
from hub.web import (
    auth_pages,
    device_pages,
    event_pages,
    gate_pages,
    invite_pages,
    live_pages,
    org_pages,
    signup_pages,
    ticket_pages,
    venue_pages,
)
from hub.web.confirmations import with_confirmations
from hub.web.templating import make_templates

STATIC_DIR = Path(__file__).parent / "static"
ROUTERS = (
    auth_pages.router,
    event_pages.router,
    live_pages.router,
    gate_pages.router,
    device_pages.router,
    ticket_pages.router,
    venue_pages.router,
    org_pages.router,
    invite_pages.router,
    signup_pages.router,
)


def web_routes(settings: HubSettings) -> list[BaseRoute]:
    """The organiser app's routes (its static files are mounted by the app at /static)."""
    templates = make_templates()
    # Irreversible forms ask first (hub.web.confirmations declares which and how).
    routers = with_confirmations(ROUTERS)
    return [route for router in routers for route in router.routes(settings, templates)]
