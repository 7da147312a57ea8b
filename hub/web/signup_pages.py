"""Sign-up on a hub that sends email: the address first, then the emailed link's form.

`by_email` is what POST /signup does when the hub has an SMTP server (see
hub.web.auth_pages); its answer is the same page for every address, taken or not.
"""

from __future__ import annotations

import urllib.parse

from starlette.responses import Response

from hub.errors import LinkUnusable
from hub.mail.config import mailing_of
from hub.schemas import AccountIn
from hub.services import accounts, signups
from hub.sessions import set_session_cookie
from hub.web.forms import convert
from hub.web.page_routing import PageRouter, Visit

router = PageRouter()
PRIVATE = {"cache-control": "no-store"}


async def by_email(visit: Visit) -> Response:
    """Email the address a way in, and say so: the same page whatever the address."""
    email = await signups.request_account(
        str(visit.form.get("email", "")), visit.now, mailing_of(visit.request)
    )
    return visit.render("signup_sent.html", title="Check your email", email=email)


@router.public("GET", "/signup/confirm/{token}")
async def confirm_page(visit: Visit) -> Response:
    token = visit.param("token")
    try:
        email = await signups.requested(token, visit.now)
    except LinkUnusable as exc:
        response = visit.render(
            "error.html",
            status=exc.http_status,
            title="This sign-up link cannot be used",
            message=str(exc),
        )
    else:
        response = visit.render(
            "signup_confirm.html",
            title="Create your account",
            email=email,
            action="/signup/confirm/" + urllib.parse.quote(token, safe=""),
        )
    response.headers.update(PRIVATE)
    return response


@router.public("POST", "/signup/confirm/{token}", page=confirm_page, form="signup-confirm")
async def confirm(visit: Visit) -> Response:
    data = convert(visit.form, AccountIn)
    user = await signups.finish(
        visit.param("token"), data.name, data.password, data.timezone, visit.now
    )
    session = await accounts.start_session(user, visit.now, visit.settings.session_days)
    response = visit.redirect("/orgs")
    set_session_cookie(response, session, visit.settings)
    return response
