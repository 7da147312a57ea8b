"""The API's organisation, people, invitations, API keys and audit log."""

from __future__ import annotations

from typing import Any

from hub import schemas as s
from hub.api.router import paged, route
from hub.api_routing import Call
from hub.mail.config import mailing_of
from hub.roles import Action
from hub.services import accounts, audit, invitations


@route(
    "GET",
    "/org",
    summary="The API key's organisation",
    tag="org",
    action=Action.ORG_READ,
    response=s.OrgOut,
)
async def get_org(call: Call) -> Any:
    return await accounts.get_org(call.principal)


@route(
    "PATCH",
    "/org",
    summary="Change name, branding or settings",
    tag="org",
    action=Action.ORG_MANAGE,
    body=s.OrgUpdate,
    response=s.OrgOut,
)
async def update_org(call: Call) -> Any:
    return await accounts.update_org(call.principal, call.body, call.now)


@route(
    "GET",
    "/members",
    summary="Members and their roles",
    tag="org",
    action=Action.MEMBERS_READ,
    response=list[s.MemberOut],
)
async def list_members(call: Call) -> Any:
    return await accounts.members(call.principal)


@route(
    "PUT",
    "/members/{user_id}/role",
    summary="Change a member's role",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    body=s.RoleChange,
    response=s.MemberOut,
)
async def change_member_role(call: Call) -> Any:
    return await accounts.change_role(
        call.principal, call.params["user_id"], call.body.role, call.now
    )


@route(
    "DELETE",
    "/members/{user_id}",
    summary="Remove a member",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    status=204,
)
async def remove_member(call: Call) -> Any:
    await accounts.remove_member(call.principal, call.params["user_id"], call.now)


@route(
    "GET",
    "/invitations",
    summary="Invitations not yet accepted or revoked, with their email's delivery",
    tag="org",
    action=Action.MEMBERS_READ,
    response=list[s.InvitationOut],
)
async def list_invitations(call: Call) -> Any:
    return await invitations.pending(call.principal, call.now)


@route(
    "POST",
    "/invitations",
    summary="Invite an email address with a role (emails a one-time link)",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    body=s.InvitationIn,
    response=s.InvitationCreated,
    status=201,
    also=("429",),
)
async def create_invitation(call: Call) -> Any:
    return await invitations.invite(call.principal, call.body, call.now, mailing_of(call.request))


@route(
    "POST",
    "/invitations/{invitation_id}/resend",
    summary="Email an invitation again, with a new link and expiry",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    response=s.InvitationCreated,
    also=("429",),
)
async def resend_invitation(call: Call) -> Any:
    return await invitations.resend(
        call.principal, call.params["invitation_id"], call.now, mailing_of(call.request)
    )


@route(
    "POST",
    "/invitations/{invitation_id}/revoke",
    summary="Withdraw an invitation (its link stops working)",
    tag="org",
    action=Action.MEMBERS_MANAGE,
    response=s.InvitationOut,
)
async def revoke_invitation(call: Call) -> Any:
    return await invitations.revoke(call.principal, call.params["invitation_id"], call.now)


@route(
    "GET",
    "/api-keys",
    summary="API keys (without secrets)",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    response=list[s.ApiKeyOut],
)
async def list_api_keys(call: Call) -> Any:
    return await accounts.api_keys(call.principal)


@route(
    "POST",
    "/api-keys",
    summary="Create an API key (signed-in admins only)",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    body=s.ApiKeyIn,
    response=s.ApiKeyCreated,
    status=201,
)
async def create_api_key(call: Call) -> Any:
    return await accounts.create_api_key(call.principal, call.body, call.now)


@route(
    "POST",
    "/api-keys/{key_id}/revoke",
    summary="Revoke an API key",
    tag="org",
    action=Action.API_KEYS_MANAGE,
    response=s.ApiKeyOut,
)
async def revoke_api_key(call: Call) -> Any:
    return await accounts.revoke_api_key(call.principal, call.params["key_id"], call.now)


@route(
    "GET",
    "/audit",
    summary="The audit log, newest first",
    tag="org",
    action=Action.AUDIT_READ,
    response=list[s.AuditOut],
    query=s.Paging,
)
async def audit_log(call: Call) -> Any:
    return paged(*await audit.entries(call.principal, call.query))
