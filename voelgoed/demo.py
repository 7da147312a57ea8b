"""`make demo`: a demo event, a gate serving it, and codes ready to scan."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import segno

from contract.event_package import read_package
from gate_node import staff_store, venue
from gate_node.timestamps import parse_time
from hub.demo_data import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG
from voelgoed.demo_event import (
    DemoTicket,
    build_demo_event,
    foreign_code,
    read_tickets_csv,
    tickets_csv_path,
    write_demo_event,
)
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

PACKAGE_NAME = "demo-event.vgpkg"


@dataclass(frozen=True)
class SampleCode:
    """A code to try, what it is, and what the gate should answer the first time."""

    label: str
    expect: str
    code: str


def write_qr_png(code: str, path: Path) -> None:
    """A QR code image of `code`, large enough to scan from a screen."""
    segno.make_qr(code, error="m").save(str(path), scale=8, border=4)


def sample_codes(package_path: Path) -> list[SampleCode]:
    """One code of each kind worth showing, taken from the package's ticket list."""
    package = read_package(package_path)
    tickets = read_tickets_csv(tickets_csv_path(package_path))

    def first(pred: str, state: str = "valid") -> DemoTicket:
        return next(t for t in tickets if t.ticket_type == pred and t.state == state)

    def first_state(state: str) -> DemoTicket:
        return next(t for t in tickets if t.state == state)

    ga = first("General admission")
    return [
        SampleCode(f"general admission ({ga.holder})", "ok, then already_scanned", ga.qr),
        SampleCode("weekend pass", "ok on every entry, 3 a day", first("Weekend pass").qr),
        SampleCode("VIP", "product at gate-1 (VIP gate only)", first("VIP").qr),
        SampleCode("seated", "ok, shows the seat", first("Seated").qr),
        SampleCode("refunded ticket", "revoked", first_state("revoked").qr),
        SampleCode("stolen ticket", "blocked", first_state("blocked").qr),
        SampleCode(
            "forged ticket",
            "forged",
            foreign_code(package.event.id, package.ticket_types[0].id),
        ),
        SampleCode(
            "another event's ticket",
            "wrong_event",
            foreign_code(uuid.UUID(int=1, version=4), package.ticket_types[0].id),
        ),
    ]


def _ended(package_path: Path, now: dt.datetime) -> bool:
    ends_at = read_package(package_path).event.ends_at
    return ends_at is not None and parse_time(ends_at) < now


def prepare(data_dir: Path, tickets: int) -> tuple[Path, list[SampleCode]]:
    """Create the demo event (kept across runs until it has ended), and the sample QR images.

    An ended demo event is made again with today's dates: the same event, tickets and
    holders (the ids come from one seed) with new signing keys, so its new codes scan.
    """
    package_path = data_dir / PACKAGE_NAME
    now = dt.datetime.now(dt.UTC)
    if (
        not package_path.exists()
        or not tickets_csv_path(package_path).exists()
        or _ended(package_path, now)
    ):
        demo = build_demo_event(tickets, now=now)
        write_demo_event(demo, package_path)
    samples = sample_codes(package_path)
    qr_dir = data_dir / "qr"
    qr_dir.mkdir(parents=True, exist_ok=True)
    for i, sample in enumerate(samples, 1):
        slug = "".join(ch if ch.isalnum() else "-" for ch in sample.label.split(" (")[0])
        write_qr_png(sample.code, qr_dir / f"{i}-{slug}.png")
    return package_path, samples


DEMO_STAFF = (("Thandi", "steward", "1111"), ("Johan", "supervisor", "2222"))


def ensure_demo_staff(gate_data: Path) -> tuple[tuple[str, str, str], ...]:
    """A steward and a supervisor with known PINs, added once to the demo gate."""
    # Attached to sync/ once the gate replicated: the audit entries replicate.
    with venue.opened_for_writing(gate_data) as conn:
        if not staff_store.list_staff(conn):
            for name, role, pin in DEMO_STAFF:
                staff_store.add_staff(
                    conn, name=name, role=role, pin=pin, now=dt.datetime.now(dt.UTC)
                )
    return DEMO_STAFF


GATES = ("gate-1", "gate-2", "gate-3")
HUB_PORT = 8800


def start_hub(data_dir: Path, host: str) -> ServerProcess:
    """The hub with its demo organisation, on an embedded PostgreSQL in DATA/hub unless
    DATABASE_URL names one."""
    hub_data = data_dir / "hub"
    log = data_dir / "hub.log"
    seed = subprocess.run(  # noqa: S603 (our own command)
        voelgoed_command("hub", "seed-demo", "--data", str(hub_data)),
        capture_output=True,
        text=True,
        check=False,
    )
    if seed.returncode != 0:
        raise RuntimeError(f"the demo hub could not be prepared:\n{seed.stderr.strip()}")
    port = HUB_PORT if _port_free(host, HUB_PORT) else free_port(host)
    argv = voelgoed_command(
        "hub",
        "serve",
        "--data",
        str(hub_data),
        "--host",
        host,
        "--port",
        str(port),
        "--log-level",
        "warning",
    )
    return ServerProcess(argv, port, host=host, log_path=log).start(timeout=60)


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def venue_secret(data_dir: Path) -> Path:
    """The demo venue's shared secret, made once."""
    path = data_dir / "venue.secret"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path


def run_demo(data_dir: Path, *, host: str, port: int, tickets: int) -> int:
    """Prepare the demo, start three gates that find each other by mDNS on loopback and
    replicate, print how to use them, and run until Ctrl-C."""
    package_path, samples = prepare(data_dir, tickets)
    secret = venue_secret(data_dir)
    ports = [port]
    for i in range(1, len(GATES)):
        ports.append(port + i if _port_free(host, port + i) else free_port(host))
    staff = DEMO_STAFF
    gates: list[ServerProcess] = []
    hub: ServerProcess | None = None
    # A service manager's SIGTERM stops the gates as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for name, gate_port in zip(GATES, ports, strict=True):
            ensure_demo_staff(data_dir / name)
            argv = voelgoed_command(
                "gate",
                "serve",
                "--data",
                str(data_dir / name),
                "--event-package",
                str(package_path),
                "--host",
                host,
                "--port",
                str(gate_port),
                "--gate-name",
                name,
                "--venue",
                "demo-venue",
                "--venue-secret-file",
                str(secret),
                # mDNS stays on loopback in the demo: never on this machine's own network.
                "--mdns-interface",
                "127.0.0.1",
                "--log-level",
                "warning",
            )
            gates.append(
                ServerProcess(argv, gate_port, host=host, log_path=data_dir / f"{name}.log")
            )
            gates[-1].start()
        hub = start_hub(data_dir, host)
        url = f"http://{host}:{port}"
        print(f"\nVoelgoed hub (organiser app): {hub.url}/signin")
        print(f"  sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}  (org {DEMO_SLUG}: a seated event)")
        print(f"  API reference: {hub.url}/api/v1/openapi.json")
        print(
            "  email: the demo sends none; invitation links show on the team page, and every"
            f" email is saved in {data_dir / 'hub' / 'outbox'}/"
        )
        print(f"\nVoelgoed demo: three gates of one venue, replicating; gate-1 at {url}")
        for name, gate in zip(GATES, gates, strict=True):
            print(
                f"  {name}  kiosk {gate.url}/kiosk   handheld {gate.url}/handheld"
                f"   dashboard {gate.url}/dashboard"
            )
        print(
            "Staff PINs (on every gate): "
            + ", ".join(f"{name} ({role}) {pin}" for name, role, pin in staff)
        )
        print(f"Event package {package_path}; all tickets in {tickets_csv_path(package_path)}")
        print(f"QR images of these codes in {data_dir / 'qr'}/\n")
        for sample in samples:
            print(f"  {sample.label}  ->  expect {sample.expect}\n    {sample.code}")
        body = json.dumps({"code": samples[0].code})
        print(
            f"\nScan one:\n  curl -s -X POST {url}/api/v1/scan -H 'content-type: application/json'"
            f" -d '{body}'"
        )
        print("Then the same code at gate-2 or gate-3: already scanned, naming gate-1.")
        print(f'Exit scan: add "direction": "out". Start afresh: rm -rf {data_dir}\n')
        print("Ctrl-C stops the hub and the gates.", flush=True)
        while all(p.process is not None and p.process.poll() is None for p in [hub, *gates]):
            time.sleep(0.5)
        print("a service stopped; see its log in " + str(data_dir), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        for process in gates:
            process.stop()
        if hub is not None:
            hub.stop()
