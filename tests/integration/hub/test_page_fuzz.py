"""Every organiser page and form, fuzzed as a signed-in admin would never mean to use them.

The routes come from the page routers' declarations, so a page added later is fuzzed as soon
as it exists. A form's fields are the ones its page really shows (read from the rendered
HTML), filled with generated values: any text (NUL included), text longer than any column,
numbers out of range, impossible dates, other orgs' and made-up ids, bodies that are not
UTF-8 or not url-encoded, no CSRF token; path parameters and query strings get the same.
The target is that no answer is a 5xx: a refusal is a clear 4xx (or the page again with the
message), and nothing reaches the database that it cannot store. The case count is written
to test-output/fuzz/hub-pages.json for the record.
"""

from __future__ import annotations

import html.parser
import json
import re
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from hub.api_routing import PATH_PARAM
from hub.web.page_routing import PageRoute
from hub.web.routes import ROUTERS
from tests.integration.hub.api_world import World, build_world
from tests.integration.hub.conftest import Hub, OrgFactory
from tests.integration.hub.invites import invite, link_path
from tests.integration.hub.web_user import WebUser, sign_in

OUTPUT = Path("test-output/fuzz")
EXAMPLES = 30
# Hashing a password on purpose costs ~50 ms: fewer cases where every one does it.
EXPENSIVE = {("POST", "/signup"), ("POST", "/signin")}
# Run last, in this order: each uses up the object its path names (or the session).
FINAL = ("/delete", "/remove", "/revoke", "/status", "/signout")


def _order(route: PageRoute) -> tuple[int, str, str]:
    final = next((i for i, tail in enumerate(FINAL, 1) if route.path.endswith(tail)), 0)
    return (final, route.path, route.method)


ROUTES = sorted((r for router in ROUTERS for r in router.declared), key=_order)


class _Forms(html.parser.HTMLParser):
    """The field names of every form of a page, by the form's action."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, set[str]] = {}
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "form":
            self._action = named.get("action") or ""
            self.fields.setdefault(self._action, set())
        elif tag in ("input", "select", "textarea") and self._action is not None:
            name = named.get("name")
            if name and name != "csrf":
                self.fields[self._action].add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


@dataclass
class Walk:
    """The fuzzing session: the org's world, a signed-in admin, the forms seen, a count."""

    hub: Hub
    world: World
    admin: WebUser
    forms: dict[str, set[str]] = field(default_factory=dict)
    cases: int = 0
    by_status: dict[int, int] = field(default_factory=dict)

    def url(self, route: PageRoute, overrides: dict[str, str] | None = None) -> str:
        values = {"slug": self.world.org.slug, **self.world.ids, **(overrides or {})}

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in values and name == "rule_id":
                name = "gate_rule_id" if "/gate-rules/" in route.path else "price_rule_id"
            return urllib.parse.quote(values[name], safe="")

        return PATH_PARAM.sub(value, route.path)

    def read_forms(self, path: str, client: httpx.Client | None = None) -> None:
        response = (client or self.admin.client).get(path)
        if response.status_code == 200 and "text/html" in response.headers["content-type"]:
            parser = _Forms()
            parser.feed(response.text)
            for action, names in parser.fields.items():
                self.forms.setdefault(action, set()).update(names)

    def fields_of(self, action: str) -> list[str]:
        """The fields the form posting to `action` shows; every field seen, if none does."""
        if self.forms.get(action):
            return sorted(self.forms[action])
        return sorted(set().union(*self.forms.values()))

    def record(self, status: int) -> None:
        self.cases += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status == 303:
            return
        # A case that cost the admin the session (sign-out) must not blind the rest.
        if self.admin.client.get("/orgs").status_code != 200:
            self.admin = sign_in(self.hub, self.world.org.admin_email)


@pytest.fixture(scope="module")
def walk(hub: Hub, make_org: OrgFactory) -> Iterator[Walk]:
    world = build_world(make_org("Page fuzz org"))
    # An invitation, and the token of its link (this hub sends no email: it answers the link).
    invited = invite(world.api, f"fuzz-{uuid.uuid4().hex[:8]}@example.org", "read_only")
    world.ids["invitation_id"] = invited["invitation"]["id"]
    world.ids["token"] = link_path(invited["link"]).rsplit("/", 1)[1]
    walk = Walk(hub, world, sign_in(hub, world.org.admin_email))
    for route in ROUTES:
        if route.method == "GET":
            walk.read_forms(walk.url(route))
    visitor = hub.client()  # the sign-in and sign-up forms are what a visitor sees
    walk.read_forms("/signup", visitor)
    walk.read_forms("/signin", visitor)
    yield walk
    OUTPUT.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "hub-pages.json").write_text(
        json.dumps(
            {
                "routes": len(ROUTES),
                "cases": walk.cases,
                "statuses": {str(k): v for k, v in sorted(walk.by_status.items())},
            },
            indent=2,
        )
    )
    print(f"\nhub pages fuzzed: {walk.cases} cases over {len(ROUTES)} routes, {walk.by_status}")


def test_every_page_and_form_is_fuzzed(walk: Walk) -> None:
    assert len(ROUTES) >= 50
    # The forms were read from the real pages: the main forms of an organiser are there.
    org = f"/o/{walk.world.org.slug}"
    for action in (f"{org}/venues", f"{org}/settings", "/signin", "/signup"):
        assert walk.forms.get(action), action


NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "%00",
    "0",
    "-1",
    "1e309",
    "NaN",
    "9" * 40,
    "2031-03-02T18:00",
    "2031-02-30T25:61",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "A1, B2, A1",
    "<script>alert(1)</script>",
    "#zzzzzz",
    "Africa/Johannesburg",
    "Mars/Olympus_Mons",
    "admin",
    "on",
    "name@example.org",
    "a@b",
    str(uuid.uuid4()),
    "{}",
    '{"<": [{"var": "entries"}, 3]}',
    '{"var": ' * 200,
    "\ufeff\u202e\U0001f3ab",
]
values = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(min_size=250, max_size=600),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
raw_bodies = st.one_of(
    st.binary(max_size=300),  # not UTF-8, not url-encoded
    st.just(b"name=%ZZ&%%%=1"),
    st.just(b"x=" + b"y" * 300_000),  # over the body limit
)


@st.composite
def form_cases(draw: st.DrawFn, names: list[str]) -> tuple[dict[str, str] | bytes, bool]:
    """A form post (fields, or a raw body) and whether it carries the CSRF token."""
    with_csrf = draw(st.integers(0, 9)) > 0  # mostly: a form without it never gets far
    if draw(st.integers(0, 9)) == 0:
        return draw(raw_bodies), with_csrf
    chosen = draw(st.lists(st.sampled_from(names), unique=True)) if names else []
    extra = draw(st.lists(st.text(min_size=1, max_size=12), max_size=2))
    return {name: draw(values) for name in [*chosen, *extra]}, with_csrf


path_values = st.one_of(
    st.sampled_from(["%00", "a" * 70, "..", "-", str(uuid.uuid4()), "00000000-0000-0000-0000"]),
    st.text(min_size=1, max_size=80),
)


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_no_page_or_form_answers_5xx(walk: Walk, route: PageRoute) -> None:
    examples = 5 if (route.method, route.path) in EXPENSIVE else EXAMPLES
    params = PATH_PARAM.findall(route.path)

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        case=form_cases(walk.fields_of(walk.url(route))) if route.method == "POST" else st.none(),
        query=st.dictionaries(st.sampled_from(["page", "n", "next"]), values, max_size=2),
        # Mostly the world's real objects, so that the forms get past the path.
        bad_param=st.sampled_from([None, None, None, *params]),
        bad_value=path_values,
    )
    def attempt(
        case: tuple[dict[str, str] | bytes, bool] | None,
        query: dict[str, str],
        bad_param: str | None,
        bad_value: str,
    ) -> None:
        overrides = {} if bad_param is None else {bad_param: bad_value}
        url = walk.url(route, overrides)
        client = walk.admin.client
        if case is None:
            response = client.get(url, params=query)
        else:
            body, with_csrf = case
            csrf = urllib.parse.urlencode({"csrf": walk.admin.csrf if with_csrf else "x"})
            if isinstance(body, bytes):
                content = csrf.encode() + b"&" + body
            else:
                content = (csrf + "&" + urllib.parse.urlencode(body)).encode()
            response = client.post(
                url,
                content=content,
                headers={"content-type": "application/x-www-form-urlencoded"},
            )
        assert response.status_code < 500, (route.path, case, query, overrides, response.text)
        walk.record(response.status_code)

    attempt()
