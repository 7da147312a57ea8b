"""The audit log of sensitive changes."""

from __future__ import annotations

import datetime as dt

from hub.models import AuditEntry
from hub.roles import Action
from hub.schemas import AuditOut, Paging
from hub.tenancy import Principal, require, scoped


async def record(
    principal: Principal, action: str, target: str, now: dt.datetime, **detail: object
) -> None:
    """Append one entry for the principal's org."""
    await AuditEntry.create(
        org_id=principal.org_id,
        # A member is shown as "name <email>", up to 457 characters: the log keeps 300.
        actor=_clip(principal.display),
        action=action,
        target=_clip(target),
        detail={k: str(v) for k, v in detail.items()},
        at=now,
    )


def _clip(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


async def entries(principal: Principal, paging: Paging) -> tuple[list[AuditOut], int]:
    """One page of the log, newest first, and how many entries there are in all."""
    require(principal, Action.AUDIT_READ)
    query = scoped(AuditEntry, principal)
    rows = await query.order_by("-at", "-id").offset(paging.offset).limit(paging.limit)
    total = await query.count()
    return [AuditOut(r.actor, r.action, r.target, r.detail, r.at) for r in rows], total
