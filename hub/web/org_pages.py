"""An organisation's team, API keys, settings and audit log."""

from __future__ import annotations

from starlette.responses import Response

from hub.mail.config import mailing_of
from hub.roles import Action
from hub.schemas import ApiKeyIn, InvitationCreated, OrgUpdate, RoleChange
from hub.services import accounts, audit, invitations
from hub.web.forms import convert
from hub.web.page_routing import PageRouter, Visit
from hub.web.paging import pages, requested

router = PageRouter()


@router.org("GET", "/team", Action.MEMBERS_READ)
async def team_page(visit: Visit) -> Response:
    return await team(visit)


async def team(
    visit: Visit, handed: InvitationCreated | None = None, status: int = 200
) -> Response:
    """The team page: members, pending invitations (see hub.web.invite_pages) and, once,
    the link of an invitation this hub could not email."""
    members = await accounts.members(visit.member)
    pending = await invitations.pending(visit.member, visit.now)
    response = visit.render(
        "team.html",
        status=status,
        title="Team",
        members=members,
        invitations=pending,
        handed=handed,
        delivers=mailing_of(visit.request).delivers,
    )
    if handed is not None:
        response.headers["cache-control"] = "no-store"  # the link is shown this once
    return response


@router.org("POST", "/team/{user_id}/role", Action.MEMBERS_MANAGE, page=team_page, form="members")
async def change_role(visit: Visit) -> Response:
    change = convert(visit.form, RoleChange)
    await accounts.change_role(visit.member, visit.param("user_id"), change.role, visit.now)
    return visit.redirect(visit.org_url("/team"), "saved")


@router.org("POST", "/team/{user_id}/remove", Action.MEMBERS_MANAGE, page=team_page, form="members")
async def remove_member(visit: Visit) -> Response:
    await accounts.remove_member(visit.member, visit.param("user_id"), visit.now)
    if visit.param("user_id") == str(visit.signed_in.id):
        return visit.redirect("/orgs", "removed")  # they left: the org is no longer theirs
    return visit.redirect(visit.org_url("/team"), "removed")


@router.org("GET", "/api-keys", Action.API_KEYS_MANAGE)
async def api_keys_page(visit: Visit) -> Response:
    keys = await accounts.api_keys(visit.member)
    return visit.render("api_keys.html", title="API keys", keys=keys, created=None)


@router.org("POST", "/api-keys", Action.API_KEYS_MANAGE, page=api_keys_page, form="api_key")
async def create_api_key(visit: Visit) -> Response:
    created = await accounts.create_api_key(visit.member, convert(visit.form, ApiKeyIn), visit.now)
    keys = await accounts.api_keys(visit.member)
    # Rendered, not redirected: the key exists only in this response and is never stored.
    response = visit.render(
        "api_keys.html", status=201, title="API keys", keys=keys, created=created
    )
    response.headers["cache-control"] = "no-store"
    return response


@router.org(
    "POST", "/api-keys/{key_id}/revoke", Action.API_KEYS_MANAGE, page=api_keys_page, form="keys"
)
async def revoke_api_key(visit: Visit) -> Response:
    await accounts.revoke_api_key(visit.member, visit.param("key_id"), visit.now)
    return visit.redirect(visit.org_url("/api-keys"), "revoked")


@router.org("GET", "/settings", Action.ORG_READ)
async def settings_page(visit: Visit) -> Response:
    org = await accounts.get_org(visit.member)
    return visit.render("settings.html", title="Settings", settings_of=org)


@router.org("POST", "/settings", Action.ORG_MANAGE, page=settings_page, form="settings")
async def update_settings(visit: Visit) -> Response:
    change = convert(visit.form, OrgUpdate, blank_ok=("logo_url",))
    await accounts.update_org(visit.member, change, visit.now)
    return visit.redirect(visit.org_url("/settings"), "saved")


@router.org("GET", "/audit", Action.AUDIT_READ)
async def audit_page(visit: Visit) -> Response:
    paging = requested(visit.request.query_params.get("page"))
    entries, total = await audit.entries(visit.member, paging)
    return visit.render(
        "audit.html", title="Audit log", entries=entries, pages=pages(paging, len(entries), total)
    )
