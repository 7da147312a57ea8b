"""The gate node's HTTP service: `create_app(settings)` declares routes, errors and lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import sqlite3
import zoneinfo
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import msgspec
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from contract.event_package import read_package
from contract.replica_schema import SCHEMA_VERSION
from gate_node import replica, staff_store, venue
from gate_node.access import Access
from gate_node.dashboard import PeerLink
from gate_node.dashboard_route import dashboard_route
from gate_node.decision import Passage
from gate_node.decode_route import decode_route
from gate_node.device_identity import DeviceIdentity, load_identity
from gate_node.discovery import Advert, Discovery
from gate_node.door_time import zone_labels
from gate_node.enrolment import software_version
from gate_node.errors import GateError
from gate_node.guard import caller_of, guard_routes
from gate_node.hlc import MAX_SKEW_MS, clock_suspect
from gate_node.http import decode_body, encode_json, error_response, json_response, read_body
from gate_node.hub_link import HubLink, HubLinkView, HubTarget
from gate_node.live import LiveFeed
from gate_node.outside_writes import OutsideWrites
from gate_node.scan_answers import TicketView
from gate_node.scanning import ScanService, utc_now
from gate_node.search_route import search_routes
from gate_node.settings import GateSettings
from gate_node.staff_routes import staff_routes
from gate_node.timestamps import format_time
from kiosk_ui.routes import page_routes
from sync.changes import Change
from sync.replica import Replica

log = logging.getLogger(__name__)

GateName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class ScanRequest(msgspec.Struct, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1)]
    direction: Literal["in", "out"] = "in"
    nonce: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    gate: GateName | None = None
    device: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class DoorView(msgspec.Struct):
    """The event's door window as this gate applies it (see contract.event_package)."""

    opens_at: str
    closes_at: str | None
    policy: str


class ClockView(msgspec.Struct):
    """How door pages write times: the event's zone, and its labels by UTC offset in
    minutes, as gate_node.door_time writes them."""

    zone: str
    labels: dict[str, str]


class StatusAnswer(msgspec.Struct):
    gate: str
    schema_version: int
    event: replica.EventSummary | None
    door: DoorView | None
    clock: ClockView
    inside: int
    scans: replica.ScanTotals
    double_admissions: int
    clock_ms: int
    clock_suspect: bool
    peers: list[PeerView]
    # The link to the hub of an enrolled gate (None: not enrolled, or enrolled for no event).
    hub: HubLinkView | None = None


class PeerView(msgspec.Struct):
    url: str
    gate: str | None
    reachable: bool
    skew_ms: int | None
    error: str | None


class PassageView(msgspec.Struct):
    gate: str
    at: str
    scan_id: str
    site: str


class DoubleAdmissionView(msgspec.Struct):
    ticket_id: str
    stands: PassageView
    double: PassageView
    # Type, seat and holder (where the type shows holders) of a ticket the replica lists.
    ticket: TicketView | None = None


class ClockSkewView(msgspec.Struct):
    url: str
    gate: str | None
    skew_ms: int


class AlertsAnswer(msgspec.Struct):
    double_admissions: list[DoubleAdmissionView]
    clock_skew: list[ClockSkewView]


def _passage(passage: Passage) -> PassageView:
    return PassageView(passage.gate, format_time(passage.at), passage.scan_id, passage.site)


_scan_request = msgspec.json.Decoder(ScanRequest)


async def live_stream(
    feed: LiveFeed, request: Request, keepalive_s: float = 15.0
) -> AsyncIterator[bytes]:
    """Server-sent events from the live feed until the client goes away."""
    async with feed.subscribe() as queue:
        yield b"retry: 2000\n\n"
        while not await request.is_disconnected():
            try:
                event = await asyncio.wait_for(queue.get(), keepalive_s)
            except TimeoutError:
                yield b": keep-alive\n\n"
                continue
            yield b"event: " + event.kind.encode() + b"\ndata: " + encode_json(event.data) + b"\n\n"


def _discovery(settings: GateSettings, service: ScanService) -> Discovery | None:
    """The gate's mDNS presence, when it has interfaces for it and an event to announce."""
    if not settings.mdns_interfaces or service.event is None:
        return None
    advert = Advert(
        venue=settings.venue_name,
        event=str(service.event.event_id),
        site_id=service.site,
        gate=settings.gate_name,
        tls=settings.tls,
    )
    return Discovery(
        advert,
        port=settings.port,
        interfaces=settings.mdns_interfaces,
        on_peer_up=lambda peer: None,  # the venue takes these over
        on_peer_down=lambda peer: None,
    )


def _served_event(identity: DeviceIdentity, conn: sqlite3.Connection) -> str | None:
    """The sync path of the event this gate serves: the one its replica holds, else the
    first the hub named at enrolment."""
    held = replica.held_event_id(conn)
    for event in identity.events:
        if held is None or event.get("id") == str(held):
            return event.get("sync_path")
    return None


def _hub_link(
    settings: GateSettings,
    identity: DeviceIdentity | None,
    sync_replica: Replica | None,
    service: ScanService,
    peering: venue.Venue | None,
) -> HubLink | None:
    """The link to the hub of an enrolled gate: what it merges goes into the scan path and
    on to the venue's other gates at once."""
    if identity is None or identity.hub_url is None or sync_replica is None:
        return None
    sync_path = _served_event(identity, service.conn)
    if sync_path is None:
        log.warning("the hub named no event this gate's replica holds: no hub link")
        return None
    target = HubTarget(
        hub_url=identity.hub_url,
        sync_path=sync_path,
        device_id=identity.device_id,
        key=identity.signing_key,
        venue_secret=identity.venue_secret,
        software_version=software_version(),
    )

    def absorb(changes: list[Change]) -> None:
        service.absorb(changes)
        if peering is not None:
            peering.changes_merged()

    link = HubLink(
        sync_replica,
        target,
        absorb=absorb,
        now_ms=lambda: int(service.clock().timestamp() * 1000),
        pull_interval_s=settings.hub_pull_interval_s,
    )
    told = service.on_recorded

    def recorded() -> None:
        if told is not None:
            told()
        link.push_soon()

    service.on_recorded = recorded
    return link


def _open(
    settings: GateSettings,
) -> tuple[ScanService, Replica | None, venue.Venue | None, DeviceIdentity | None]:
    """The replica (with the package loaded), its scan service and, for a gate that
    replicates, sync/ attached and the venue. An enrolled gate replicates in the online
    mode (device-signed), whatever the flags; one with a venue secret in the offline mode."""
    identity = load_identity(settings.data_dir)
    replicating = identity is not None or settings.venue_secret is not None
    conn = replica.open_replica(settings.data_dir)
    sync_replica = venue.attach(conn, venue=replicating)
    if settings.event_package is not None:
        replica.load_package(conn, read_package(settings.event_package))
    offset = dt.timedelta(seconds=settings.clock_offset_s)
    service = ScanService(conn, settings.gate_name, clock=lambda: utc_now() + offset)
    if not replicating or sync_replica is None:
        return service, sync_replica, None, identity
    peering = venue.Venue(
        service,
        sync_replica,
        secret=settings.venue_secret,
        identity=identity,
        peers=settings.peers,
        discovery=_discovery(settings, service),
    )
    return service, sync_replica, peering, identity


def create_app(settings: GateSettings) -> Starlette:
    """The gate node service: scan API and status over the event replica in `data_dir`."""
    service, sync_replica, peering, identity = _open(settings)
    conn = service.conn
    hub = _hub_link(settings, identity, sync_replica, service, peering)
    outside = OutsideWrites(
        service, sync_replica, on_absorbed=None if peering is None else peering.changes_merged
    )
    access = Access(
        trust_loopback=settings.trust_loopback,
        clock=service.clock,
        is_active=lambda staff_id: staff_store.is_active(conn, staff_id),
        venue_secret=None if peering is None else peering.secret,
        authenticate_peer=None if peering is None else peering.authenticate_peer,
    )

    async def scan(request: Request) -> Response:
        staff = caller_of(request).staff
        body = decode_body(_scan_request, await read_body(request, settings.max_body_bytes))
        answer = service.scan(
            body.code,
            direction=body.direction,
            nonce=body.nonce,
            gate=body.gate,
            device=body.device,
            staff=staff,
        )
        return json_response(answer)

    def peer_links() -> list[PeerLink]:
        return [PeerLink(v.gate, v.url, v.reachable, v.skew_ms) for v in peer_views()] + (
            [] if hub is None else [hub.peer_link()]
        )

    def peer_views() -> list[PeerView]:
        if peering is None:
            return []
        return [
            PeerView(url, s.gate, s.reachable, s.skew_ms, s.error)
            for url, s in sorted(peering.peer_states.items())
        ]

    async def status(request: Request) -> Response:
        peers = peer_views()
        event = service.event
        now = service.clock()
        tz = zoneinfo.ZoneInfo("UTC") if event is None else event.timezone
        door = None if event is None else event.door
        return json_response(
            StatusAnswer(
                gate=settings.gate_name,
                schema_version=SCHEMA_VERSION,
                event=replica.event_summary(conn),
                door=None
                if door is None
                else DoorView(
                    format_time(door.opens),
                    None if door.closes is None else format_time(door.closes),
                    door.policy,
                ),
                clock=ClockView(str(tz.key), zone_labels(tz, now)),
                inside=replica.inside_count(conn),
                scans=replica.scan_totals(conn),
                double_admissions=len(service.double_admissions()),
                clock_ms=int(service.clock().timestamp() * 1000),
                clock_suspect=clock_suspect([p.skew_ms for p in peers if p.skew_ms is not None]),
                peers=peers,
                hub=None if hub is None else hub.view(),
            )
        )

    async def alerts(request: Request) -> Response:
        return json_response(
            AlertsAnswer(
                [
                    DoubleAdmissionView(
                        d.ticket_id,
                        _passage(d.stands),
                        _passage(d.double),
                        service.listed_ticket(d.ticket_id),
                    )
                    for d in service.double_admissions()
                ],
                [
                    ClockSkewView(p.url, p.gate, p.skew_ms)
                    for p in peer_views()
                    if p.skew_ms is not None and abs(p.skew_ms) > MAX_SKEW_MS
                ],
            )
        )

    async def events(request: Request) -> Response:
        headers = {"cache-control": "no-store", "x-accel-buffering": "no"}
        if request.method == "HEAD":
            # No body for HEAD: an endless stream would keep the connection busy for good.
            return Response(media_type="text/event-stream", headers=headers)
        return StreamingResponse(
            live_stream(service.feed, request), media_type="text/event-stream", headers=headers
        )

    async def on_gate_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GateError)
        return error_response(exc.code, str(exc), exc.http_status)

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(code, str(exc.detail), exc.status_code)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response("internal", "the gate hit an unexpected error", 500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Everything loaded so far lives as long as the gate: moving it out of the garbage
        # collector's generations keeps full collections (pauses in the scan path) short.
        gc.collect()
        gc.freeze()
        for link in (links := [x for x in (peering, hub) if x is not None]):
            await link.start()
        try:
            async with outside.watching():
                yield
        finally:
            for link in reversed(links):
                await link.stop()
            if sync_replica is not None:
                sync_replica.close()
            conn.close()

    # Each route's access rule is declared in gate_node/access_rules.py and enforced by the
    # guard before the route runs.
    routes = guard_routes(
        [
            Route("/api/v1/scan", scan, methods=["POST"]),
            Route("/api/v1/status", status, methods=["GET"]),
            Route("/api/v1/events", events, methods=["GET"]),
            Route("/api/v1/alerts", alerts, methods=["GET"]),
            *staff_routes(service, access, settings.max_body_bytes),
            *search_routes(service, settings.data_dir, settings.max_body_bytes),
            *(peering.routes() if peering is not None else []),
            dashboard_route(settings, peer_links=peer_links),
            decode_route(),
            *page_routes(),
        ],
        access,
    )
    app = Starlette(
        routes=routes,
        exception_handlers={
            GateError: on_gate_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
    app.state.scan_service = service
    # The hub link (gate_node/hub_link.py) attaches to the running venue through this.
    app.state.venue = peering
    return app
