"""Sign-up by email on a hub that sends email: it never says whether an address is taken.

`request_account` answers the same for every address and sends one email either way: to a
new address, a one-time link to the form that makes the account; to an address with an
account, a note that it has one (and how to sign in). The work done is the same too: a
request row is stored for both, though only a new address is sent its token.

A hub without email cannot confirm an address, so there sign-up stays immediate (and, like
any immediate sign-up, says when an email is taken): see docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

from tortoise.transactions import in_transaction

from hub import credentials
from hub.errors import LinkUnusable, TooManyRequests, ValidationFailed
from hub.mail import letters, outbox
from hub.mail.compose import Letter, address_problem, compose
from hub.mail.config import Mailing
from hub.models import OutboxMessage, SignupRequest, User
from hub.schemas import is_email
from hub.services import accounts

LINK_HOURS: Final = 24
# Anyone may ask, with no account: an address gets at most a few of these emails an hour,
# and the hub a bounded number, so sign-up cannot be used to flood mailboxes.
PER_ADDRESS_HOURLY: Final = 3
HUB_HOURLY: Final = 500
KINDS: Final = ("signup", "signup_taken")


def link(base_url: str, token: str) -> str:
    return f"{base_url}/signup/confirm/{token}"


async def request_account(email: str, now: dt.datetime, mailing: Mailing) -> str:
    """Email `email` a way in (a link to finish signing up, or a note that it has an
    account); the normalised address. The same answer whatever the address."""
    email = accounts.normalise_email(email)
    if not is_email(email):
        raise ValidationFailed("enter an email address like name@example.org")
    problem = address_problem(email)
    if problem:
        raise ValidationFailed(problem)
    hour_ago = now - dt.timedelta(hours=1)
    sent = OutboxMessage.filter(kind__in=KINDS, created_at__gt=hour_ago)
    if await sent.filter(to_address=email).count() >= PER_ADDRESS_HOURLY:
        raise TooManyRequests(
            f"{PER_ADDRESS_HOURLY} sign-up emails went to {email} in the last hour: check your"
            " inbox (and spam folder), or wait an hour"
        )
    if await sent.count() >= HUB_HOURLY:
        raise TooManyRequests("too many sign-ups right now: try again in an hour")
    token = credentials.new_token()
    async with in_transaction():
        await SignupRequest.create(
            email=email,
            token_hash=credentials.token_hash(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=LINK_HOURS),
        )
        taken = await User.filter(email=email).exists()
        if taken:
            text, html = letters.render("signup_taken", signin=f"{mailing.base_url}/signin")
        else:
            text, html = letters.render(
                "signup",
                link=link(mailing.base_url, token),
                expires_at=now + dt.timedelta(hours=LINK_HOURS),
            )
        letter = Letter(
            to=email, subject="Your Voelgoed account", text=text, html=html, sender_name="Voelgoed"
        )
        await outbox.enqueue(
            compose(letter, mailing.sender, now),
            kind=KINDS[1] if taken else KINDS[0],
            sender=mailing.sender,
            now=now,
            org_id=None,
        )
    return email


async def requested(token: str, now: dt.datetime) -> str:
    """The address of a usable sign-up link; LinkUnusable (one sentence) otherwise."""
    row = await SignupRequest.get_or_none(token_hash=credentials.token_hash(token))
    _check_usable(row, now)
    assert row is not None
    return row.email


def _check_usable(row: SignupRequest | None, now: dt.datetime) -> None:
    if row is None:
        raise LinkUnusable(
            "This sign-up link is not valid: open the link of the latest email, or sign up again.",
            "unknown",
        )
    if row.used_at is not None:
        raise LinkUnusable(
            "This sign-up link has already been used: sign in with the account it made.", "used"
        )
    if row.expires_at <= now:
        raise LinkUnusable(
            f"This sign-up link expired on {letters.moment(row.expires_at)}: sign up again for"
            " a new one.",
            "expired",
        )


async def finish(token: str, name: str, password: str, timezone: str, now: dt.datetime) -> User:
    """The account of a confirmed sign-up, made with `name` and `password`."""
    async with in_transaction():
        row = (
            await SignupRequest.filter(token_hash=credentials.token_hash(token))
            .select_for_update()
            .first()
        )
        _check_usable(row, now)
        assert row is not None
        user = await accounts.sign_up(row.email, name, password, timezone)
        row.used_at = now
        await row.save()
    return user
