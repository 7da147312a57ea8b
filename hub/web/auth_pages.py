"""Sign-up, sign-in, sign-out and the list of the user's organisations."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from hub.errors import HubError, NotSignedIn
from hub.mail.config import mailing_of
from hub.schemas import OrgIn, SignInIn, SignUpIn
from hub.services import accounts
from hub.sessions import clear_session_cookie, session_token, set_session_cookie
from hub.web import signup_pages
from hub.web.forms import FormError, convert
from hub.web.page_routing import PageRouter, Visit
from hub.web.throttle import SignInThrottle, minutes

router = PageRouter()
# One per hub process: see hub.web.throttle for why memory is enough.
throttle = SignInThrottle()


class TooManyAttempts(HubError):
    """Too many failed sign-ins for one email: the user must wait."""

    code = "too_many_attempts"
    http_status = 429


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this hub only (no open redirect)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or len(target) > 2000
        or any(ord(c) < 32 for c in target)
    ):
        return "/orgs"
    return target


@router.public("GET", "/")
async def home(visit: Visit) -> Response:
    return visit.redirect("/orgs" if visit.user else "/signin")


@router.public("GET", "/signup")
async def signup_page(visit: Visit) -> Response:
    if visit.user is not None and visit.failed is None:
        return visit.redirect("/orgs")
    by_email = mailing_of(visit.request).delivers
    return visit.render("signup.html", title="Create your account", by_email=by_email)


@router.public("POST", "/signup", page=signup_page, form="signup")
async def signup(visit: Visit) -> Response:
    if mailing_of(visit.request).delivers:  # the address is confirmed first: see signup_pages
        return await signup_pages.by_email(visit)
    data = convert(visit.form, SignUpIn)
    user = await accounts.sign_up(data.email, data.name, data.password, data.timezone)
    token = await accounts.start_session(user, visit.now, visit.settings.session_days)
    response = visit.redirect("/orgs")
    set_session_cookie(response, token, visit.settings)
    return response


@router.public("GET", "/signin")
async def signin_page(visit: Visit) -> Response:
    target = safe_next(visit.request.query_params.get("next"))
    if visit.user is not None and visit.failed is None:
        return visit.redirect(target)
    return visit.render("signin.html", title="Sign in", next=target)


@router.public("POST", "/signin", page=signin_page, form="signin")
async def signin(visit: Visit) -> Response:
    form = convert(visit.form, SignInIn)
    email = accounts.normalise_email(form.email)
    wait = throttle.wait_left(email, visit.now)
    if wait is not None:
        raise TooManyAttempts(
            f"Too many failed sign-ins for {email}: wait {minutes(wait)} minutes and try again."
        )
    try:
        user = await accounts.authenticate(email, form.password)
    except NotSignedIn:
        throttle.failed(email, visit.now)
        raise FormError("Wrong email or password.") from None
    throttle.succeeded(email)
    token = await accounts.start_session(user, visit.now, visit.settings.session_days)
    response = visit.redirect(safe_next(form.next))
    set_session_cookie(response, token, visit.settings)
    return response


@router.user("POST", "/signout")
async def signout(visit: Visit) -> Response:
    token = session_token(visit.request)
    if token is not None:
        await accounts.end_session(token)
    response = RedirectResponse("/signin?n=signed-out", status_code=303)
    clear_session_cookie(response)
    return response


@router.user("GET", "/orgs")
async def orgs_page(visit: Visit) -> Response:
    return visit.render("orgs.html", title="Your organisations")


@router.user("POST", "/orgs", page=orgs_page, form="org")
async def create_org(visit: Visit) -> Response:
    data = convert(visit.form, OrgIn)
    org = await accounts.create_org(
        visit.signed_in,
        data.name,
        data.slug,
        visit.now,
        timezone=data.timezone,
        currency=data.currency,
    )
    return visit.redirect(f"/o/{org.slug}", "created")
