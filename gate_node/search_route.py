"""Supervisors find a ticket without its code, by holder, seat or ticket id, and admit it.

`GET /api/v1/supervision/search?q=...` matches tickets in the replica on a worker thread with
its own read-only connection (as the dashboard does): a LIKE over every ticket is a few
milliseconds that must not hold up the scan path on the event loop. What each match's state
is (inside, admitted where and when, revoked, blocked, what a scan would answer now) comes
from the scan path's own memory, so it is what the gate decides with.

`POST /api/v1/supervision/tickets/{ticket_id}/admit` admits a found ticket with a typed reason
(`ScanService.admit_found`); a rejection it gets is overridden through the scans' override.
"""

from __future__ import annotations

import sqlite3
import unicodedata
import uuid
from pathlib import Path
from typing import Annotated, Final

import anyio.to_thread
import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from contract.reasons import Reason
from gate_node import replica
from gate_node.decision import Decision, Passage, Status, Warning, decide_scan
from gate_node.errors import InvalidQuery, NoEventLoaded
from gate_node.guard import caller_of
from gate_node.http import decode_body, json_response, read_body
from gate_node.scanning import ScanService
from gate_node.timestamps import format_time

MIN_QUERY: Final = 2
MAX_QUERY: Final = 100
DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 50

# Holders and seats anywhere in the text; ticket ids from their start (a reference read out
# from a ticket). Ids are lower-case UUID text. `\` escapes LIKE's wildcards in the query.
_FIND_SQL = (
    "SELECT t.id, t.holder, t.seat FROM tickets t"
    " WHERE t.holder LIKE ?1 ESCAPE '\\' OR t.seat LIKE ?1 ESCAPE '\\' OR t.id LIKE ?2 ESCAPE '\\'"
    " ORDER BY (t.holder LIKE ?3 ESCAPE '\\') DESC, t.holder, t.id LIMIT ?4"
)


class AdmitRequest(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    gate: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    device: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None


class PassageView(msgspec.Struct):
    gate: str
    at: str


class ScanCheck(msgspec.Struct):
    """What an entry scan of the ticket would answer at this gate now."""

    status: Status
    reason: Reason | None
    message: str
    warning: Warning | None


class FoundTicket(msgspec.Struct):
    id: str
    type_id: str | None
    type_name: str | None
    holder: str | None
    seat: str | None
    revoked: str | None
    blocked: str | None
    inside: bool
    entries: int
    first_admitted: PassageView | None
    last_passage: PassageView | None
    last_direction: str | None
    check: ScanCheck | None


class SearchAnswer(msgspec.Struct):
    query: str
    tickets: list[FoundTicket]
    truncated: bool


_admit_request = msgspec.json.Decoder(AdmitRequest)


def search_text(raw: str | None) -> str:
    """The query as searched: trimmed, 2 to 100 characters, no control characters (NUL
    included); InvalidQuery otherwise."""
    text = (raw or "").strip()
    if len(text) < MIN_QUERY:
        raise InvalidQuery(f"type at least {MIN_QUERY} characters of a name, seat or ticket id")
    if len(text) > MAX_QUERY:
        raise InvalidQuery(f"a search is at most {MAX_QUERY} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Cs"} for ch in text):
        raise InvalidQuery("the search holds control characters")
    return text


def search_limit(raw: str | None) -> int:
    """How many tickets to answer: 1 to 50, 20 when not given; InvalidQuery otherwise."""
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find_tickets(db_path: Path, text: str, limit: int) -> list[tuple[str, str | None, str | None]]:
    """Up to `limit` tickets whose holder or seat contains `text` or whose id starts with
    it, holders starting with it first; read-only, for a worker thread."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        pattern = _like(text)
        rows = conn.execute(
            _FIND_SQL, (f"%{pattern}%", f"{pattern.lower()}%", f"{pattern}%", limit)
        ).fetchall()
    finally:
        conn.close()
    return [(str(r[0]), r[1], r[2]) for r in rows]


def _passage(passage: Passage | None) -> PassageView | None:
    return None if passage is None else PassageView(passage.gate, format_time(passage.at))


def describe(
    service: ScanService, ticket_id: str, holder: str | None, seat: str | None
) -> FoundTicket:
    """A found ticket's state as the scan path knows it (on the event loop's thread)."""
    event = service.event
    history = service.index.history.get(ticket_id, ())
    facts = service.book.facts(ticket_id, history)
    entries = [p for p in history if p.direction == "in"]
    last = history[-1] if history else None
    ticket_type = None
    check = None
    if event is not None:
        claims = service.book.claims(ticket_id, event.event_id)
        if claims is not None:
            ticket_type = event.ticket_types.get(claims.ticket_type_id)
            decision: Decision = decide_scan(
                claims,
                facts,
                direction="in",
                gate=service.gate_name,
                event=event,
                now=service.clock(),
            )
            check = ScanCheck(decision.status, decision.reason, decision.message, decision.warning)
    return FoundTicket(
        id=ticket_id,
        type_id=None if facts.ticket_type_id is None else str(facts.ticket_type_id),
        type_name=None if ticket_type is None else ticket_type.name,
        holder=holder,
        seat=seat,
        revoked=facts.revoked,
        blocked=facts.blocked,
        inside=last is not None and last.direction == "in",
        entries=len(entries),
        first_admitted=_passage(entries[0] if entries else None),
        last_passage=_passage(last),
        last_direction=None if last is None else last.direction,
        check=check,
    )


def search_routes(service: ScanService, data_dir: Path, max_body: int) -> list[Route]:
    """The supervisors' search and admit-without-a-code routes over `service`'s replica."""
    db_path = data_dir / replica.REPLICA_FILE

    async def search(request: Request) -> Response:
        text = search_text(request.query_params.get("q"))
        limit = search_limit(request.query_params.get("limit"))
        if service.event is None:
            raise NoEventLoaded("no event loaded on this gate: load an event package first")
        # One more than asked: whether there were more matches than the answer holds.
        rows = await anyio.to_thread.run_sync(find_tickets, db_path, text, limit + 1)
        found = [describe(service, *row) for row in rows[:limit]]
        return json_response(SearchAnswer(text, found, truncated=len(rows) > limit))

    async def admit(request: Request) -> Response:
        supervisor = caller_of(request).member()
        body = decode_body(_admit_request, await read_body(request, max_body))
        ticket_id = _ticket_id(request.path_params["ticket_id"])
        answer = service.admit_found(
            ticket_id, supervisor, body.reason, gate=body.gate, device=body.device
        )
        return json_response(answer)

    return [
        Route("/api/v1/supervision/search", search, methods=["GET"]),
        Route("/api/v1/supervision/tickets/{ticket_id}/admit", admit, methods=["POST"]),
    ]


def _ticket_id(text: str) -> str:
    """A ticket id in the replica's canonical form; any other text names no ticket."""
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return text  # admit_found answers unknown_ticket for it
