"""The door-staff and manager pages a gate serves: kiosk, handheld, dashboard, and their files.

The pages are plain HTML with ES modules beside them: no template engine, no build step, and
nothing fetched from outside the gate, because a venue LAN often has no internet at all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

PAGES_DIR: Final = Path(__file__).parent / "pages"
STATIC_DIR: Final = Path(__file__).parent / "static"

# Pages are small and change with the gate's software: always revalidate, never go stale.
_NO_CACHE = {"cache-control": "no-cache"}


def _page(name: str) -> Route:
    path = PAGES_DIR / f"{name}.html"

    async def endpoint(request: Request) -> Response:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_NO_CACHE)

    return Route(f"/{name}", endpoint, methods=["GET", "HEAD"], name=f"page-{name}")


async def _home(request: Request) -> Response:
    return RedirectResponse("/kiosk", status_code=302)


async def _service_worker(request: Request) -> Response:
    # Served from the root so that it may control /handheld; the page registers it with that
    # scope only, and the header allows the wider path should a page ask for it.
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript; charset=utf-8",
        headers={**_NO_CACHE, "service-worker-allowed": "/"},
    )


async def _manifest(request: Request) -> Response:
    return FileResponse(
        STATIC_DIR / "manifest.webmanifest",
        media_type="application/manifest+json",
        headers=_NO_CACHE,
    )


def page_routes() -> list[BaseRoute]:
    """Routes for `/` (to the kiosk), `/kiosk`, `/handheld`, `/dashboard`, the handheld's
    service worker and manifest, and `/static` for the pages' scripts, styles and icons."""
    return [
        Route("/", _home, methods=["GET", "HEAD"]),
        _page("kiosk"),
        _page("handheld"),
        _page("dashboard"),
        Route("/sw.js", _service_worker, methods=["GET"]),
        Route("/manifest.webmanifest", _manifest, methods=["GET"]),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
