"""Inviting people to an organisation by email, and accepting through the emailed link.

Inviting never looks at whether the address has an account: the answer, the email and the
audit entry are the same for a stranger, a user of other organisations and a user of none.
Only a current member is refused, with a 409, since the admin sees the member list anyway.

The link carries a random token; the invitation keeps only its SHA-256 (like sessions and
API keys). Accepting takes the invitation's row lock and sets `accepted_at` in the same
transaction as the membership, so a link works once even when opened twice at once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub import credentials
from hub.errors import Conflict, Forbidden, LinkUnusable, TooManyRequests, ValidationFailed
from hub.mail import letters, outbox
from hub.mail.compose import Letter, address_problem, compose
from hub.mail.config import Mailing
from hub.models import Invitation, MailStatus, Membership, Org, OutboxMessage, User
from hub.roles import ROLE_LABELS, Action, Role
from hub.schemas import (
    DeliveryOut,
    DeliveryStatus,
    InvitationCreated,
    InvitationIn,
    InvitationOut,
    InvitationStatus,
)
from hub.services import accounts, audit
from hub.tenancy import Principal, get_owned, require, scoped

# A few emails per address an hour, and a day's sending per organisation: anyone can make
# an organisation, so the hub must not become a way to flood an address.
PER_ADDRESS_HOURLY = 3
DAILY_INVITATIONS = 200
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def link(base_url: str, token: str) -> str:
    return f"{base_url}/invite/{token}"


def _delivery(row: OutboxMessage | None) -> DeliveryOut | None:
    if row is None:
        return None
    statuses: dict[MailStatus, DeliveryStatus] = {
        MailStatus.QUEUED: "retrying" if row.attempts > 0 else "queued",
        MailStatus.SENT: "sent",
        MailStatus.SAVED: "saved",
        MailStatus.FAILED: "failed",
        MailStatus.CANCELLED: "cancelled",
    }
    return DeliveryOut(statuses[row.status], row.attempts, row.last_error, row.sent_at)


def _status(row: Invitation, now: dt.datetime) -> InvitationStatus:
    if row.accepted_at is not None:
        return "accepted"
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if row.expires_at <= now else "pending"


async def _out(row: Invitation, now: dt.datetime) -> InvitationOut:
    mail = None if row.mail_id is None else await OutboxMessage.get_or_none(id=row.mail_id)
    return _shown(row, mail, now)


def _shown(row: Invitation, mail: OutboxMessage | None, now: dt.datetime) -> InvitationOut:
    return InvitationOut(
        id=row.id,
        email=row.email,
        role=Role(row.role),
        status=_status(row, now),
        invited_by=row.invited_by,
        created_at=row.created_at,
        sent_at=row.sent_at,
        expires_at=row.expires_at,
        delivery=_delivery(mail),
    )


async def pending(principal: Principal, now: dt.datetime) -> list[InvitationOut]:
    """Invitations not accepted or revoked (expired ones too: they can be sent again)."""
    require(principal, Action.MEMBERS_READ)
    rows = await scoped(
        Invitation, principal, accepted_at__isnull=True, revoked_at__isnull=True
    ).order_by("-sent_at")
    mail_ids = [r.mail_id for r in rows if r.mail_id is not None]
    mails = {m.id: m for m in await OutboxMessage.filter(id__in=mail_ids)} if mail_ids else {}
    return [_shown(r, mails.get(r.mail_id) if r.mail_id else None, now) for r in rows]


async def invite(
    principal: Principal, data: InvitationIn, now: dt.datetime, mailing: Mailing
) -> InvitationCreated:
    """Invite `data.email` with `data.role`: the same answer whether or not the address has
    an account. Inviting an address already invited sends it again with the new role."""
    require(principal, Action.MEMBERS_MANAGE)
    email = accounts.normalise_email(data.email)
    problem = address_problem(email)
    if problem:
        raise ValidationFailed(problem)
    if await scoped(Membership, principal, user__email=email).exists():
        raise Conflict(f"{email} is already a member")
    async with in_transaction():
        org = await _locked_org(principal)
        row = (
            await scoped(Invitation, principal, email=email, accepted_at__isnull=True)
            .filter(revoked_at__isnull=True)
            .order_by("-sent_at")
            .first()
        )
        action = "invitation.created"
        if row is None:
            row = Invitation(
                org_id=principal.org_id,
                email=email,
                created_at=now,
                invited_by=principal.display[:300],
            )
        else:
            action = "invitation.resent"
        row.role = data.role
        token = await _send(principal, org, row, now, mailing)
        await audit.record(principal, action, email, now, role=data.role.value)
    return InvitationCreated(await _out(row, now), _handed_link(mailing, token))


async def resend(
    principal: Principal, invitation_id: object, now: dt.datetime, mailing: Mailing
) -> InvitationCreated:
    """A new link (the old one stops working) and a fresh expiry, emailed again."""
    require(principal, Action.MEMBERS_MANAGE)
    async with in_transaction():
        org = await _locked_org(principal)
        row = await get_owned(Invitation, principal, invitation_id)
        if row.accepted_at is not None or row.revoked_at is not None:
            raise Conflict(f"this invitation was already {_status(row, now)}: it cannot be sent")
        token = await _send(principal, org, row, now, mailing)
        await audit.record(principal, "invitation.resent", row.email, now, role=row.role.value)
    return InvitationCreated(await _out(row, now), _handed_link(mailing, token))


async def revoke(principal: Principal, invitation_id: object, now: dt.datetime) -> InvitationOut:
    """Withdraw an invitation: its link stops working, and an email not yet sent is not."""
    require(principal, Action.MEMBERS_MANAGE)
    async with in_transaction():
        row = await get_owned(Invitation, principal, invitation_id)
        if row.accepted_at is not None:
            raise Conflict("this invitation was already accepted: remove the member instead")
        if row.revoked_at is None:
            row.revoked_at = now
            await row.save()
            await _cancel_mail(row)
            await audit.record(principal, "invitation.revoked", row.email, now)
    return await _out(row, now)


def _handed_link(mailing: Mailing, token: str) -> str | None:
    # With no SMTP server the email only reaches the outbox folder: the admin passes the
    # link on. With one, only the mailbox gets it.
    return None if mailing.delivers else link(mailing.base_url, token)


async def _locked_org(principal: Principal) -> Org:
    # Invitations of one org are made one at a time: the limits below hold under load.
    org = await Org.filter(id=principal.org_id).select_for_update().first()
    assert org is not None  # the principal's org exists: its membership was just read
    return org


async def _send(
    principal: Principal, org: Org, row: Invitation, now: dt.datetime, mailing: Mailing
) -> str:
    """Give `row` a fresh token and expiry and queue its email; the token."""
    ours = OutboxMessage.filter(org_id=org.id, kind="invitation")
    hour_ago, day_ago = now - dt.timedelta(hours=1), now - dt.timedelta(days=1)
    if await ours.filter(to_address=row.email, created_at__gt=hour_ago).count() >= (
        PER_ADDRESS_HOURLY
    ):
        raise TooManyRequests(
            f"{PER_ADDRESS_HOURLY} invitation emails went to {row.email} in the last hour:"
            " wait an hour before sending another"
        )
    sent_today = await ours.filter(created_at__gt=day_ago).count()
    if sent_today >= DAILY_INVITATIONS:
        raise TooManyRequests(
            f"this organisation has sent {DAILY_INVITATIONS} invitations in the last 24 hours:"
            " try again tomorrow"
        )
    await _cancel_mail(row)
    token = credentials.new_token()
    row.token_hash = credentials.token_hash(token)
    row.sent_at = now
    row.expires_at = now + dt.timedelta(days=mailing.invitation_days)
    composed = compose(await _letter(principal, org, row, token, mailing), mailing.sender, now)
    await row.save()
    message = await outbox.enqueue(
        composed, kind="invitation", sender=mailing.sender, now=now, org_id=org.id
    )
    row.mail_id = message.id
    await row.save(update_fields=["mail_id"])
    return token


async def _letter(
    principal: Principal, org: Org, row: Invitation, token: str, mailing: Mailing
) -> Letter:
    inviter = None
    if principal.user_id is not None:
        inviter = await User.get_or_none(id=principal.user_id)
    colour = org.branding.get("colour", "")
    text, html = letters.render(
        "invitation",
        org_name=org.name,
        role=ROLE_LABELS[Role(row.role)],
        inviter=f"{inviter.name} ({inviter.email})" if inviter else None,
        link=link(mailing.base_url, token),
        expires_at=row.expires_at,
        timezone=org.settings.get("timezone", "UTC"),
        colour=colour if _COLOUR.match(colour) else "#1f6feb",
    )
    return Letter(
        to=row.email,
        subject=f"Join {org.name} on Voelgoed",
        text=text,
        html=html,
        sender_name=f"{org.name} via Voelgoed",
        reply_to=inviter.email if inviter else None,
    )


async def _cancel_mail(row: Invitation) -> None:
    # A message already being sent is locked by the delivery loop: this waits for it, and
    # then finds it sent and leaves it.
    if row.mail_id is not None:
        await OutboxMessage.filter(id=row.mail_id, status=MailStatus.QUEUED).update(
            status=MailStatus.CANCELLED, last_error="withdrawn before it was sent"
        )


# The link's side: whoever opened it, signed in or not.


@dataclass(frozen=True)
class Opened:
    """A usable invitation as its link's page shows it."""

    id: str
    org_name: str
    org_slug: str
    email: str
    role: Role
    expires_at: dt.datetime
    # The organisation's: what an invitee without an account is offered as theirs.
    timezone: str


async def opened(token: str, now: dt.datetime) -> Opened:
    """The invitation of `token`; LinkUnusable (one clear sentence) if it cannot be used."""
    row = await Invitation.get_or_none(token_hash=credentials.token_hash(token)).prefetch_related(
        "org"
    )
    _check_usable(row, now)
    assert row is not None
    return Opened(
        str(row.id),
        row.org.name,
        row.org.slug,
        row.email,
        Role(row.role),
        row.expires_at,
        str(row.org.settings.get("timezone", "UTC")),
    )


def _check_usable(row: Invitation | None, now: dt.datetime) -> None:
    if row is None:
        raise LinkUnusable(
            "This invitation link is not valid (or a newer email replaced it): open the link"
            " of the latest invitation email, or ask for a new one.",
            "unknown",
        )
    if row.accepted_at is not None:
        raise LinkUnusable(
            "This invitation has already been used: whoever accepted it reaches the"
            " organisation by signing in.",
            "used",
        )
    if row.revoked_at is not None:
        raise LinkUnusable(
            "This invitation was withdrawn by the organisation: ask them for a new one.",
            "revoked",
        )
    if row.expires_at <= now:
        raise LinkUnusable(
            f"This invitation expired on {letters.moment(row.expires_at)}: ask the"
            " organisation to send a new one.",
            "expired",
        )


async def accept(token: str, user: User, now: dt.datetime) -> Org:
    """Make `user` (whose email must be the invited one) a member; the org they joined."""
    async with in_transaction():
        row = (
            await Invitation.filter(token_hash=credentials.token_hash(token))
            .select_for_update()
            .first()
        )
        _check_usable(row, now)
        assert row is not None
        if accounts.normalise_email(user.email) != row.email:
            raise Forbidden(
                f"This invitation is for {row.email}, and you are signed in as {user.email}:"
                " sign out, then open the link again."
            )
        org = await Org.get(id=row.org_id)
        row.accepted_at = now
        row.accepted_by_id = user.id
        await row.save()
        joined = True
        try:
            async with in_transaction():  # a savepoint: a clash leaves the rest standing
                await Membership.create(org_id=org.id, user_id=user.id, role=row.role)
        except IntegrityError:
            joined = False  # a member already (another invitation): the role stays
        principal = Principal(
            org.id, org.slug, Role(row.role), user.id, display=f"{user.name} <{user.email}>"
        )
        await audit.record(
            principal,
            "invitation.accepted",
            user.email,
            now,
            role=Role(row.role).value,
            invited_by=row.invited_by,
            **({} if joined else {"note": "already a member; role unchanged"}),
        )
    return org


async def sign_up_and_accept(
    token: str, name: str, password: str, timezone: str, now: dt.datetime
) -> tuple[User, Org]:
    """A new account with the invited email, made a member; nothing is kept if either
    step is refused."""
    invited = await opened(token, now)
    async with in_transaction():
        user = await accounts.sign_up(invited.email, name, password, timezone)
        org = await accept(token, user, now)
    return user, org
