"""`make demo`: the hub with its demo organisation, three gates enrolled at it serving its
event, and codes ready to scan."""

from __future__ import annotations

import datetime as dt
import json
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import segno

from gate_node import staff_store, venue
from gate_node.enrolment import IDENTITY_FILE
from hub.demo_data import DEMO_EMAIL, DEMO_EVENT, DEMO_GATES, DEMO_PASSWORD, DEMO_SLUG
from voelgoed.processes import ServerProcess, free_port, voelgoed_command


@dataclass(frozen=True)
class SampleCode:
    """A code to try, what it is, and what the gate should answer the first time."""

    label: str
    expect: str
    code: str


def write_qr_png(code: str, path: Path) -> None:
    """A QR code image of `code`, large enough to scan from a screen."""
    segno.make_qr(code, error="m").save(str(path), scale=8, border=4)


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


GATES = DEMO_GATES
HUB_PORT = 8800


def start_hub(data_dir: Path, host: str) -> ServerProcess:
    """The hub (its demo organisation made by `seed_hub`), on an embedded PostgreSQL in
    DATA/hub unless DATABASE_URL names one."""
    hub_data = data_dir / "hub"
    log = data_dir / "hub.log"
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


def seed_hub(data_dir: Path, to_enrol: list[str]) -> tuple[list[SampleCode], dict[str, str]]:
    """The hub's demo organisation (made once), its tickets to try, and one-time enrolment
    tokens for the gates whose data folders are not enrolled yet."""
    samples_file = data_dir / "samples.json"
    args = ["hub", "seed-demo", "--data", str(data_dir / "hub"), "--samples", str(samples_file)]
    if to_enrol:
        args += ["--device-tokens", ",".join(to_enrol)]
    seed = subprocess.run(  # noqa: S603 (our own command)
        voelgoed_command(*args), capture_output=True, text=True, check=False
    )
    if seed.returncode != 0:
        raise RuntimeError(f"the demo hub could not be prepared:\n{seed.stderr.strip()}")
    tokens: dict[str, str] = {}
    for line in seed.stdout.splitlines():
        if line.startswith("{"):
            tokens = dict(json.loads(line)["enrolment_tokens"])
    samples = [SampleCode(**sample) for sample in json.loads(samples_file.read_text())]
    return samples, tokens


def enrol_gate(hub_url: str, token: str, gate_data: Path) -> None:
    """Enrol a demo gate at the hub, as a tech enrols a Pi: `voelgoed gate enrol`."""
    enrol = subprocess.run(  # noqa: S603 (our own command)
        voelgoed_command(
            "gate", "enrol", "--hub", hub_url, "--token", token, "--data", str(gate_data), "--force"
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    if enrol.returncode != 0:
        raise RuntimeError(f"{gate_data.name} could not enrol at the hub:\n{enrol.stderr.strip()}")


def write_sample_images(data_dir: Path, samples: list[SampleCode]) -> Path:
    """A QR image of each code to try, to scan from a screen."""
    qr_dir = data_dir / "qr"
    qr_dir.mkdir(parents=True, exist_ok=True)
    for old in qr_dir.glob("*.png"):
        old.unlink()
    for i, sample in enumerate(samples, 1):
        slug = "".join(ch if ch.isalnum() else "-" for ch in sample.label.split(" (")[0])
        write_qr_png(sample.code, qr_dir / f"{i}-{slug}.png")
    return qr_dir


def _enrolled(gate_data: Path) -> bool:
    return (gate_data / IDENTITY_FILE).exists()


def _gate_ports(host: str, port: int) -> list[int]:
    ports = [port]
    for i in range(1, len(GATES)):
        ports.append(port + i if _port_free(host, port + i) else free_port(host))
    return ports


def run_demo(data_dir: Path, *, host: str, port: int) -> int:
    """The hub with its demo organisation and three gates enrolled at it, serving its demo
    event, finding each other by mDNS on loopback and replicating with each other and the
    hub; print how to use them, and run until Ctrl-C."""
    data_dir.mkdir(parents=True, exist_ok=True)
    to_enrol = [name for name in GATES if not _enrolled(data_dir / name)]
    samples, tokens = seed_hub(data_dir, to_enrol)
    qr_dir = write_sample_images(data_dir, samples)
    ports = _gate_ports(host, port)
    staff = DEMO_STAFF
    gates: list[ServerProcess] = []
    hub: ServerProcess | None = None
    # A service manager's SIGTERM stops everything as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        hub = start_hub(data_dir, host)
        for name in to_enrol:
            enrol_gate(hub.url, tokens[name], data_dir / name)
        for name, gate_port in zip(GATES, ports, strict=True):
            ensure_demo_staff(data_dir / name)
            argv = voelgoed_command(
                "gate",
                "serve",
                "--data",
                str(data_dir / name),
                "--host",
                host,
                "--port",
                str(gate_port),
                "--venue",
                "demo-venue",
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
        _print_guide(data_dir, hub=hub, gates=gates, staff=staff, samples=samples, qr_dir=qr_dir)
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


def _print_guide(
    data_dir: Path,
    *,
    hub: ServerProcess,
    gates: list[ServerProcess],
    staff: tuple[tuple[str, str, str], ...],
    samples: list[SampleCode],
    qr_dir: Path,
) -> None:
    url = gates[0].url
    print(f"\nVoelgoed hub (organiser app): {hub.url}/signin")
    print(f"  sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}  (org {DEMO_SLUG}: a seated event)")
    print(f"  the event's gates, live: Events > {DEMO_EVENT} > Live; devices: > Devices")
    print(f"  API reference: {hub.url}/api/v1/openapi.json")
    print(
        "  email: the demo sends none; invitation links show on the team page, and every"
        f" email is saved in {data_dir / 'hub' / 'outbox'}/"
    )
    print(
        f"\nVoelgoed demo: three gates enrolled at the hub, serving {DEMO_EVENT} and"
        f" replicating with each other and the hub; gate-1 at {url}"
    )
    for name, gate in zip(GATES, gates, strict=True):
        print(
            f"  {name}  kiosk {gate.url}/kiosk   handheld {gate.url}/handheld"
            f"   dashboard {gate.url}/dashboard"
        )
    print(
        "Staff PINs (on every gate): "
        + ", ".join(f"{name} ({role}) {pin}" for name, role, pin in staff)
    )
    print(
        "Tickets issued, revoked or blocked in the organiser app reach every gate within"
        " a second; the gates' scans show at the hub."
    )
    print(f"QR images of these codes in {qr_dir}/\n")
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
