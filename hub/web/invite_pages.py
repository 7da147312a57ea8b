"""Invitations: an admin invites, resends and revokes from the team page; the invitee opens
the emailed link (`/invite/{token}`) and joins, signing up or in on the way.

The link's page never says whether the invited address has an account: a visitor sees
both ways in (create an account here, or sign in first), signed-in users see whether the
invitation is theirs. Opening the link changes nothing (mail scanners open links too);
joining is a button.
"""

from __future__ import annotations

import urllib.parse

from starlette.responses import Response

from hub.errors import LinkUnusable
from hub.mail.config import mailing_of
from hub.roles import Action
from hub.schemas import AccountIn, InvitationIn
from hub.services import accounts, invitations
from hub.sessions import set_session_cookie
from hub.web.forms import convert
from hub.web.org_pages import team, team_page
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
# The token is in these pages' address: keep them out of caches. (Other sites never see
# it: the pages' Referrer-Policy is same-origin. "no-referrer" would make browsers send
# "Origin: null" with the form, which the sign-up's same-site check rightly refuses.)
PRIVATE = {"cache-control": "no-store"}


@router.org("POST", "/invitations", Action.MEMBERS_MANAGE, page=team_page, form="invite")
async def invite(visit: Visit) -> Response:
    data = convert(visit.form, InvitationIn)
    made = await invitations.invite(visit.member, data, visit.now, mailing_of(visit.request))
    if made.link is not None:
        return await team(visit, handed=made, status=201)
    return visit.redirect(visit.org_url("/team"), "invited")


@router.org(
    "POST",
    "/invitations/{invitation_id}/resend",
    Action.MEMBERS_MANAGE,
    page=team_page,
    form="invitations",
)
async def resend(visit: Visit) -> Response:
    made = await invitations.resend(
        visit.member, visit.param("invitation_id"), visit.now, mailing_of(visit.request)
    )
    if made.link is not None:
        return await team(visit, handed=made, status=200)
    return visit.redirect(visit.org_url("/team"), "resent")


@router.org(
    "POST",
    "/invitations/{invitation_id}/revoke",
    Action.MEMBERS_MANAGE,
    page=team_page,
    form="invitations",
)
async def revoke(visit: Visit) -> Response:
    await invitations.revoke(visit.member, visit.param("invitation_id"), visit.now)
    return visit.redirect(visit.org_url("/team"), "withdrawn")


@router.public("GET", "/invite/{token}")
async def invitation_page(visit: Visit) -> Response:
    token = visit.param("token")
    try:
        invited = await invitations.opened(token, visit.now)
    except LinkUnusable as exc:
        response = visit.render(
            "error.html",
            status=exc.http_status,
            title="This invitation cannot be used",
            message=str(exc),
        )
    else:
        response = visit.render(
            "invitation.html",
            title=f"Join {invited.org_name}",
            invited=invited,
            token_path="/invite/" + urllib.parse.quote(token, safe=""),
            signin_url="/signin?" + urllib.parse.urlencode({"next": f"/invite/{token}"}),
            mine=visit.user is not None
            and accounts.normalise_email(visit.user.email) == invited.email,
        )
    response.headers.update(PRIVATE)
    return response


@router.user("POST", "/invite/{token}", page=invitation_page, form="accept")
async def accept(visit: Visit) -> Response:
    org = await invitations.accept(visit.param("token"), visit.signed_in, visit.now)
    return visit.redirect(f"/o/{org.slug}", "joined")


@router.public("POST", "/invite/{token}/signup", page=invitation_page, form="invite-signup")
async def sign_up(visit: Visit) -> Response:
    data = convert(visit.form, AccountIn)
    user, org = await invitations.sign_up_and_accept(
        visit.param("token"), data.name, data.password, data.timezone, visit.now
    )
    session = await accounts.start_session(user, visit.now, visit.settings.session_days)
    response = visit.redirect(f"/o/{org.slug}", "joined")
    set_session_cookie(response, session, visit.settings)
    return response
