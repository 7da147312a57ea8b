"""The one layer that applies the tenant filter and the role policy.

A `Principal` is who is asking (a signed-in member or an API key) in which org with which
role. Services never query a tenant model directly: they go through `scoped` / `get_owned`,
which add `org_id = principal.org_id`, and start with `require`, which checks the policy.
Another org's object therefore looks exactly like a missing one (404), never a 403 that
would disclose that it exists.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from tortoise.models import Model
from tortoise.queryset import QuerySet

from hub.errors import Forbidden, NotFound
from hub.roles import Action, Role, allowed

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (user_id) or an API key (api_key_id), in one org, as one role."""

    org_id: uuid.UUID
    org_slug: str
    role: Role
    user_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    display: str = ""

    def can(self, action: Action) -> bool:
        return allowed(self.role, action)


def require(principal: Principal, action: Action) -> None:
    """Raise Forbidden unless the principal's role allows `action`."""
    if not principal.can(action):
        raise Forbidden(f"the {principal.role.value} role may not do {action.value}")


def scoped(model: type[M], principal: Principal, **filters: Any) -> QuerySet[M]:
    """`model`'s rows of the principal's org only."""
    return model.filter(org_id=principal.org_id, **filters)


async def get_owned(model: type[M], principal: Principal, object_id: object, **filters: Any) -> M:
    """One row of the principal's org by id; NotFound for a missing, malformed or foreign id."""
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound(f"no such {_label(model)}") from None
    row = await scoped(model, principal, id=key, **filters).first()
    if row is None:
        raise NotFound(f"no such {_label(model)}")
    return row


def _label(model: type[Model]) -> str:
    return {
        "SeatingLayout": "seating layout",
        "PriceZone": "price zone",
        "TicketType": "ticket type",
        "PriceRule": "price rule",
        "CheckInList": "check-in list",
        "GateRuleRow": "gate rule",
        "EventSession": "event date",
        "ApiKey": "API key",
        "EventGate": "gate",
    }.get(model.__name__, model.__name__.lower())
