"""The organiser web app: server-rendered pages (Jinja2) over the hub's services."""

from hub.web.routes import STATIC_DIR, web_routes

__all__ = ["STATIC_DIR", "web_routes"]
