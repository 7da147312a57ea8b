"""Errors of the hub's replication peer: ``sync``'s tree (its codes go on the wire), plus
what only the hub can say."""

from __future__ import annotations

from sync.errors import SyncError


class UnknownEventError(SyncError):
    """The sync path names no event of this hub (answered 404)."""

    code = "unknown_event"


class NotInTransactionError(SyncError):
    """A merge or publication ran outside a transaction: what it writes must commit, or
    roll back, with the hub change or ingest it stands for."""

    code = "not_in_transaction"
