"""Organiser pages (being built)."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute

from hub.settings import HubSettings

STATIC_DIR = Path(__file__).parent / "static"


def web_routes(settings: HubSettings) -> list[BaseRoute]:
    return []
