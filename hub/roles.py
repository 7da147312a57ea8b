"""Roles and the one policy table that says which role may do what.

Every route names one `Action`; `allowed(role, action)` is the only place a role is turned
into a permission, so the policy can be read (and tested) in one screen.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Role(StrEnum):
    """A member's role within one organisation."""

    ADMIN = "admin"
    EVENT_MANAGER = "event_manager"
    DOOR_STAFF = "door_staff"
    FINANCE = "finance"
    READ_ONLY = "read_only"


class Action(StrEnum):
    """Everything a route can do, named for the user's intent."""

    ORG_READ = "org.read"
    ORG_MANAGE = "org.manage"
    MEMBERS_READ = "members.read"
    MEMBERS_MANAGE = "members.manage"
    API_KEYS_MANAGE = "api_keys.manage"
    AUDIT_READ = "audit.read"
    VENUES_READ = "venues.read"
    VENUES_WRITE = "venues.write"
    EVENTS_READ = "events.read"
    EVENTS_WRITE = "events.write"
    EVENTS_PUBLISH = "events.publish"
    KEYS_ROTATE = "keys.rotate"
    TICKETS_READ = "tickets.read"
    TICKETS_ISSUE = "tickets.issue"
    PACKAGE_EXPORT = "package.export"
    DEVICES_READ = "devices.read"
    DEVICES_MANAGE = "devices.manage"


_EVERYONE: Final = frozenset(Role)
_READERS: Final = frozenset(
    {Action.ORG_READ, Action.VENUES_READ, Action.EVENTS_READ, Action.MEMBERS_READ}
)

POLICY: Final[dict[Role, frozenset[Action]]] = {
    Role.ADMIN: frozenset(Action),
    Role.EVENT_MANAGER: _READERS
    | {
        Action.VENUES_WRITE,
        Action.EVENTS_WRITE,
        Action.EVENTS_PUBLISH,
        Action.KEYS_ROTATE,
        Action.TICKETS_READ,
        Action.TICKETS_ISSUE,
        Action.PACKAGE_EXPORT,
        Action.DEVICES_READ,
        Action.DEVICES_MANAGE,
    },
    # Door staff set up gates: they read events, carry the package to the venue and see
    # which devices are enrolled (adding one, which mints a token, is for managers).
    Role.DOOR_STAFF: _READERS | {Action.TICKETS_READ, Action.PACKAGE_EXPORT, Action.DEVICES_READ},
    Role.FINANCE: _READERS | {Action.TICKETS_READ, Action.AUDIT_READ},
    Role.READ_ONLY: _READERS,
}

ROLE_LABELS: Final = {
    Role.ADMIN: "Admin",
    Role.EVENT_MANAGER: "Event manager",
    Role.DOOR_STAFF: "Door staff",
    Role.FINANCE: "Finance",
    Role.READ_ONLY: "Read-only",
}


def allowed(role: Role, action: Action) -> bool:
    """Whether `role` may perform `action` in its organisation."""
    return action in POLICY[role]


assert set(POLICY) == _EVERYONE, "every role needs a policy entry"
