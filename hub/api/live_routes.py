"""The API's live figures of an event: once as JSON, or as a stream of server-sent events."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from hub.api.router import route
from hub.api_routing import Call
from hub.http import encode_json
from hub.live.figures import LiveFigures, LiveQuery, for_caller
from hub.live.stream import follows, live_of, stream_response
from hub.roles import Action
from hub.services import events


@route(
    "GET",
    "/events/{event_id}/live",
    summary="An event's live figures: inside, admissions per gate, rejections, double"
    " admissions, devices",
    tag="live",
    action=Action.EVENTS_READ,
    response=LiveFigures,
    query=LiveQuery,
)
async def get_live(call: Call) -> Any:
    event = await events.get_event(call.principal, call.params["event_id"])
    figures = await live_of(call.request).figures(event.id, event.timezone, call.query.hours)
    return for_caller(figures, call.principal)


@route(
    "GET",
    "/events/{event_id}/live/stream",
    summary="The live figures as server-sent events, whenever they change",
    tag="live",
    action=Action.EVENTS_READ,
    response=LiveFigures,
    query=LiveQuery,
    media_type="text/event-stream",
)
async def stream_live(call: Call) -> Response:
    event = await events.get_event(call.principal, call.params["event_id"])
    principal = call.principal

    async def render(figures: LiveFigures) -> bytes:
        return encode_json(for_caller(figures, principal))

    live = live_of(call.request)
    body = live.events(event.id, render, event.timezone, call.query.hours, follows(call.request))
    return stream_response(body)
