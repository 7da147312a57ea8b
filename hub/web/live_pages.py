"""An event's live page: the figures server-rendered, then kept current by server-sent
events carrying the same figures section rendered again (static/live.js swaps it in and
draws the admissions chart; without scripts the page is whole and a reload refreshes it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from hub.http import decode_query, encode_json
from hub.live.figures import Admissions, LiveFigures, LiveQuery, for_caller
from hub.live.stream import follows, live_of, stream_response
from hub.local_time import clock, zone
from hub.roles import Action
from hub.schemas import EventOut
from hub.web.event_pages import event_context
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
PARTIAL = "_live_figures.html"


def chart_data(admissions: Admissions, timezone: str) -> dict[str, Any]:
    """What static/live.js draws: per gate, (minute from `since`, admitted) points, and
    hour ticks labelled on the event's clock."""
    since = admissions.since
    span = int((admissions.until - since) / dt.timedelta(minutes=1))
    gates = [
        {
            "gate": g.gate or "(no gate)",
            "points": [
                [int((m.at - since) / dt.timedelta(minutes=1)), m.admitted] for m in g.minutes
            ],
        }
        for g in admissions.gates
    ]
    # Ticks on the event clock's whole hours (every few hours over a long window).
    step = 60 * max(1, admissions.hours // 6)
    first = (60 - since.astimezone(zone(timezone)).minute) % 60
    ticks = [
        [offset, clock(since + dt.timedelta(minutes=offset), timezone)]
        for offset in range(first, span + 1, step)
    ]
    return {"minutes": span, "gates": gates, "ticks": ticks}


def minute_rows(admissions: Admissions) -> list[tuple[str, list[int]]]:
    """The chart as a table: each minute with admissions, and the count at every gate."""
    gates = [g.gate for g in admissions.gates]
    by_minute: dict[dt.datetime, tuple[str, dict[str, int]]] = {}
    for g in admissions.gates:
        for m in g.minutes:
            by_minute.setdefault(m.at, (m.label, {}))[1][g.gate] = m.admitted
    return [
        (label, [counts.get(gate, 0) for gate in gates])
        for _, (label, counts) in sorted(by_minute.items())
    ]


def _context(figures: LiveFigures, event: EventOut) -> dict[str, Any]:
    """What _live_figures.html shows besides `event`."""
    return {
        "figures": figures,
        "chart": chart_data(figures.admissions, event.timezone),
        "minute_rows": minute_rows(figures.admissions),
    }


async def _figures(visit: Visit, event: EventOut, hours: int) -> LiveFigures:
    figures = await live_of(visit.request).figures(event.id, event.timezone, hours)
    return for_caller(figures, visit.member)


def _hours(visit: Visit) -> int:
    query: LiveQuery = decode_query(dict(visit.request.query_params), LiveQuery)
    return query.hours


@router.org("GET", "/events/{event_id}/live", Action.EVENTS_READ)
async def live_page(visit: Visit) -> Response:
    hours = _hours(visit)
    context = await event_context(visit)
    event: EventOut = context["event"]
    figures = await _figures(visit, event, hours)
    stream = visit.org_url(f"/events/{event.id}/live/stream") + f"?hours={hours}"
    return visit.render(
        "live.html", **context, **_context(figures, event), hours=hours, stream=stream
    )


@router.org("GET", "/events/{event_id}/live/stream", Action.EVENTS_READ)
async def live_page_stream(visit: Visit) -> Response:
    hours = _hours(visit)
    context = await event_context(visit)
    event: EventOut = context["event"]
    template = visit.templates.get_template(PARTIAL)
    member = visit.member

    async def render(figures: LiveFigures) -> bytes:
        shown = for_caller(figures, member)
        html = template.render(**_context(shown, event), event=event, hours=hours)
        return encode_json({"html": html})

    live = live_of(visit.request)
    return stream_response(
        live.events(event.id, render, event.timezone, hours, follows(visit.request))
    )
