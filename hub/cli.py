"""`voelgoed hub ...`: serve the hub, migrate its database, export an event package.

Registered by voelgoed/cli.py through `add_hub_command`. Heavy imports (Tortoise, uvicorn,
the embedded PostgreSQL) happen when a command runs, so `voelgoed --help` stays quick.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.settings import HubSettings

from hub.schemas import DEFAULT_TIMEZONE

DEFAULT_DATA = Path(".hub")


def _worker_count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError("a number of workers from 1 to 64")
    return int(value)


def secret_key(data_dir: Path) -> bytes:
    """VOELGOED_HUB_SECRET, else the key kept in DATA/secret_key (made on first use)."""
    configured = os.environ.get("VOELGOED_HUB_SECRET")
    if configured:
        if len(configured) < 16:
            raise ValueError("VOELGOED_HUB_SECRET must be at least 16 characters")
        return configured.encode()
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(32))
    return path.read_text().strip().encode()


def database_url(args: argparse.Namespace) -> str | None:
    return args.database_url or os.environ.get("DATABASE_URL") or None


def _serve(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    import uvicorn  # noqa: PLC0415

    from hub import database  # noqa: PLC0415
    from hub.app import create_app  # noqa: PLC0415
    from hub.errors import DatabaseUnavailable  # noqa: PLC0415
    from hub.settings import SETTINGS_ENV, HubSettings, settings_to_env  # noqa: PLC0415

    # Resolved (and the embedded server started) before serving, so that a database that
    # is not there is one clear line, not a traceback from inside the server's start-up.
    url = database.resolve_url(database_url(args), args.data)
    if not asyncio.run(database.server_answers(url)):
        raise DatabaseUnavailable(f"cannot reach PostgreSQL at {database.redacted(url)}")
    settings = HubSettings(
        data_dir=args.data,
        database_url=url,
        host=args.host,
        port=args.port,
        secret_key=secret_key(args.data),
        secure_cookies=args.secure_cookies,
        migrate_on_start=not args.no_migrate,
        public_url=args.public_url or os.environ.get("VOELGOED_HUB_URL") or None,
        smtp_url=args.smtp or os.environ.get("VOELGOED_SMTP_URL") or None,
        mail_from=args.mail_from or os.environ.get("VOELGOED_MAIL_FROM") or None,
        mail_retry_after=args.mail_retry_after,
    )
    workers = args.workers
    if workers > 1:
        # Worker processes are started by uvicorn from an import string, so each builds the
        # app from the settings passed in the environment; migrations run once, here.
        if settings.migrate_on_start:
            asyncio.run(database.migrate(url))
        os.environ[SETTINGS_ENV] = settings_to_env(
            dataclasses.replace(settings, migrate_on_start=False)
        )
        app: object = "hub.app:app_from_environment"
    else:
        app = create_app(settings)
    print(f"hub serving on http://{settings.host}:{settings.port}/ ({workers} worker(s))")
    print(_mail_line(settings))
    sys.stdout.flush()
    uvicorn.run(
        app,  # type: ignore[arg-type]
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http="httptools",
        log_level=args.log_level,
        proxy_headers=args.secure_cookies,
        factory=workers > 1,
        workers=workers if workers > 1 else None,
    )
    return 0


def _mail_line(settings: HubSettings) -> str:
    from hub.mail.config import OUTBOX_FOLDER, mail_settings  # noqa: PLC0415

    mail = mail_settings(settings)
    if mail.smtp is None:
        return (
            f"email: none is sent (no --smtp); messages are saved in {mail.outbox_dir}"
            f" and invitation links are shown to the admin ({OUTBOX_FOLDER}/)"
        )
    return f"email: through {mail.smtp.describe()}, from {mail.sender}"


def _outbox(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import datetime as dt  # noqa: PLC0415

    from hub import database  # noqa: PLC0415
    from hub.mail import outbox  # noqa: PLC0415

    async def run() -> outbox.QueueState:
        url = database.resolve_url(database_url(args), args.data)
        async with database.connected(url):
            if args.retry_failed:
                count = await outbox.retry_failed(dt.datetime.now(dt.UTC))
                print(f"queued {count} failed message(s) again")
            return await outbox.queue_state()

    state = asyncio.run(run())
    print(", ".join(f"{status.value} {count}" for status, count in state.counts.items()))
    for row in state.stuck:
        print(
            f"  #{row.id} {row.status.value} after {row.attempts} tries, to {row.to_address}:"
            f" {row.subject!r}: {row.last_error}"
        )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from hub import database  # noqa: PLC0415

    url = database.resolve_url(database_url(args), args.data)
    asyncio.run(database.migrate(url))
    print("the hub's database is up to date")
    return 0


def _export_event(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415

    from contract.event_package import write_package  # noqa: PLC0415
    from hub.export import export_event  # noqa: PLC0415

    url = database_url(args)
    package = asyncio.run(export_event(url, args.data, args.event))
    write_package(package, args.out)
    print(
        f"wrote {args.out}: {package.event.name!r}, {len(package.tickets)} tickets, "
        f"{len(package.keys)} keys"
    )
    return 0


def _create_org(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import getpass  # noqa: PLC0415

    from hub.provisioning import create_org  # noqa: PLC0415

    password = os.environ.get("VOELGOED_ADMIN_PASSWORD") or getpass.getpass("Admin password: ")
    done = asyncio.run(
        create_org(
            database_url(args),
            args.data,
            email=args.email,
            name=args.name,
            password=password,
            org_name=args.org_name,
            slug=args.slug,
            api_key_name=args.api_key,
            timezone=args.timezone,
        )
    )
    print(f"org {done.org_slug} with admin {done.email}")
    if done.api_key:
        print(f"API key (shown once): {done.api_key}")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    import asyncio  # noqa: PLC0415
    import datetime as dt  # noqa: PLC0415
    import json  # noqa: PLC0415

    from hub.demo_data import demo_device_tokens, sample_tickets, seed_demo  # noqa: PLC0415

    now = dt.datetime.now(dt.UTC)
    login = asyncio.run(seed_demo(database_url(args), args.data, now))
    state = "created" if login.created else "already there"
    print(f"demo org {login.org_slug} ({state}); sign in as {login.email} / {login.password}")
    if args.samples is not None:
        samples = asyncio.run(sample_tickets(database_url(args), args.data))
        args.samples.write_text(
            json.dumps([{"label": s.label, "expect": s.expect, "code": s.code} for s in samples])
        )
    if args.device_tokens:
        names = [name.strip() for name in args.device_tokens.split(",") if name.strip()]
        tokens = asyncio.run(demo_device_tokens(database_url(args), args.data, names, now))
        print(json.dumps({"enrolment_tokens": tokens}))
    return 0


def _add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help="the hub's data folder (embedded PostgreSQL, secret key); default .hub",
    )
    parser.add_argument(
        "--database-url",
        help="PostgreSQL to use (default: $DATABASE_URL, else an embedded one in DATA)",
    )


def add_hub_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `voelgoed hub` and its subcommands."""
    hub = commands.add_parser("hub", help="run and manage the cloud hub")
    hub_commands = hub.add_subparsers(dest="hub_command", required=True, metavar="COMMAND")

    serve = hub_commands.add_parser("serve", help="serve the organiser app and the JSON API")
    _add_database_options(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    serve.add_argument("--port", type=int, default=8800, help="port (default 8800)")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    serve.add_argument(
        "--secure-cookies",
        action="store_true",
        help="behind HTTPS (a TLS proxy): mark cookies Secure and trust X-Forwarded headers",
    )
    serve.add_argument(
        "--no-migrate",
        action="store_true",
        help="do not apply pending migrations at start-up (run `voelgoed hub migrate` instead)",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the hub's address as people reach it, for links in emails"
        " (default $VOELGOED_HUB_URL, else http://HOST:PORT)",
    )
    serve.add_argument(
        "--smtp",
        metavar="URL",
        help="send email through this server: smtp://host:port,"
        " smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
        " (default $VOELGOED_SMTP_URL; without one, emails are saved in DATA/outbox)",
    )
    serve.add_argument(
        "--mail-from",
        metavar="ADDRESS",
        help="the sender's address (default $VOELGOED_MAIL_FROM, else noreply@ the public host)",
    )
    serve.add_argument(
        "--mail-retry-after",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="wait before the first retry of an undelivered email, doubling each time"
        " up to an hour; given up after a day (default 30)",
    )
    serve.add_argument(
        "--workers",
        type=_worker_count,
        default=1,
        help="hub worker processes sharing the port (default 1); every worker serves any"
        " request, since all state is in PostgreSQL",
    )
    serve.set_defaults(run=_serve)

    migrate = hub_commands.add_parser("migrate", help="apply the database migrations")
    _add_database_options(migrate)
    migrate.set_defaults(run=_migrate)

    org = hub_commands.add_parser(
        "create-org",
        help="create an organisation and its first admin (password from"
        " $VOELGOED_ADMIN_PASSWORD or asked for)",
    )
    _add_database_options(org)
    org.add_argument("--email", required=True, help="the admin's email (their sign-in)")
    org.add_argument("--name", required=True, help="the admin's name")
    org.add_argument("--org-name", required=True, help="the organisation's name")
    org.add_argument("--slug", required=True, help="the organisation's address in the app")
    org.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        help="the organisation's timezone, a tz database name"
        f" (default {DEFAULT_TIMEZONE}); new venues and events start in it",
    )
    org.add_argument("--api-key", metavar="NAME", help="also make an admin API key with this name")
    org.set_defaults(run=_create_org)

    seed = hub_commands.add_parser(
        "seed-demo", help="create the demo organisation, venue and seated event (once)"
    )
    _add_database_options(seed)
    seed.add_argument(
        "--samples", type=Path, metavar="FILE", help="write the demo's tickets to try (JSON)"
    )
    seed.add_argument(
        "--device-tokens",
        metavar="GATES",
        help="add (or re-key) the demo's gate devices with these names, comma-separated, and"
        " print a one-time enrolment token for each (JSON)",
    )
    seed.set_defaults(run=_seed_demo)

    mail = hub_commands.add_parser(
        "outbox", help="show the email queue: counts, failed messages and those being retried"
    )
    _add_database_options(mail)
    mail.add_argument(
        "--retry-failed",
        action="store_true",
        help="queue every failed message again (once the cause is fixed)",
    )
    mail.set_defaults(run=_outbox)

    export = hub_commands.add_parser(
        "export-event", help="write the event package a gate loads (public keys only)"
    )
    _add_database_options(export)
    export.add_argument("event", help="the event's id")
    export.add_argument("--out", type=Path, required=True, help="package file to write")
    export.set_defaults(run=_export_event)
