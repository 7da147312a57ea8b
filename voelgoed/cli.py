"""The `voelgoed` command: a thin layer over the gate, the event package and the demo."""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, get_args

from contract.errors import ContractError
from contract.event_package import DoorPolicy
from gate_node.errors import GateError

if TYPE_CHECKING:
    from gate_node.tls import TlsFiles
from hardware.cli import add_camera_command
from hub.cli import add_hub_command
from hub.errors import HubError

DOOR_POLICY_CHOICES = get_args(DoorPolicy)


def _gate_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from gate_node.app import create_app
    from gate_node.enrolment import read_identity
    from gate_node.gate_report import record_serving
    from gate_node.settings import GateSettings

    identity = read_identity(args.data)
    settings = GateSettings(
        data_dir=args.data,
        # An enrolled gate is the gate the hub named, unless told otherwise.
        gate_name=args.gate_name or (identity.gate if identity is not None else "gate-1"),
        host=args.host,
        port=args.port,
        event_package=args.event_package,
        trust_loopback=not args.require_sign_in,
        venue_secret=_venue_secret(args.venue_secret_file),
        peers=tuple(args.peer),
        venue_name=args.venue,
        mdns_interfaces=tuple(args.mdns_interface),
        tls=bool(args.tls or args.tls_cert),
        clock_offset_s=float(os.environ.get("VOELGOED_CLOCK_OFFSET_S", "0")),
        trusted_proxies=tuple(args.trusted_proxy),
    )
    tls = _tls_files(args)
    app = create_app(settings)
    scheme = "https" if tls else "http"
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    record_serving(settings.data_dir, f"{scheme}://{shown_host}:{settings.port}")
    print(f"gate {settings.gate_name} serving on {scheme}://{settings.host}:{settings.port}/")
    if tls is not None:
        print(f"TLS certificate {tls.cert} (phones accept it once)")
    sys.stdout.flush()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level=args.log_level,
        ssl_certfile=None if tls is None else str(tls.cert),
        ssl_keyfile=None if tls is None else str(tls.key),
        # uvicorn's default believes X-Forwarded-For from loopback, so any local process could
        # pick the address the PIN throttle counts: only a proxy the tech names is believed.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
    )
    return 0


def _proxy_address(value: str) -> str:
    """An address or network (CIDR) of a proxy whose X-Forwarded-For is believed."""
    try:
        if "/" in value:
            ipaddress.ip_network(value, strict=False)
        else:
            ipaddress.ip_address(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an IP address or network (e.g. 127.0.0.1 or 10.0.0.0/24);"
            " a proxy is trusted by address, never all of them (*)"
        ) from None
    return value


def _venue_secret(path: Path | None) -> bytes | None:
    if path is None:
        return None
    try:
        secret = path.read_bytes().strip()
    except OSError as exc:
        raise ValueError(f"cannot read the venue secret {path}: {exc.strerror}") from None
    if len(secret) < 16:
        raise ValueError(f"the venue secret in {path} is too short (at least 16 bytes)")
    return secret


def _tls_files(args: argparse.Namespace) -> TlsFiles | None:
    import socket

    from gate_node.tls import TlsFiles, self_signed

    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise ValueError("--tls-cert and --tls-key go together")
        return TlsFiles(args.tls_cert, args.tls_key)
    if not args.tls:
        return None
    names = [socket.gethostname(), "localhost", "127.0.0.1", *args.tls_name]
    if args.host not in ("0.0.0.0", "::", *names):
        names.append(args.host)
    return self_signed(args.data / "tls", names, dt.datetime.now(dt.UTC))


def _gate_load(args: argparse.Namespace) -> int:
    from contract.event_package import read_package
    from gate_node import replica, venue

    package = read_package(args.package)
    with venue.opened_for_writing(args.data) as conn:
        replica.load_package(conn, package)
    print(
        f"loaded {package.event.name!r}: {len(package.tickets)} tickets, "
        f"{len(package.revocations)} revoked, {len(package.keys)} keys, into {args.data}"
    )
    return 0


def _staff_add(args: argparse.Namespace) -> int:
    import getpass

    from gate_node import staff_store, venue

    pin = args.pin or getpass.getpass("PIN (4-12 digits): ")
    # The audit entry replicates: sync/ is attached on a gate of a venue.
    with venue.opened_for_writing(args.data) as conn:
        member = staff_store.add_staff(
            conn, name=args.name, role=args.role, pin=pin, now=dt.datetime.now(dt.UTC)
        )
    print(f"added {member.name} ({member.role}), id {member.id}")
    return 0


def _staff_list(args: argparse.Namespace) -> int:
    from gate_node import replica, staff_store

    conn = replica.open_replica(args.data)
    try:
        for member, active in staff_store.list_staff(conn):
            state = "active" if active else "disabled"
            print(f"{member.id}  {member.role:<10}  {state:<8}  {member.name}")
    finally:
        conn.close()
    return 0


def _staff_disable(args: argparse.Namespace) -> int:
    from gate_node import staff_store, venue

    with venue.opened_for_writing(args.data) as conn:
        member = staff_store.disable_staff(conn, args.who, dt.datetime.now(dt.UTC))
    print(f"disabled {member.name}")
    return 0


def _package_demo(args: argparse.Namespace) -> int:
    from voelgoed.demo_event import build_demo_event, write_demo_event

    now = dt.datetime.now(dt.UTC)
    demo = build_demo_event(
        args.tickets,
        now=now,
        seed=args.seed,
        starts_at=now + dt.timedelta(hours=args.starts_in),
        door_policy=args.door_policy,
    )
    csv_path = write_demo_event(demo, args.out)
    print(f"wrote {args.out} ({len(demo.tickets)} tickets) and {csv_path}")
    return 0


def _package_inspect(args: argparse.Namespace) -> int:
    from contract.event_package import read_package

    package = read_package(args.package)
    e = package.event
    print(f"event       {e.name} ({e.id})")
    print(f"venue       {e.venue or '-'}  timezone {e.timezone}")
    print(f"window      {e.starts_at or '-'} .. {e.ends_at or '-'}")
    print(f"doors       open {e.door_opens_minutes} min before; outside: {e.door_policy}")
    print(f"keys        {', '.join(str(k.key_id) for k in package.keys)}")
    for t in package.ticket_types:
        gates = "all gates" if t.gates is None else "gates " + ", ".join(t.gates)
        print(f"type        {t.name}: {t.entry_mode} entry, {gates}")
    print(f"rules       {len(package.gate_rules)}")
    print(f"tickets     {len(package.tickets)}")
    print(f"revoked     {len(package.revocations)}")
    print(f"blocked     {len(package.blocks)}")
    return 0


def _gate_enrol(args: argparse.Namespace) -> int:
    from gate_node.enrolment import EnrolmentError, enrol

    try:
        done = enrol(args.hub, args.token, args.data, force=args.force)
    except EnrolmentError as exc:
        print(f"voelgoed: {exc}", file=sys.stderr)
        return exc.exit_code
    identity = done.identity
    events = ", ".join(e.name for e in identity.events) or "no event yet"
    print(
        f"enrolled {args.data} as {identity.device_name} ({identity.device_id}) at"
        f" {identity.hub_url}: gate {identity.gate} of {identity.venue} ({identity.org}),"
        f" serving {events}"
    )
    print(f"start it with: voelgoed gate serve --data {args.data}")
    return 0


def _status(args: argparse.Namespace) -> int:
    from gate_node.gate_report import gather_status, render_status

    if not args.data.is_dir():
        raise ValueError(f"{args.data} is not a gate's data folder (it does not exist)")
    print(render_status(gather_status(args.data, args.url)))
    return 0


def _doctor(args: argparse.Namespace) -> int:
    import time

    from voelgoed.doctor import DoctorOptions, render_checks, run_checks

    options = DoctorOptions(
        data_dir=args.data,
        url=args.url,
        camera=args.camera,
        decoder=args.decoder,
        offline=args.offline,
        expect_peers=args.expect_peers,
    )
    checks = run_checks(options, now_ms=lambda: int(time.time() * 1000))
    print(render_checks(checks))
    failed = sum(1 for c in checks if c.outcome == "FAIL")
    print(f"{failed} check(s) failed" if failed else "all checks passed")
    return 1 if failed else 0


def _add_tech_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    gate_commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    enrol = gate_commands.add_parser(
        "enrol", help="enrol this gate at its hub with a one-time token from the organiser app"
    )
    enrol.add_argument("--hub", required=True, help="the hub's address, e.g. https://hub.example")
    enrol.add_argument("--token", required=True, help="the enrolment token (vgt1....)")
    enrol.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    enrol.add_argument(
        "--force",
        action="store_true",
        help="enrol a data folder again (after a re-key at the hub): the replica is kept,"
        " the device key replaced",
    )
    enrol.set_defaults(run=_gate_enrol)

    status = commands.add_parser(
        "status", help="one screen on a gate: event, tickets, scans, peers, hub, backlog"
    )
    status.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    status.add_argument(
        "--url", help="the running gate's address (default: where the data folder says)"
    )
    status.set_defaults(run=_status)

    doctor = commands.add_parser(
        "doctor", help="check a gate (camera, decoder, clocks, disk, replica, peers, hub)"
    )
    doctor.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    doctor.add_argument(
        "--url", help="the running gate's address (default: where the data folder says)"
    )
    doctor.add_argument("--camera", default="/dev/video0", help="camera device to check")
    doctor.add_argument("--decoder", default="zxing", help="QR decoder to check (default zxing)")
    doctor.add_argument(
        "--offline", action="store_true", help="an offline venue's gate: no enrolment or hub"
    )
    doctor.add_argument(
        "--expect-peers",
        type=int,
        default=0,
        metavar="N",
        help="fail unless at least N of the venue's other gates are reachable",
    )
    doctor.set_defaults(run=_doctor)


def _demo(args: argparse.Namespace) -> int:
    from voelgoed.demo import run_demo

    return run_demo(args.data, host=args.host, port=args.port)


def _add_serve_command(gate_commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = gate_commands.add_parser("serve", help="serve the scan API over the gate's replica")
    serve.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    serve.add_argument("--event-package", type=Path, help="load this event package first")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8700, help="port (default 8700)")
    serve.add_argument(
        "--gate-name",
        help="this gate's name (default: the gate it was enrolled for, else gate-1)",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.add_argument(
        "--require-sign-in",
        action="store_true",
        help="no anonymous kiosk: this machine's browser and camera loop need a staff session"
        " too to scan or read the live feed, alerts and dashboard (default: only other devices)",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        type=_proxy_address,
        metavar="ADDR",
        help="a reverse proxy in front of the gate (IP address or network, repeatable): only"
        " its X-Forwarded-For names the client (for the PIN throttle and the kiosk rule);"
        " without it the header is ignored",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with the gate's self-signed certificate (phones need HTTPS for the"
        " camera), made in DATA/tls on first use",
    )
    serve.add_argument(
        "--tls-name",
        action="append",
        default=[],
        help="another host name or LAN address the certificate must cover (repeatable)",
    )
    serve.add_argument("--tls-cert", type=Path, help="serve HTTPS with this certificate (PEM)")
    serve.add_argument("--tls-key", type=Path, help="the certificate's private key (PEM)")
    serve.add_argument(
        "--venue-secret-file",
        type=Path,
        help="replicate with the venue's other gates, authenticated with this shared secret",
    )
    serve.add_argument(
        "--peer",
        action="append",
        default=[],
        help="URL of another gate of the venue to replicate with (repeatable)",
    )
    serve.add_argument("--venue", default="venue", help="the venue's name, as gates announce it")
    serve.add_argument(
        "--mdns-interface",
        action="append",
        default=[],
        help="find the venue's other gates by mDNS on this address (repeatable; 127.0.0.1 for"
        " gates on one machine, the LAN address on a Pi)",
    )
    serve.set_defaults(run=_gate_serve)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface, with help text on every command."""
    parser = argparse.ArgumentParser(
        prog="voelgoed", description="Voelgoed: edge-first ticket scanning."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    gate = commands.add_parser("gate", help="run and manage a gate node")
    gate_commands = gate.add_subparsers(dest="gate_command", required=True, metavar="COMMAND")
    _add_serve_command(gate_commands)
    load = gate_commands.add_parser("load-package", help="load an event package into a replica")
    load.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    load.add_argument("package", type=Path, help="the event package file")
    load.set_defaults(run=_gate_load)

    staff = gate_commands.add_parser("staff", help="manage door staff and their PINs")
    staff_commands = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    add = staff_commands.add_parser("add", help="add a steward or supervisor")
    add.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    add.add_argument("--name", required=True, help="the name staff see and audits show")
    add.add_argument("--role", choices=["steward", "supervisor"], default="steward")
    add.add_argument("--pin", help="4-12 digits, unique per venue (asked for when omitted)")
    add.set_defaults(run=_staff_add)
    listing = staff_commands.add_parser("list", help="list door staff")
    listing.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    listing.set_defaults(run=_staff_list)
    disable = staff_commands.add_parser("disable", help="disable a member of staff")
    disable.add_argument("--data", type=Path, required=True, help="the gate's data folder")
    disable.add_argument("who", help="their id, or their name if unique")
    disable.set_defaults(run=_staff_disable)
    add_camera_command(gate_commands)
    _add_tech_commands(commands, gate_commands)

    add_hub_command(commands)

    package = commands.add_parser("event-package", help="create or inspect event packages")
    package_commands = package.add_subparsers(
        dest="package_command", required=True, metavar="COMMAND"
    )
    demo_pkg = package_commands.add_parser(
        "demo", help="create a demo event package and a CSV of its tickets' QR texts"
    )
    demo_pkg.add_argument("--tickets", type=int, default=200, help="how many tickets")
    demo_pkg.add_argument("--out", type=Path, required=True, help="package file to write")
    demo_pkg.add_argument("--seed", type=int, default=7, help="seed for ids and names")
    demo_pkg.add_argument(
        "--starts-in",
        type=float,
        default=-1.0,
        metavar="HOURS",
        help="the event starts this many hours from now (default -1: an hour ago); it lasts"
        " two days and doors open two hours before it starts",
    )
    demo_pkg.add_argument(
        "--door-policy",
        choices=DOOR_POLICY_CHOICES,
        default="warn",
        help="outside the door window gates warn (default), reject, or do not check (off)",
    )
    demo_pkg.set_defaults(run=_package_demo)
    inspect = package_commands.add_parser("inspect", help="summarise an event package")
    inspect.add_argument("package", type=Path, help="the event package file")
    inspect.set_defaults(run=_package_inspect)

    demo = commands.add_parser(
        "demo",
        help="run the demo: the hub and three gates enrolled at it, with ready-to-scan codes",
    )
    demo.add_argument("--data", type=Path, default=Path(".demo"), help="demo data folder")
    demo.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    demo.add_argument("--port", type=int, default=8700, help="gate-1's port (default 8700)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `voelgoed` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (ContractError, GateError, HubError) as exc:
        print(f"voelgoed: error [{exc.code}]: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"voelgoed: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
