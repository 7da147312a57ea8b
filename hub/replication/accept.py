"""The hub's own check of what gates push (``sync.replica.Replica(accept=...)`` at a gate).

Gates relay the hub's rows to each other, so a push may carry rows of the hub's site: they
merge as no-ops. A gate's own write to a table only the hub writes (tickets, revocations,
keys...) is refused. Scans and annulments whose values the hub's models cannot hold are
refused by ``hub.replication.ingest`` as it projects them, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

from hub.replication.tables import HUB_TABLES
from sync.changes import Change
from sync.errors import RefusedChangeError


def hub_accept(batch: Sequence[Change], hub_site: bytes) -> None:
    """Refuse (``RefusedChangeError``) a batch with a gate's write to a hub table."""
    if HUB_TABLES.isdisjoint(map(itemgetter(0), batch)):
        return  # the usual push: scans, annulments, audit entries
    for change in batch:
        if change.table in HUB_TABLES and change.site_id != hub_site:
            raise RefusedChangeError(
                f"table {change.table!r} is written by the hub only: a change from site"
                f" {change.site_id.hex()} is refused (publish it at the hub)"
            )
