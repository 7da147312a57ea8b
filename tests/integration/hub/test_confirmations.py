"""Irreversible forms ask first, without JavaScript; dates in the past are confirmed; and no
page prints a raw moment. Over plain HTTP, as a browser without scripts would post."""

from __future__ import annotations

import html
import re

import pytest

from hub.settings import HubSettings
from hub.web import web_routes
from hub.web.confirmations import IRREVERSIBLE
from tests.integration.hub.conftest import Hub, OrgFactory
from tests.integration.hub.seated_event import ok
from tests.integration.hub.test_tenancy_pages import ORG_ROUTES, ROUTES, Tenant, make_tenant

# What a post to each route sends for its irreversible case.
TRIGGERS = {
    "/o/{slug}/events/{event_id}/status": {"status": "cancelled"},
    "/o/{slug}/events/{event_id}/tickets/{ticket_id}/status": {"status": "revoked"},
    "/o/{slug}/events/{event_id}/keys/rotate": {"compromised": "1"},
}


@pytest.fixture(scope="module")
def tenant(hub: Hub, make_org: OrgFactory) -> Tenant:
    return make_tenant(hub, make_org)


def test_every_irreversible_form_is_declared() -> None:
    posts = {path for (method, path) in ROUTES if method == "POST"}
    destructive = {p for p in posts if re.search(r"/(delete|remove|revoke)$", p)}
    assert destructive <= set(IRREVERSIBLE), "declare them in hub.web.confirmations"
    assert set(IRREVERSIBLE) <= posts, "IRREVERSIBLE names routes the app does not have"
    assert set(TRIGGERS) <= set(IRREVERSIBLE)


def test_the_app_wraps_each_declared_route(tmp_path: object) -> None:
    settings = HubSettings(data_dir=tmp_path, secret_key=b"k" * 32)  # type: ignore[arg-type]
    paths = {getattr(r, "path", "") for r in web_routes(settings)}
    assert set(IRREVERSIBLE) <= paths


def test_without_confirmation_nothing_changes_and_the_hub_asks(tenant: Tenant) -> None:
    before = tenant.snapshot()
    admin = tenant.admin
    for path in IRREVERSIBLE:
        url = tenant.path(path)
        response = admin.post(url, TRIGGERS.get(path, {}))
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        page = response.text
        assert 'id="confirm"' in page, path
        assert f'<form method="post" action="{url}">' in page, path
        assert '<input type="hidden" name="confirmed" value="yes">' in page, path
        # The fields of the first post travel with the confirmation.
        for name, value in TRIGGERS.get(path, {}).items():
            assert f'<input type="hidden" name="{name}" value="{value}">' in page, path
        assert "Cancel</a>" in page, path
    assert tenant.snapshot() == before


def test_a_post_that_needs_no_confirming_is_not_asked(tenant: Tenant) -> None:
    admin = tenant.admin
    url = tenant.path("/o/{slug}/events/{event_id}/keys/rotate")
    rotated = admin.post(url, {})  # a plain rotation keeps every ticket valid
    assert rotated.status_code == 303
    restored = admin.post(
        tenant.path("/o/{slug}/events/{event_id}/tickets/{ticket_id}/status"), {"status": "valid"}
    )
    assert restored.status_code == 303


def test_revoke_and_block_are_confirmed_and_block_asks_why(tenant: Tenant) -> None:
    admin = tenant.admin
    api = tenant.org.api
    event = tenant.seated.event_id
    made = ok(
        api.post(
            f"/api/v1/events/{event}/tickets",
            json={
                "ticket_type_id": tenant.seated.general_type_id,
                "holder": "Lerato",
                "quantity": 2,
            },
        ),
        201,
    )
    url = f"/o/{tenant.org.slug}/events/{event}/tickets/{{}}/status"

    asked = admin.post(url.format(made[0]["id"]), {"status": "blocked"})
    assert asked.status_code == 200
    assert "Block this ticket?" in asked.text
    assert "Lerato" in asked.text
    assert re.search(r'<input type="text" name="reason" value="" [^>]*required', asked.text)
    # Confirmed without a reason: asked again, with the reason explained; nothing blocked.
    blank = admin.post(url.format(made[0]["id"]), {"status": "blocked", "confirmed": "yes"})
    assert blank.status_code == 200
    assert "Reason: say why" in blank.text
    ticket_status = {t["id"]: t for t in ok(api.get(f"/api/v1/events/{event}/tickets"))}
    assert ticket_status[made[0]["id"]]["status"] == "valid"

    done = admin.post(
        url.format(made[0]["id"]), {"status": "blocked", "reason": "lost", "confirmed": "yes"}
    )
    assert done.status_code == 303
    revoked = admin.post(url.format(made[1]["id"]), {"status": "revoked", "confirmed": "yes"})
    assert revoked.status_code == 303
    listed = {t["id"]: t for t in ok(api.get(f"/api/v1/events/{event}/tickets"))}
    assert (listed[made[0]["id"]]["status"], listed[made[0]["id"]]["status_reason"]) == (
        "blocked",
        "lost",
    )
    assert listed[made[1]["id"]]["status"] == "revoked"
    page = admin.client.get(f"/o/{tenant.org.slug}/events/{event}/tickets").text
    row = page[page.index(f'data-ticket="{made[0]["id"]}"') :].split("</tr>")[0]
    assert re.search(r"status-blocked.*lost.*Unblock", row, re.DOTALL)


def test_a_date_in_the_past_is_confirmed_with_a_second_submit(tenant: Tenant) -> None:
    admin = tenant.admin
    event = tenant.seated.event_id
    url = f"/o/{tenant.org.slug}/events/{event}/dates"
    typed = {"starts_at": "2021-03-01T18:00", "ends_at": "2021-03-01T22:00", "name": "Reunion"}
    first = admin.post(url, typed)
    assert first.status_code == 422
    assert "the date starts in the past (Mon 01 Mar 2021, 18:00 SAST)" in html.unescape(first.text)
    assert 'id="past-warning"' in first.text
    assert 'name="allow_past"' in first.text
    for name, value in typed.items():
        assert f'name="{name}" value="{value}"' in first.text  # what was typed stays
    dates = f"/api/v1/events/{event}/sessions"
    assert all(s["name"] != "Reunion" for s in ok(tenant.org.api.get(dates)))
    second = admin.post(url, {**typed, "allow_past": "1"})
    assert second.status_code == 303
    assert any(s["name"] == "Reunion" for s in ok(tenant.org.api.get(dates)))
    # A future date is added at once, with no box to tick.
    assert (
        admin.post(
            url, {"starts_at": "2031-09-01T18:00", "ends_at": "2031-09-01T22:00"}
        ).status_code
        == 303
    )


RAW_MOMENT = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d")


def test_no_page_prints_a_raw_moment(tenant: Tenant) -> None:
    admin = tenant.admin
    shown = 0
    for (method, template), _ in ORG_ROUTES:
        if method != "GET" or template.endswith("/package"):
            continue
        page = admin.client.get(tenant.path(template)).text
        # Form values of datetime-local inputs are machine text by design.
        visible = re.sub(r'value="[^"]*"', "", page)
        assert not RAW_MOMENT.search(visible), (template, RAW_MOMENT.findall(visible))
        shown += len(re.findall(r"\d\d:\d\d (?:UTC|[A-Z]{3,4})\b", page))
    assert shown > 5  # the audit log, keys and dates were on the pages, labelled
