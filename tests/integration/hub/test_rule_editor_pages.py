"""The entry rule editor on the gates page: over plain HTTP (no JavaScript) and in Chromium.

Rules made with the form's conditions reach the event package and admit, at a gate, what
the organiser meant (evaluated with `contract.gate_rules` on example scans); the list says
every rule in words; JSON typed by hand stays possible, and its mistakes are explained.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from playwright.sync_api import Page, expect

from contract.event_package import decode_package
from contract.gate_rules import rule_allows
from hub.roles import Role
from tests.integration.hub.conftest import PASSWORD, Org, OrgFactory
from tests.integration.hub.seated_event import SeatedEvent, add_gates, build_seated_event, ok
from tests.integration.hub.web_user import sign_in
from tests.integration.kiosk_ui.conftest import SCREENSHOTS

PAGE_HEIGHT = 1000


def scan(**facts: object) -> dict[str, object]:
    """A gate's facts for a scan (as gate_node.decision computes them): a first entry at
    north at 19:30 on Saturday 1 March 2031 unless told otherwise."""
    base: dict[str, object] = {
        "gate": "north",
        "ticket_type": "",
        "entries": 0,
        "entries_today": 0,
        "minutes_since_last_entry": None,
        "now": "2031-03-01T17:30:00Z",
        "local_time": "19:30",
        "local_date": "2031-03-01",
        "weekday": 6,
    }
    return {**base, **facts}


def _rules(org: Org, event: SeatedEvent) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = ok(org.api.get(f"/api/v1/events/{event.event_id}/gate-rules"))
    return rules


def test_rules_from_the_form_admit_at_the_gate_what_was_meant(make_org: OrgFactory) -> None:
    org = make_org("Rules by form")
    event = build_seated_event(org.api)
    add_gates(org.api, event.event_id, ("vip",))
    admin = sign_in(org.hub, org.admin_email)
    url = f"/o/{org.slug}/events/{event.event_id}/gate-rules"
    # Evenings only, twice a day at most, for standing tickets; no JavaScript: every field
    # of every row is sent, and the unused ones are empty.
    blank = {f"c{i}_{f}": "" for i in range(3) for f in ("number", "gates", "from", "to")}
    made = admin.post(
        url,
        {
            **blank,
            "ticket_type_id": event.general_type_id,
            "combine": "all",
            "c0_kind": "times",
            "c0_from": "18:00",
            "c0_to": "23:00",
            "c1_kind": "entries_today",
            "c1_number": "2",
            "c2_kind": "",
            "rule": "",
        },
    )
    assert made.status_code == 303, made.text
    # Any one of: the VIP gate, or a Sunday.
    weekend = admin.client.post(
        url,
        data={
            "csrf": admin.csrf,
            "description": "VIP door or Sundays",
            "combine": "any",
            "c0_kind": "gates",
            "c0_gates": "vip",
            "c1_kind": "weekdays",
            "c1_weekdays": ["7"],
        },
    )
    assert weekend.status_code == 303, weekend.text
    by_description = {r["description"]: r for r in _rules(org, event)}
    # No description typed: the rule in words is what door staff read when it refuses.
    evening = by_description[
        "Only between 18:00 and 23:00 (local time), and at most 2 entries a day"
    ]
    assert evening["ticket_type_id"] == event.general_type_id
    assert set(by_description) == {evening["description"], "VIP door or Sundays"}

    # What the gates get is what the form meant.
    package = decode_package(
        org.client(Role.DOOR_STAFF).get(f"/api/v1/events/{event.event_id}/package").content
    )
    packed = {r.description: r.rule for r in package.gate_rules}
    evening_rule, vip_rule = packed[evening["description"]], packed["VIP door or Sundays"]
    assert rule_allows(evening_rule, scan())
    assert rule_allows(evening_rule, scan(entries=4, entries_today=1, local_time="22:59"))
    assert not rule_allows(evening_rule, scan(entries_today=2))
    assert not rule_allows(evening_rule, scan(local_time="17:45"))
    assert not rule_allows(evening_rule, scan(local_time="23:01"))
    assert rule_allows(vip_rule, scan(gate="vip"))
    assert rule_allows(vip_rule, scan(weekday=7))
    assert not rule_allows(vip_rule, scan())

    page = admin.client.get(f"/o/{org.slug}/events/{event.event_id}/gates")
    assert "Only at gate vip, or only on Sunday" in page.text
    assert "Only between 18:00 and 23:00 (local time), and at most 2 entries a day" in page.text


def test_rule_form_mistakes_are_explained_and_what_was_typed_stays(
    make_org: OrgFactory,
) -> None:
    org = make_org("Rule mistakes")
    event = build_seated_event(org.api)
    admin = sign_in(org.hub, org.admin_email)
    url = f"/o/{org.slug}/events/{event.event_id}/gate-rules"
    wrong_time = admin.post(
        url,
        {"c0_kind": "gates", "c0_gates": "north", "c1_kind": "times", "c1_from": "6pm"},
    )
    assert wrong_time.status_code == 422
    assert (
        "Condition 2 (only between these times): enter From as a time of day, like 18:00"
        in wrong_time.text
    )
    assert 'name="c0_gates" placeholder="north, south" value="north"' in wrong_time.text
    assert 'name="c1_from" placeholder="18:00 or 2031-03-01" value="6pm"' in wrong_time.text
    # The advanced field: malformed JSON, and JSON that is no rule, in words.
    for text, words in [
        ('{"<=": [{"var": "entries_today"} 1]}', "line 1, character 34"),
        ('{"<=": [{"var": "entries_today"} 1]}', "a comma (,) between two items"),
        ("{'<=': [1, 2]}", "an operator needs double quotes"),
        ('{"<=": [{"var": "age"}, 18]}', "unknown variable &#39;age&#39; (in the 1st argument"),
        ('{"<=": [{"var": "age"}, 18]}', "Variables, as {&#34;var&#34;: name}: gate, ticket_type"),
    ]:
        refused = admin.post(url, {"description": "Adults", "rule": text})
        assert refused.status_code == 422
        assert words in refused.text
        assert "invalid character (byte" not in refused.text
        assert '<details class="advanced" id="advanced-rule" open>' in refused.text
    both = admin.post(url, {"c0_kind": "gates", "c0_gates": "north", "rule": '{"==": [1, 1]}'})
    assert "use either the conditions or the JSON rule, not both" in both.text
    nothing = admin.post(url, {"description": "Empty"})
    assert "add at least one condition (or write the rule as JSON)" in nothing.text
    # Gates are chosen from the event's: a name it does not have is refused, and kept.
    typo = admin.post(url, {"c0_kind": "gates", "c0_gates": "north, nrth"})
    assert typo.status_code == 422
    assert "Conditions: &#39;nrth&#39; is not a gate of this event" in typo.text
    assert "(its gates: east, north, south); add the gate under Gates first" in typo.text
    assert 'name="c0_gates" placeholder="north, south" value="north, nrth"' in typo.text
    listed_typo = admin.post(
        f"/o/{org.slug}/events/{event.event_id}/check-in-lists",
        {"name": "Side", "gates": "nrth", "ticket_type_ids": event.ticket_type_id},
    )
    assert listed_typo.status_code == 422
    assert "Gates: &#39;nrth&#39; is not a gate of this event" in listed_typo.text
    assert _rules(org, event) == []
    # Valid JSON typed by hand is still a rule, and the list says it in words.
    written = admin.post(
        url, {"description": "Not the loading bay", "rule": '{"!=": [{"var": "gate"}, "bay"]}'}
    )
    assert written.status_code == 303
    listed = admin.client.get(f"/o/{org.slug}/events/{event.event_id}/gates")
    assert "The gate is not &#34;bay&#34;" in listed.text


# In Chromium: the conditions' own fields, one more row, the list in words.


def test_an_organiser_builds_rules_in_the_browser(page: Page, make_org: OrgFactory) -> None:
    with ThreadPoolExecutor(max_workers=1) as pool:  # asyncio cannot run in Playwright's thread
        org = pool.submit(make_org, "Rules in the browser").result()
        event = pool.submit(build_seated_event, org.api).result()
        pool.submit(add_gates, org.api, event.event_id, ("loading-bay",)).result()
        ok(
            org.api.post(
                f"/api/v1/events/{event.event_id}/gate-rules",
                json={"description": "Once a day", "rule": {"<=": [{"var": "entries_today"}, 1]}},
            ),
            201,
        )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.goto("/signin")
    page.locator('input[name="email"]').fill(org.admin_email)
    page.locator('input[name="password"]').fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/o/{org.slug}/events/{event.event_id}/gates")
    # A rule made through the API, in words: "<= 1" lets a ticket in twice a day.
    listed = page.locator("#rule-list")
    expect(listed).to_contain_text("Once a day")
    expect(listed).to_contain_text("At most 2 entries a day")

    form = page.locator("#rule-form")
    rows = form.locator("li.condition")
    expect(rows.nth(0)).to_be_visible()
    expect(rows.nth(1)).to_be_hidden()
    first = rows.nth(0)
    first.locator("select.condition-kind").select_option(label="Only between these times")
    expect(first.locator('[data-input="number"]')).to_be_hidden()
    expect(first.locator('[name="c0_from"]')).to_have_attribute("type", "time")
    first.locator('[name="c0_from"]').fill("18:00")
    first.locator('[name="c0_to"]').fill("23:30")
    form.get_by_role("button", name="Add a condition").click()
    second = rows.nth(1)
    expect(second).to_be_visible()
    second.locator("select.condition-kind").select_option(label="Only these ticket types")
    expect(second.locator('[data-input="types"]')).to_be_visible()
    expect(second.locator('[data-input="from"]')).to_be_hidden()
    second.locator('[name="c1_types"]').select_option(label="Standing")
    form.get_by_role("button", name="Add a condition").click()
    third = rows.nth(2)
    third.locator("select.condition-kind").select_option(label="Not at these gates")
    third.locator('[name="c2_gates"]').fill("loading-bay")
    form.get_by_role("button", name="Add a condition").click()
    fourth = rows.nth(3)  # past the rows the page drew: a new one, numbered on
    expect(fourth.locator(".kind > span")).to_have_text("Condition 4")
    fourth.locator("select.condition-kind").select_option(label="At most this many entries a day")
    fourth.locator('[name="c3_number"]').fill("3")
    page.screenshot(path=SCREENSHOTS / "hub-rule-editor.png", full_page=True)
    # A full-page shot leaves Chromium scrolled past the page's end (it is taller since
    # the gates section): scrolled back, the click lands on the button again.
    page.evaluate("window.scrollTo(0, 0)")
    form.get_by_role("button", name="Add rule").click()
    expect(page).to_have_url(re.compile(r"/gates\?n=added$"))
    words = (
        "Only between 18:00 and 23:30 (local time), and only for ticket type Standing,"
        " and not at gate loading-bay, and at most 3 entries a day"
    )
    expect(listed).to_contain_text(words)
    page.screenshot(path=SCREENSHOTS / "hub-rule-editor-list.png", full_page=True)
    rule = next(r for r in _rules(org, event) if r["description"] == words)["rule"]
    standing = event.general_type_id
    assert rule_allows(rule, scan(ticket_type=standing, entries_today=2))
    assert not rule_allows(rule, scan(ticket_type=standing, entries_today=3))
    assert not rule_allows(rule, scan(ticket_type=standing, gate="loading-bay"))
    assert not rule_allows(rule, scan(ticket_type=event.ticket_type_id))
    assert not rule_allows(rule, scan(ticket_type=standing, local_time="23:31"))

    # Hand-written JSON with a mistake: where, and what is wrong, in words.
    page.locator("#advanced-rule summary").click()
    form.locator('[name="description"]').fill("Adults only")
    form.locator('[name="rule"]').fill('{"<=": [{"var": "entries_today"}\n 1]}')
    form.get_by_role("button", name="Add rule").click()
    error = page.locator("#gate-rules .form-error")
    expect(error).to_contain_text("Rule (JSON): the JSON is not valid: line 2, character 2")
    expect(error).to_contain_text("a comma (,) between two items, or a closing ] or }, is missing")
    expect(form.locator('[name="rule"]')).to_have_value('{"<=": [{"var": "entries_today"}\n 1]}')
    page.screenshot(path=SCREENSHOTS / "hub-rule-editor-json-error.png", full_page=True)
