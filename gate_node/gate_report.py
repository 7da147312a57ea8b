"""What `voelgoed status` and `voelgoed doctor` read: the data folder, and the running gate.

A running gate records where it serves in ``DATA/serving.json`` (``{"url": ...}``, written
by `voelgoed gate serve`), so the tech's commands find it without being told the port; an
explicit ``--url`` wins. The replica is read through a read-only connection: the running
gate keeps writing, and a missing replica is not created by looking at it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import httpx
import msgspec

from gate_node import replica
from gate_node.app import StatusAnswer
from gate_node.enrolment import Identity, read_identity

SERVING_FILE: Final = "serving.json"


def record_serving(data_dir: Path, url: str) -> None:
    """Note where the gate of ``data_dir`` serves (replaced atomically)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    part = data_dir / (SERVING_FILE + ".part")
    part.write_text(json.dumps({"url": url}) + "\n")
    os.replace(part, data_dir / SERVING_FILE)


def serving_url(data_dir: Path) -> str | None:
    """Where the gate of ``data_dir`` last said it serves, if it did."""
    try:
        found = json.loads((data_dir / SERVING_FILE).read_text())
    except (OSError, ValueError):
        return None
    url = found.get("url") if isinstance(found, dict) else None
    return url if isinstance(url, str) else None


@contextlib.contextmanager
def read_only_replica(data_dir: Path) -> Iterator[sqlite3.Connection | None]:
    """The replica of ``data_dir`` opened read-only, or None when there is none."""
    path = data_dir / replica.REPLICA_FILE
    if not path.is_file():
        yield None
        return
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        yield conn
    finally:
        conn.close()


@dataclass(frozen=True)
class FolderFacts:
    """What the data folder itself says."""

    event: replica.EventSummary | None
    tickets: int
    revoked: int
    blocked: int
    scans: replica.ScanTotals | None
    inside: int


def folder_facts(conn: sqlite3.Connection) -> FolderFacts:
    def count(table: str) -> int:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    return FolderFacts(
        event=replica.event_summary(conn),
        tickets=count("tickets"),
        revoked=count("revocations"),
        blocked=count("blocks"),
        scans=replica.scan_totals(conn),
        inside=replica.inside_count(conn),
    )


@dataclass(frozen=True)
class RunningGate:
    """The gate's own ``/api/v1/status``, or why it could not be had."""

    url: str | None
    status: StatusAnswer | None
    error: str | None


def running_gate(data_dir: Path, url: str | None, timeout_s: float = 3.0) -> RunningGate:
    """Ask the gate at ``url`` (default: where the data folder says it serves)."""
    target = (url or serving_url(data_dir) or "").rstrip("/")
    if not target:
        return RunningGate(None, None, "the gate has not served from this data folder")
    try:
        # The gate's HTTPS certificate is its own self-signed one: this only reads status.
        response = httpx.get(target + "/api/v1/status", timeout=timeout_s, verify=False)  # noqa: S501
        response.raise_for_status()
        status = msgspec.json.decode(response.content, type=StatusAnswer)
    except httpx.HTTPError as exc:
        return RunningGate(target, None, f"no answer at {target}: {exc or type(exc).__name__}")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return RunningGate(target, None, f"{target} does not answer as a Voelgoed gate")
    return RunningGate(target, status, None)


@dataclass(frozen=True)
class StatusReport:
    data_dir: Path
    identity: Identity | None
    facts: FolderFacts | None
    gate: RunningGate


def gather_status(data_dir: Path, url: str | None = None) -> StatusReport:
    """Everything `voelgoed status` shows, read now."""
    identity = read_identity(data_dir)
    with read_only_replica(data_dir) as conn:
        facts = None if conn is None else folder_facts(conn)
    return StatusReport(data_dir, identity, facts, running_gate(data_dir, url))


def _ago(then_ms: int | None, now_ms: int) -> str:
    if then_ms is None:
        return "never"
    return f"{max(0, now_ms - then_ms) / 1000:.1f} s ago"


def render_status(report: StatusReport) -> str:
    """One screen for a tech: event, gate, tickets, scans, peers, hub, backlog."""
    lines: list[str] = []

    def row(label: str, text: str) -> None:
        lines.append(f"{label:<10}  {text}")

    identity, facts, gate = report.identity, report.facts, report.gate
    status = gate.status
    event = facts.event if facts is not None else None
    row("data", str(report.data_dir))
    if event is None:
        waiting = " (it arrives from the hub)" if identity is not None else ""
        row("event", f"none loaded yet{waiting}")
    else:
        row("event", f"{event.name} ({event.id})")
    name = status.gate if status is not None else (identity.gate if identity else "-")
    row("gate", name)
    if identity is not None:
        row("device", f"{identity.device_name} ({identity.device_id})")
        row("venue", f"{identity.venue} of {identity.org}")
    if facts is not None:
        row("tickets", f"{facts.tickets} ({facts.revoked} revoked, {facts.blocked} blocked)")
    scans = status.scans if status is not None else (facts.scans if facts else None)
    if scans is not None:
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(scans.by_reason.items()))
        rejected = f"{scans.rejected} rejected" + (f" ({reasons})" if reasons else "")
        row("scans", f"{scans.admitted} admitted, {scans.exits} exits, {rejected}")
        inside = status.inside if status is not None else (facts.inside if facts else 0)
        row("inside", str(inside))
    if status is None:
        row("running", f"no: {gate.error}")
    else:
        row("running", f"yes, at {gate.url}")
        _peer_rows(status, row)
    _hub_rows(identity, status, row)
    return "\n".join(lines)


def _peer_rows(status: StatusAnswer, row: Callable[[str, str], None]) -> None:
    if not status.peers:
        row("peers", "none")
    for peer in status.peers:
        who = peer.gate or peer.url
        if peer.reachable:
            skew = "" if peer.skew_ms is None else f", clock {peer.skew_ms:+d} ms"
            row("peer", f"{who} at {peer.url}: reachable{skew}")
        else:
            row("peer", f"{who} at {peer.url}: unreachable ({peer.error or 'not reached yet'})")


def _hub_rows(
    identity: Identity | None, status: StatusAnswer | None, row: Callable[[str, str], None]
) -> None:
    if identity is None:
        row("hub", "not enrolled (offline venue, or run `voelgoed gate enrol`)")
        return
    link = status.hub if status is not None else None
    if link is None:
        row("hub", f"{identity.hub_url} (link state: the gate is not running)")
        return
    now = status.clock_ms if status is not None else 0
    state = "reachable" if link.reachable else f"unreachable ({link.last_error or 'not yet'})"
    row("hub", f"{link.url}: {state}")
    offset = "unknown" if link.clock_offset_ms is None else f"{link.clock_offset_ms:+d} ms"
    row(
        "sync",
        f"last pull {_ago(link.last_pull_ms, now)}, last push {_ago(link.last_push_ms, now)},"
        f" hub clock {offset}",
    )
    row("backlog", "unknown (not pushed yet)" if link.backlog is None else str(link.backlog))
