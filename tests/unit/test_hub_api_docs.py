"""docs/hub-api.md lists every route of the hub's API, with the permission it needs."""

from __future__ import annotations

from pathlib import Path

from hub.api import api

DOC = Path(__file__).resolve().parents[2] / "docs" / "hub-api.md"


def test_every_api_route_is_documented_with_its_permission() -> None:
    text = DOC.read_text()
    missing = [
        f"{r.method} {api.prefix}{r.path}"
        for r in api.declared
        if f"| `{r.method} {api.prefix}{r.path}` | {r.summary} | `{r.action.value}` |" not in text
    ]
    assert not missing, f"add these routes to docs/hub-api.md: {missing}"
