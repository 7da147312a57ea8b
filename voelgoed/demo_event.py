"""A demo event with real signed tickets, for demos, tests and benchmarks.

What the hub will export for real events, generated locally: two signing keys (tickets are
signed with both, as after a key rotation), four ticket types (single entry, a multi-entry
pass with a daily rule, a gate-restricted VIP type, a seated type), N tickets, a few revoked
and one blocked. The signing keys stay in memory; only public keys go into the package.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

from contract.event_package import (
    DEFAULT_DOOR_OPENS_MINUTES,
    FORMAT,
    VERSION,
    Block,
    DoorPolicy,
    EventInfo,
    EventPackage,
    GateRule,
    PublicKey,
    Revocation,
    Ticket,
    TicketType,
    write_package,
)
from contract.ticket_token import SigningKey, TicketClaims, sign_token

FIRST_NAMES = (
    "Anri",
    "Thandi",
    "Pieter",
    "Lerato",
    "Johan",
    "Naledi",
    "Ruan",
    "Zanele",
    "Marike",
    "Sipho",
    "Elsa",
    "Kagiso",
    "Annelie",
    "Bongani",
    "Lize",
    "Themba",
    "Karin",
    "Mpho",
)
LAST_NAMES = (
    "van der Merwe",
    "Dlamini",
    "Botha",
    "Nkosi",
    "Pretorius",
    "Mokoena",
    "du Plessis",
    "Khumalo",
    "Venter",
    "Ndlovu",
    "Steyn",
    "Mahlangu",
    "Fourie",
    "Zulu",
)
CSV_COLUMNS = ("ticket_id", "ticket_type", "holder", "seat", "state", "qr")


@dataclass(frozen=True)
class DemoTicket:
    """One generated ticket and the text its QR code carries."""

    ticket_id: uuid.UUID
    ticket_type: str
    holder: str
    seat: str
    state: str  # valid, revoked or blocked
    qr: str


@dataclass(frozen=True)
class DemoEvent:
    package: EventPackage
    tickets: list[DemoTicket]
    signing_keys: list[SigningKey]


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


DEMO_LENGTH = dt.timedelta(days=2)


def build_demo_event(
    n_tickets: int,
    *,
    now: dt.datetime,
    seed: int = 7,
    starts_at: dt.datetime | None = None,
    door_policy: DoorPolicy = "warn",
) -> DemoEvent:
    """Generate the demo event deterministically from `seed` (keys excepted: they are random).

    It starts at `starts_at` (an hour before `now` unless given) and lasts two days; doors
    open two hours before it starts, and `door_policy` says what gates do outside that.
    """
    if n_tickets < 0:
        raise ValueError("the number of tickets cannot be negative")
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    keys = [SigningKey.generate(1), SigningKey.generate(2)]
    starts = now - dt.timedelta(hours=1) if starts_at is None else starts_at
    ends = starts + DEMO_LENGTH
    event = EventInfo(
        id=new_id(),
        name="Voelgoed Demo Night",
        venue="Die Voelhuis, Stellenbosch",
        starts_at=_time(starts),
        ends_at=_time(ends),
        timezone="Africa/Johannesburg",
        door_opens_minutes=DEFAULT_DOOR_OPENS_MINUTES,
        door_policy=door_policy,
    )
    general = TicketType(id=new_id(), name="General admission")
    weekend = TicketType(id=new_id(), name="Weekend pass", entry_mode="multi")
    vip = TicketType(id=new_id(), name="VIP", gates=["vip"])
    seated = TicketType(id=new_id(), name="Seated", shows_holder=False)
    types = [general, weekend, vip, seated]
    weights = [70, 15, 5, 10]
    rules = [
        GateRule(
            id=new_id(),
            ticket_type_id=weekend.id,
            rule={"<": [{"var": "entries_today"}, 3]},
            description="Weekend passes allow at most 3 entries a day.",
        )
    ]
    # Weekend passes carry their own validity window in the token: the event's two days,
    # from an hour before doors open for everyone (early entry for pass holders).
    opens = starts - dt.timedelta(minutes=DEFAULT_DOOR_OPENS_MINUTES)
    window = (opens - dt.timedelta(hours=1), ends)

    n_revoked = min(100, max(2, n_tickets // 100)) if n_tickets >= 10 else 0
    n_blocked = 1 if n_tickets >= 10 else 0
    tickets: list[Ticket] = []
    demo: list[DemoTicket] = []
    revocations: list[Revocation] = []
    blocks: list[Block] = []
    for i in range(n_tickets):
        ticket_type = rng.choices(types, weights)[0]
        key = keys[i % 2]
        holder = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        seat = ""
        if ticket_type is seated:
            seat = f"Row {chr(ord('A') + rng.randrange(20))}, seat {rng.randrange(1, 41)}"
        ticket_id = new_id()
        bounds = window if ticket_type is weekend else (None, None)
        claims = TicketClaims(
            event_id=event.id,
            ticket_id=ticket_id,
            ticket_type_id=ticket_type.id,
            key_id=key.key_id,
            valid_from=bounds[0],
            valid_until=bounds[1],
        )
        state = "valid"
        if i >= n_tickets - n_revoked - n_blocked:
            state = "revoked" if i < n_tickets - n_blocked else "blocked"
        if state == "revoked":
            revocations.append(Revocation(ticket_id, "refunded", _time(now)))
        elif state == "blocked":
            blocks.append(Block(ticket_id, "reported stolen", _time(now)))
        tickets.append(Ticket(ticket_id, ticket_type.id, holder, seat or None))
        demo.append(
            DemoTicket(ticket_id, ticket_type.name, holder, seat, state, sign_token(claims, key))
        )
    package = EventPackage(
        format=FORMAT,
        version=VERSION,
        created_at=_time(now),
        event=event,
        keys=[PublicKey(k.key_id, k.public_key) for k in keys],
        ticket_types=types,
        gate_rules=rules,
        tickets=tickets,
        revocations=revocations,
        blocks=blocks,
    )
    return DemoEvent(package, demo, keys)


def tickets_csv_path(package_path: Path) -> Path:
    """Where the ticket list is written beside a package: same name, `.csv`."""
    return package_path.with_suffix(".csv")


def write_demo_event(demo: DemoEvent, package_path: Path) -> Path:
    """Write the package and, beside it, the CSV of tickets and their QR texts."""
    package_path.parent.mkdir(parents=True, exist_ok=True)
    write_package(demo.package, package_path)
    csv_path = tickets_csv_path(package_path)
    with csv_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for t in demo.tickets:
            writer.writerow((str(t.ticket_id), t.ticket_type, t.holder, t.seat, t.state, t.qr))
    return csv_path


def read_tickets_csv(path: Path) -> list[DemoTicket]:
    """Read a ticket list written by `write_demo_event`."""
    with path.open(newline="", encoding="utf-8") as f:
        return [
            DemoTicket(
                uuid.UUID(row["ticket_id"]),
                row["ticket_type"],
                row["holder"],
                row["seat"],
                row["state"],
                row["qr"],
            )
            for row in csv.DictReader(f)
        ]


def foreign_code(event_id: uuid.UUID, ticket_type_id: uuid.UUID, seed: int = 99) -> str:
    """A well-formed token for `event_id` signed by a key no event knows.

    For this event's id it is a forgery; for any other id, a ticket of a different event.
    """
    rng = random.Random(seed)
    rogue = SigningKey(1, rng.randbytes(32))
    claims = TicketClaims(
        event_id=event_id,
        ticket_id=uuid.UUID(int=rng.getrandbits(128), version=4),
        ticket_type_id=ticket_type_id,
        key_id=1,
    )
    return sign_token(claims, rogue)
