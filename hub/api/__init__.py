"""The JSON REST API under /api/v1: every route, declared once (see `hub.api_routing`).

The routes are declared by area in this package's modules, all on one router: importing
the package declares every route, in the order the OpenAPI document lists them.
"""

from __future__ import annotations

from hub.api import device_routes, event_routes, live_routes, org_routes, venue_routes
from hub.api.router import api

__all__ = ["api", "device_routes", "event_routes", "live_routes", "org_routes", "venue_routes"]
