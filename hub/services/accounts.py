"""Sign-up, sign-in, sessions, organisations, members and API keys.

Members join by invitation (hub.services.invitations): nothing here adds an account by its
email, which would tell whoever asks whether the address has one.
"""

from __future__ import annotations

import datetime as dt
import hmac
import uuid

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from hub import credentials
from hub.errors import Conflict, Forbidden, NotFound, NotSignedIn, ValidationFailed
from hub.models import ApiKey, Membership, Org, Session, User
from hub.roles import Action, Role
from hub.schemas import (
    DEFAULT_TIMEZONE,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    MemberOut,
    OrgOut,
    OrgUpdate,
    is_email,
    is_slug,
    is_timezone,
)
from hub.services import audit
from hub.tenancy import Principal, get_owned, require, scoped


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def sign_up(email: str, name: str, password: str, timezone: str = DEFAULT_TIMEZONE) -> User:
    """A new user; raises Conflict for a taken email, ValidationFailed for a weak password,
    an address that cannot receive mail or a timezone the tz database does not know."""
    problem = credentials.password_problem(password)
    if problem:
        raise ValidationFailed(problem)
    if not name.strip():
        raise ValidationFailed("enter your name")
    if len(name.strip()) > 200:
        raise ValidationFailed("the name is too long (200 characters at most)")
    email = normalise_email(email)
    if not is_email(email):
        raise ValidationFailed("enter an email address like name@example.org")
    if not is_timezone(timezone):
        raise ValidationFailed("choose a timezone like Africa/Johannesburg")
    try:
        return await User.create(
            email=email,
            name=name.strip(),
            password_hash=credentials.hash_password(password),
            timezone=timezone,
        )
    except IntegrityError:
        raise Conflict("an account with this email already exists: sign in instead") from None


async def authenticate(email: str, password: str) -> User:
    """The user with these credentials; NotSignedIn otherwise (same message either way)."""
    user = await User.get_or_none(email=normalise_email(email))
    if user is None:
        credentials.spend_a_password_check(password)
        raise NotSignedIn("wrong email or password")
    if not credentials.password_matches(user.password_hash, password):
        raise NotSignedIn("wrong email or password")
    return user


async def start_session(user: User, now: dt.datetime, days: int) -> str:
    """A new session for `user`; returns the token for the cookie."""
    token = credentials.new_token()
    await Session.create(
        token_hash=credentials.token_hash(token),
        user=user,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    return token


async def session_user(token: str, now: dt.datetime) -> User | None:
    session = await Session.get_or_none(token_hash=credentials.token_hash(token)).prefetch_related(
        "user"
    )
    if session is None or session.expires_at <= now:
        return None
    return session.user


async def end_session(token: str) -> None:
    await Session.filter(token_hash=credentials.token_hash(token)).delete()


async def user_orgs(user_id: uuid.UUID) -> list[tuple[Org, Role]]:
    """The orgs a user belongs to with their role, by name."""
    memberships = await Membership.filter(user_id=user_id).prefetch_related("org")
    return sorted(((m.org, Role(m.role)) for m in memberships), key=lambda p: p[0].name.lower())


async def member_principal(user: User, slug: str) -> Principal:
    """The user acting in org `slug`; NotFound when they are not a member (or no such org)."""
    if not is_slug(slug):
        raise NotFound("no such organisation")
    membership = await Membership.filter(user_id=user.id, org__slug=slug).prefetch_related("org")
    if not membership:
        raise NotFound("no such organisation")
    m = membership[0]
    return Principal(
        org_id=m.org.id,
        org_slug=m.org.slug,
        role=Role(m.role),
        user_id=user.id,
        display=f"{user.name} <{user.email}>",
    )


async def key_principal(key: str, now: dt.datetime) -> Principal:
    """The API key acting in its org; NotSignedIn for an unknown, wrong or revoked key."""
    prefix = credentials.api_key_prefix(key)
    row = (
        None if prefix is None else await ApiKey.get_or_none(prefix=prefix).prefetch_related("org")
    )
    if (
        row is None
        or row.revoked_at is not None
        or not hmac.compare_digest(row.key_hash, credentials.token_hash(key))
    ):
        raise NotSignedIn("unknown or revoked API key")
    # Touch at most once a minute: a busy integration should not write on every call.
    if row.last_used_at is None or now - row.last_used_at > dt.timedelta(minutes=1):
        await ApiKey.filter(id=row.id).update(last_used_at=now)
    return Principal(
        org_id=row.org.id,
        org_slug=row.org.slug,
        role=Role(row.role),
        api_key_id=row.id,
        display=f"API key {row.name} ({row.prefix})",
    )


async def create_org(
    user: User,
    name: str,
    slug: str,
    now: dt.datetime,
    *,
    timezone: str | None = None,
    currency: str = "ZAR",
) -> Org:
    """A new org with `user` as its admin, in `timezone` (by default the user's)."""
    async with in_transaction():
        try:
            org = await Org.create(
                name=name.strip(),
                slug=slug,
                branding={"colour": "#1f6feb"},
                settings={"timezone": timezone or user.timezone, "currency": currency},
            )
        except IntegrityError:
            raise Conflict(f"the address {slug!r} is taken: choose another") from None
        await Membership.create(org=org, user=user, role=Role.ADMIN)
        principal = Principal(org.id, org.slug, Role.ADMIN, user.id, display=user.email)
        await audit.record(principal, "org.created", f"org {slug}", now)
    return org


def org_out(org: Org) -> OrgOut:
    return OrgOut(org.id, org.name, org.slug, dict(org.branding), dict(org.settings))


async def get_org(principal: Principal) -> OrgOut:
    require(principal, Action.ORG_READ)
    return org_out(await Org.get(id=principal.org_id))


async def update_org(principal: Principal, change: OrgUpdate, now: dt.datetime) -> OrgOut:
    require(principal, Action.ORG_MANAGE)
    org = await Org.get(id=principal.org_id)
    if change.name is not None:
        org.name = change.name
    branding, settings = dict(org.branding), dict(org.settings)
    for key, value in (("colour", change.colour), ("logo_url", change.logo_url)):
        if value is not None:
            branding[key] = value
    for key, value in (("timezone", change.timezone), ("currency", change.currency)):
        if value is not None:
            settings[key] = value
    org.branding, org.settings = branding, settings
    await org.save()
    await audit.record(principal, "org.updated", f"org {org.slug}", now)
    return org_out(org)


async def members(principal: Principal) -> list[MemberOut]:
    require(principal, Action.MEMBERS_READ)
    rows = await scoped(Membership, principal).prefetch_related("user")
    out = [MemberOut(m.user.id, m.user.email, m.user.name, Role(m.role)) for m in rows]
    return sorted(out, key=lambda m: m.email)


async def change_role(
    principal: Principal, user_id: object, role: Role, now: dt.datetime
) -> MemberOut:
    require(principal, Action.MEMBERS_MANAGE)
    membership = await _membership(principal, user_id)
    old = Role(membership.role)
    if old == Role.ADMIN and role != Role.ADMIN:
        await _keep_an_admin(principal)
    membership.role = role
    await membership.save()
    user = membership.user
    await audit.record(
        principal, "member.role_changed", user.email, now, old=old.value, new=role.value
    )
    return MemberOut(user.id, user.email, user.name, role)


async def remove_member(principal: Principal, user_id: object, now: dt.datetime) -> None:
    require(principal, Action.MEMBERS_MANAGE)
    membership = await _membership(principal, user_id)
    if membership.role == Role.ADMIN:
        await _keep_an_admin(principal)
    await membership.delete()
    await audit.record(principal, "member.removed", membership.user.email, now)


async def _membership(principal: Principal, user_id: object) -> Membership:
    try:
        uid = uuid.UUID(str(user_id))
    except ValueError:
        raise NotFound("no such member") from None
    row = await scoped(Membership, principal, user_id=uid).prefetch_related("user").first()
    if row is None:
        raise NotFound("no such member")
    return row


async def _keep_an_admin(principal: Principal) -> None:
    # An org without an admin could never manage its members again.
    if await scoped(Membership, principal, role=Role.ADMIN).count() <= 1:
        raise Conflict("an organisation needs at least one admin")


def _key_out(row: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        row.id,
        row.name,
        Role(row.role),
        row.prefix,
        row.created_at,
        row.last_used_at,
        row.revoked_at,
    )


async def api_keys(principal: Principal) -> list[ApiKeyOut]:
    require(principal, Action.API_KEYS_MANAGE)
    return [_key_out(r) for r in await scoped(ApiKey, principal).order_by("created_at")]


async def create_api_key(principal: Principal, change: ApiKeyIn, now: dt.datetime) -> ApiKeyCreated:
    require(principal, Action.API_KEYS_MANAGE)
    if principal.user_id is None:
        # Keys cannot mint keys: a leaked key must not be able to outlive its revocation.
        raise Forbidden("API keys are created by a signed-in admin")
    key, prefix = credentials.new_api_key()
    row = await ApiKey.create(
        org_id=principal.org_id,
        name=change.name,
        role=change.role,
        prefix=prefix,
        key_hash=credentials.token_hash(key),
        created_by_id=principal.user_id,
        created_at=now,
    )
    await audit.record(
        principal, "api_key.created", f"{row.name} ({prefix})", now, role=change.role.value
    )
    return ApiKeyCreated(key, _key_out(row))


async def revoke_api_key(principal: Principal, key_id: object, now: dt.datetime) -> ApiKeyOut:
    require(principal, Action.API_KEYS_MANAGE)
    row = await get_owned(ApiKey, principal, key_id)
    if row.revoked_at is None:
        row.revoked_at = now
        await row.save()
        await audit.record(principal, "api_key.revoked", f"{row.name} ({row.prefix})", now)
    return _key_out(row)
