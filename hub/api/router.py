"""The one router every API route module declares its routes on (see `hub.api_routing`)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hub.api_routing import ApiRouter
from hub.http import json_response

api = ApiRouter()
route = api.route


def paged(items: list[Any], total: int) -> Response:
    """A page of a long list, with the size of the whole list in X-Total-Count."""
    return json_response(items, headers={"x-total-count": str(total)})
