"""Per-event Ed25519 signing keys and their rotation.

The newest unretired key signs new tickets. Rotation retires the current key (it still
verifies the tickets it signed: gates keep it, marked retired) and makes the next one.
"""

from __future__ import annotations

import base64
import datetime as dt

from tortoise.transactions import in_transaction

from contract.ticket_token import SigningKey, TicketClaims, sign_token
from hub.errors import InvalidTransition
from hub.models import Event, EventKey, EventStatus, Ticket
from hub.replication import event_rows as replication
from hub.roles import Action
from hub.schemas import KeyOut, KeyRotated
from hub.services import audit
from hub.tenancy import Principal, get_owned, require, scoped

MAX_KEY_ID = 0xFFFF


def key_out(k: EventKey) -> KeyOut:
    return KeyOut(
        k.key_id,
        base64.b64encode(k.public_key).decode(),
        k.created_at,
        k.retired_at,
        k.revoked_at,
    )


async def create_first_key(principal: Principal, event: Event, now: dt.datetime) -> None:
    await _create(principal, event, 1, now)


async def _create(principal: Principal, event: Event, key_id: int, now: dt.datetime) -> EventKey:
    key = SigningKey.generate(key_id)
    return await EventKey.create(
        org_id=principal.org_id,
        event=event,
        key_id=key_id,
        seed=key.seed,
        public_key=key.public_key,
        created_at=now,
    )


async def list_keys(principal: Principal, event_id: object) -> list[KeyOut]:
    require(principal, Action.EVENTS_READ)
    event = await get_owned(Event, principal, event_id)
    rows = await scoped(EventKey, principal, event_id=event.id).order_by("key_id")
    return [key_out(k) for k in rows]


async def signing_key(principal: Principal, event: Event) -> SigningKey:
    """The key that signs the event's new tickets."""
    row = (
        await scoped(
            EventKey, principal, event_id=event.id, retired_at__isnull=True, revoked_at__isnull=True
        )
        .order_by("-key_id")
        .first()
    )
    if row is None:
        raise InvalidTransition("the event has no active signing key: rotate to make one")
    return SigningKey(row.key_id, bytes(row.seed))


async def rotate(
    principal: Principal, event_id: object, compromised: bool, now: dt.datetime
) -> KeyRotated:
    """Retire the active key and make the next one; gates need a fresh package afterwards.

    With `compromised`, every unrevoked key is revoked and the tickets they signed are
    re-signed with the new key, in one transaction.
    """
    require(principal, Action.KEYS_ROTATE)
    event = await get_owned(Event, principal, event_id)
    if event.status in (EventStatus.ENDED, EventStatus.CANCELLED):
        raise InvalidTransition(f"the event is {event.status.value}: its keys no longer change")
    async with in_transaction() as conn:
        rows = await scoped(EventKey, principal, event_id=event.id).select_for_update()
        newest = max((k.key_id for k in rows), default=0)
        if newest >= MAX_KEY_ID:
            raise InvalidTransition("the event has used every key id")
        await scoped(EventKey, principal, event_id=event.id, retired_at__isnull=True).update(
            retired_at=now
        )
        new = await _create(principal, event, newest + 1, now)
        resigned = 0
        if compromised:
            old_ids = [k.key_id for k in rows if k.revoked_at is None]
            await scoped(EventKey, principal, event_id=event.id, key_id__in=old_ids).update(
                revoked_at=now
            )
            resigned = await _resign(principal, event, old_ids, new)
        await audit.record(
            principal,
            "event.key_rotated",
            f"event {event.name}",
            now,
            key_id=new.key_id,
            compromised=compromised,
            resigned=resigned,
        )
        await replication.publish_event(conn, event, now, ("event_keys",))
    return KeyRotated(key_out(new), resigned)


async def _resign(principal: Principal, event: Event, old_key_ids: list[int], new: EventKey) -> int:
    key = SigningKey(new.key_id, bytes(new.seed))
    tickets = await scoped(Ticket, principal, event_id=event.id, key_id__in=old_key_ids)
    for t in tickets:
        t.key_id = key.key_id
        t.token = sign_token(TicketClaims(event.id, t.id, t.ticket_type_id, key.key_id), key)
    if tickets:
        await Ticket.bulk_update(tickets, fields=["key_id", "token"], batch_size=500)
    return len(tickets)
