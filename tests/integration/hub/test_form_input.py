"""What an outside probe sent the organiser app, answered with a clear 4xx instead of a 500.

Each case is one of the inputs found answering HTTP 500 (issue 10): a form field with NUL or
longer than its column, an org address or id in the path that no object can have, an X-Org
header too long for any org. Forms go through the same checks as the JSON API (one reader
of every form post refuses NUL; sign-in, sign-up and ticket issuing are msgspec structs),
and a refused form keeps what was typed. Sign-up validates the address and asks the
timezone new organisations start in.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.integration.hub.conftest import PASSWORD, Hub, Org, OrgFactory
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok
from tests.integration.hub.web_user import WebUser, sign_in


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Probe org")


@pytest.fixture(scope="module")
def seated(org: Org) -> SeatedEvent:
    return build_seated_event(org.api)


@pytest.fixture(scope="module")
def admin(hub: Hub, org: Org) -> WebUser:
    return sign_in(hub, org.admin_email)


def visitor(hub: Hub) -> httpx.Client:
    return hub.client(follow_redirects=False)


@pytest.mark.parametrize(
    ("email", "password"),
    [("a" * 255 + "@example.org", "x"), ("a" * 300, PASSWORD), ("a\x00@example.org", PASSWORD)],
    ids=["long-email", "long-text", "nul"],
)
def test_sign_in_with_impossible_email_is_refused_clearly(
    hub: Hub, email: str, password: str
) -> None:
    answer = visitor(hub).post("/signin", data={"email": email, "password": password})
    assert answer.status_code == 422
    assert "Email:" in answer.text


def test_sign_up_with_nul_in_the_name_keeps_the_rest(hub: Hub) -> None:
    email = f"nul-{uuid.uuid4().hex[:8]}@example.org"
    answer = visitor(hub).post(
        "/signup", data={"name": "Thandi\x00Mokoena", "email": email, "password": PASSWORD}
    )
    assert answer.status_code == 422
    assert "Name: remove the invisible NUL character" in answer.text
    assert f'value="{email}"' in answer.text
    assert 'value="Thandi\ufffdMokoena"' in answer.text  # kept, with the bad character marked


@pytest.mark.parametrize(
    "email",
    [
        "name@example",
        "a@@example.org",
        "two words@example.org",
        "a@-example.org",
        "@example.org",
        "jürgen@example.org",  # mail servers take plain ASCII before the @
    ],
)
def test_sign_up_refuses_addresses_that_cannot_receive_mail(hub: Hub, email: str) -> None:
    answer = visitor(hub).post(
        "/signup", data={"name": "Sipho", "email": email, "password": PASSWORD}
    )
    assert answer.status_code == 422
    assert "Email: enter an email address like name@example.org" in answer.text


def test_sign_up_asks_the_timezone_that_new_orgs_start_in(hub: Hub) -> None:
    client = visitor(hub)
    form = client.get("/signup")
    assert 'name="timezone"' in form.text
    assert 'value="Africa/Johannesburg"' in form.text  # the default before the browser's guess
    bad = client.post(
        "/signup",
        data={
            "name": "Ama",
            "email": f"ama-{uuid.uuid4().hex[:8]}@example.org",
            "password": PASSWORD,
            "timezone": "Mars/Olympus_Mons",
        },
    )
    assert bad.status_code == 422
    assert "Timezone:" in bad.text
    email = f"ama-{uuid.uuid4().hex[:8]}@example.org"
    made = client.post(
        "/signup",
        data={"name": "Ama", "email": email, "password": PASSWORD, "timezone": "Africa/Accra"},
    )
    assert made.status_code == 303
    orgs = client.get("/orgs")
    assert 'value="Africa/Accra"' in orgs.text  # the org form starts in the user's zone
    csrf = orgs.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    slug = f"accra-{uuid.uuid4().hex[:6]}"
    created = client.post(
        "/orgs", data={"csrf": csrf, "name": "Accra Live", "slug": slug, "timezone": "Africa/Accra"}
    )
    assert created.status_code == 303
    settings = client.get(f"/o/{slug}/settings")
    assert 'value="Africa/Accra"' in settings.text


def test_an_x_org_header_no_org_can_have_is_not_found(hub: Hub, admin: WebUser) -> None:
    for slug in ("a" * 65, "a" * 300, "UPPER", b"a\x00b".hex()):
        answer = admin.client.get("/api/v1/org", headers={"x-org": slug})
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("slug", ["a" * 65, "%00", "a%00b", "Capitals"])
def test_an_org_address_no_org_can_have_is_a_404_page(admin: WebUser, slug: str, org: Org) -> None:
    answer = admin.client.get(f"/o/{slug}/venues")
    assert answer.status_code == 404
    assert "Not found" in answer.text


@pytest.mark.parametrize("bad", ["%00", "a" * 300, "not-a-uuid", "1"])
def test_an_id_no_object_can_have_is_not_found(
    admin: WebUser, org: Org, seated: SeatedEvent, bad: str
) -> None:
    assert admin.client.get(f"/o/{org.slug}/venues/{bad}").status_code == 404
    assert org.api.get(f"/api/v1/venues/{bad}").status_code == 404


@pytest.mark.parametrize(
    ("form", "fields", "message"),
    [
        ("venues", {"name": "Civic\x00Hall"}, "Name: remove the invisible NUL character"),
        ("venues", {"name": "Hall", "address": "1\x00 Long St"}, "Address: remove the invisible"),
        ("settings", {"name": "Probe\x00org"}, "Name: remove the invisible NUL character"),
    ],
)
def test_nul_in_venue_and_settings_forms_is_refused_and_kept(
    admin: WebUser, org: Org, form: str, fields: dict[str, str], message: str
) -> None:
    answer = admin.post(f"/o/{org.slug}/{form}", fields)
    assert answer.status_code == 422
    assert message in answer.text
    assert "\ufffd" in answer.text
    assert "Civic\x00Hall" not in [v["name"] for v in ok(org.api.get("/api/v1/venues"))]


@pytest.mark.parametrize(
    ("labels", "message"),
    [("A" * 33, "Seats: name seats by their labels"), ("A\x001", "Seats: remove the invisible")],
    ids=["long", "nul"],
)
def test_seat_labels_no_seat_can_have_are_refused(
    admin: WebUser, org: Org, seated: SeatedEvent, labels: str, message: str
) -> None:
    before = len(ok(org.api.get(f"/api/v1/events/{seated.event_id}/tickets")))
    answer = admin.post(
        f"/o/{org.slug}/events/{seated.event_id}/tickets",
        {"ticket_type_id": seated.ticket_type_id, "holder": "Lindiwe", "seat_labels": labels},
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert 'value="Lindiwe"' in answer.text
    assert len(ok(org.api.get(f"/api/v1/events/{seated.event_id}/tickets"))) == before
