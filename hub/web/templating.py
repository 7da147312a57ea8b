"""The Jinja2 environment of the organiser pages: autoescaped, strict, with the hub's filters."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jinja2
from starlette.templating import Jinja2Templates

from hub.local_time import input_value, shown
from hub.roles import ROLE_LABELS, Action, Role
from hub.schemas import DEFAULT_TIMEZONE, known_timezones

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Messages a redirect may ask the next page to show (`?n=code`): fixed texts, so a link
# cannot make the hub display words of someone else's choosing.
NOTICES = {
    "saved": "Saved.",
    "created": "Created.",
    "deleted": "Deleted.",
    "published": "The event is published.",
    "ended": "The event has ended.",
    "cancelled": "The event is cancelled.",
    "rotated": "A new signing key is active: export a fresh package for the gates.",
    "issued": "Tickets issued.",
    "added": "Added.",
    "removed": "Removed.",
    "revoked": "Revoked.",
    "blocked": "Blocked: gates refuse the ticket once they load the next event package.",
    "restored": "The ticket is valid again.",
    "signed-out": "You are signed out.",
    "invited": "Invitation made: the email is on its way (its delivery shows under Invitations).",
    "resent": "Invitation emailed again, with a new link: the earlier link no longer works.",
    "withdrawn": "Invitation withdrawn: its link no longer works.",
    "joined": "Welcome: you are now a member of this organisation.",
}


def money(cents: int | None, currency: str = "") -> str:
    """Cents as an amount: 35000 -> "ZAR 350.00"."""
    if cents is None:
        return ""
    text = f"{cents // 100:,}.{cents % 100:02d}".replace(",", "\u202f")
    return f"{currency} {text}".strip()


def plain_amount(cents: int | None) -> str:
    """Cents as a form value: 35000 -> "350.00"."""
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def options(rows: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, name) pairs of rows for a select."""
    return [(str(r.id), str(r.name)) for r in rows]


def make_templates() -> Jinja2Templates:
    """The page templates. Undefined names fail loudly: a typo is a test failure, not a
    silently empty field."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Every moment a page prints goes through `local` (tests/unit/hub/test_templates.py
    # checks): an event or venue as its argument shows it in their zone, an org in its
    # default zone; form values of datetime-local inputs go through `local_input`.
    env.filters.update(money=money, plain_amount=plain_amount, local=shown, local_input=input_value)
    env.globals.update(
        options=options,
        role_options=[(r.value, ROLE_LABELS[r]) for r in Role],
        A=Action,
        Role=Role,
        ROLE_LABELS=ROLE_LABELS,
        roles=list(Role),
        TIMEZONES=sorted(known_timezones()),
        DEFAULT_TIMEZONE=DEFAULT_TIMEZONE,
    )
    return Jinja2Templates(env=env)
