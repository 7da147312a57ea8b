"""Which rows a batch of merged change rows touched, as the scan service reads them back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from sync.changes import Change
from sync.pk_codec import unpack_pk

# Tables the EventContext is read from: a merge touching one re-reads it (a few rows; the
# per-ticket tables are read back row by row instead).
EVENT_TABLES: Final = frozenset({"event", "event_keys", "ticket_types", "gate_rules", "gates"})


@dataclass
class MergedRows:
    """The ids of the rows touched per table, and whether an event-level table changed."""

    event_changed: bool = False
    ids: dict[str, set[str]] = field(default_factory=dict)


def merged_rows(changes: Sequence[Change]) -> MergedRows:
    """Group change rows (one per column) by the row they change."""
    merged = MergedRows()
    seen: set[tuple[str, bytes]] = set()
    for change in changes:
        table = change.table
        if table in EVENT_TABLES:
            merged.event_changed = True
            continue
        if (table, change.pk) in seen:
            continue  # the row's other columns: its key is known
        seen.add((table, change.pk))
        key = unpack_pk(change.pk)
        if len(key) == 1 and isinstance(key[0], str):
            merged.ids.setdefault(table, set()).add(key[0])
    return merged
