"""A stand-in for the hub's enrolment endpoint and per-event sync routes, for the gate's
tests of the link's behaviour (refusals and outages on demand).

It answers ``POST /api/v1/enrol`` exactly as SPEC-11.md gives it (the answer and each error
code in the hub's error shape), ``GET /api/v1/health`` as hub/app.py does, and serves
``/sync/events/<event_id>/versions|pull|push`` with sync.transport's own routes over a real
SQLite replica, authenticated with device signatures against the devices it enrolled.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from contract.replica_schema import DDL
from gate_node.replicated_values import accept_changes
from gate_node.venue import REPLICATED_TABLES
from sync.device_auth import SignedRequest
from sync.replica import Replica
from sync.transport import device_authenticator, sync_routes
from voelgoed.processes import serve_in_thread

HUB_ID = "hub0standin"
# ASCII, so a test can hand it to an unenrolled gate as its venue secret file too.
SECRET = b"standin-venue-secret-0123456789ab"


def token(tag: str) -> str:
    """An enrolment token of this stand-in hub (the text the hub prints)."""
    return f"vgt1.{HUB_ID}.{tag}-" + "x" * 30


@dataclass
class StandInHub:
    """The state of the stand-in: tokens and their fate, enrolled devices, what it saw."""

    event_id: str
    replica: Replica
    # token -> error code it answers with (None: a good token, used up by its first use).
    tokens: dict[str, str | None] = field(default_factory=dict)
    devices: dict[str, bytes] = field(default_factory=dict)
    enrol_bodies: list[dict[str, object]] = field(default_factory=list)
    sync_requests: list[tuple[float, str, dict[str, str]]] = field(default_factory=list)
    refuse_sync: bool = False  # answer 503 to every sync request (the hub "down")
    # Held around every replica call of the routes: a test writing "at the hub" holds it too.
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def routes(self) -> list[BaseRoute]:
        async def enrol(request: Request) -> Response:
            body = await request.json()
            self.enrol_bodies.append(body)
            problems = [
                name
                for name in ("token", "public_key", "host_name", "software_version")
                if not isinstance(body.get(name), str)
            ]
            if problems or len(bytes.fromhex(str(body.get("public_key", "")))) != 32:
                return _error("invalid_body", f"bad fields: {problems or ['public_key']}", 422)
            text = str(body["token"])
            if not text.startswith(f"vgt1.{HUB_ID}."):
                return _error("token_other_hub", "this token was made by another hub", 400)
            if text not in self.tokens:
                return _error("token_unknown", "no such enrolment token", 404)
            fate = self.tokens[text]
            statuses = {"token_used": 409, "token_expired": 410, "device_revoked": 403}
            if fate is not None:
                return _error(fate, f"the token is {fate}", statuses[fate])
            self.tokens[text] = "token_used"
            device_id = f"00000000-0000-4000-8000-{len(self.devices) + 1:012d}"
            self.devices[device_id] = bytes.fromhex(str(body["public_key"]))
            return JSONResponse(
                {
                    "hub_id": HUB_ID,
                    "device_id": device_id,
                    "device_name": f"Pi {len(self.devices)}",
                    "org": "demo-org",
                    "venue": "Demo Hall",
                    "venue_id": "11111111-1111-4111-8111-111111111111",
                    "gate": "north",
                    "events": [
                        {
                            "id": self.event_id,
                            "name": "Demo night",
                            "sync_path": f"/sync/events/{self.event_id}",
                        }
                    ],
                    "venue_secret": SECRET.hex(),
                }
            )

        async def health(request: Request) -> Response:
            return JSONResponse({"status": "ok", "version": "standin"})

        async def key_of(device: str) -> bytes | None:
            return self.devices.get(device)

        def seen(request: Request, signed: SignedRequest) -> None:
            self.sync_requests.append((time.monotonic(), request.url.path, dict(request.headers)))

        inner = sync_routes(
            self.replica,
            secret=SECRET,
            prefix="",
            lock=self.lock,
            authenticate=device_authenticator(key_of, on_verified=seen),
        )

        async def down_or(request: Request) -> Response:
            self.sync_requests.append((time.monotonic(), request.url.path, {}))
            return Response(b"down for maintenance", 503)

        def gate(route: BaseRoute) -> BaseRoute:
            assert isinstance(route, Route)
            endpoint = route.endpoint

            async def guarded(request: Request) -> Response:
                if self.refuse_sync:
                    return await down_or(request)
                answer: Response = await endpoint(request)
                return answer

            return Route(route.path, guarded, methods=["POST"])

        return [
            Route("/api/v1/enrol", enrol, methods=["POST"]),
            Route("/api/v1/health", health),
            Mount(f"/sync/events/{self.event_id}", routes=[gate(r) for r in inner]),
        ]


def _error(code: str, message: str, status: int) -> Response:
    return JSONResponse({"error": {"code": code, "message": message}}, status)


def hub_replica(path: Path) -> Replica:
    """A real SQLite replica of the gate's schema, as the hub's stand-in store."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    conn.executescript(DDL)
    replica = Replica(conn, accept=accept_changes)
    for table in REPLICATED_TABLES:
        replica.make_replicated(table)
    return replica


def serve_on(app: Starlette, port: int) -> contextlib.AbstractContextManager[str]:
    """Serve ``app`` on a given loopback port (so a test can stop and restart "the hub")."""
    return serve_in_thread(app, port=port)
