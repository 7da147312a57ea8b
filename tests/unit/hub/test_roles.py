"""The role policy: who may do what, as documented, and routes that ask the right thing."""

from __future__ import annotations

from hub.api import api
from hub.roles import POLICY, Action, Role, allowed

READS = {Action.ORG_READ, Action.MEMBERS_READ, Action.VENUES_READ, Action.EVENTS_READ}


def test_admin_may_do_everything() -> None:
    assert all(allowed(Role.ADMIN, action) for action in Action)


def test_read_only_only_reads() -> None:
    assert POLICY[Role.READ_ONLY] == READS
    assert all(action.value.endswith(".read") for action in POLICY[Role.READ_ONLY])


def test_each_role_has_its_documented_permissions() -> None:
    assert POLICY[Role.EVENT_MANAGER] == READS | {
        Action.VENUES_WRITE,
        Action.EVENTS_WRITE,
        Action.EVENTS_PUBLISH,
        Action.KEYS_ROTATE,
        Action.TICKETS_READ,
        Action.TICKETS_ISSUE,
        Action.PACKAGE_EXPORT,
        Action.DEVICES_READ,
        Action.DEVICES_MANAGE,
    }
    assert POLICY[Role.DOOR_STAFF] == READS | {
        Action.TICKETS_READ,
        Action.PACKAGE_EXPORT,
        Action.DEVICES_READ,
    }
    assert POLICY[Role.FINANCE] == READS | {Action.TICKETS_READ, Action.AUDIT_READ}


def test_only_admins_manage_the_org_its_people_and_keys() -> None:
    admin_only = {Action.ORG_MANAGE, Action.MEMBERS_MANAGE, Action.API_KEYS_MANAGE}
    for role in Role:
        if role != Role.ADMIN:
            assert not POLICY[role] & admin_only, role


def test_every_role_reads_and_no_role_exceeds_admin() -> None:
    for role in Role:
        assert READS <= POLICY[role] <= POLICY[Role.ADMIN]


def test_routes_that_change_things_need_more_than_a_read() -> None:
    for route in api.declared:
        if route.method == "GET" or route.path.endswith("/quote"):  # a quote sells nothing
            continue
        assert not route.action.value.endswith(".read"), (route.method, route.path)


def test_reads_of_secrets_and_money_are_not_for_everyone() -> None:
    by_path = {(r.method, r.path): r.action for r in api.declared}
    assert by_path[("GET", "/api-keys")] == Action.API_KEYS_MANAGE
    assert by_path[("GET", "/audit")] == Action.AUDIT_READ
    assert by_path[("GET", "/events/{event_id}/tickets")] == Action.TICKETS_READ
    assert not allowed(Role.READ_ONLY, Action.TICKETS_READ)
