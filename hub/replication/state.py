"""A row's replication state as stored in PostgreSQL: ``sync.merge.RowState`` in msgpack.

Values are SQLite values (int, float, str, bytes, None) and msgpack keeps each type, so a
value merged at the hub compares exactly as it does at a gate.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import msgspec

from sync.changes import Change
from sync.merge import ClockEntry, RowState
from sync.schema import SENTINEL
from sync.values import SqlValue

_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder()


def encode_state(row: RowState) -> bytes:
    """The persisted form: [exists, sentinel, {cid: clock}, {cid: value}]."""
    return _ENCODER.encode([row.exists, row.sentinel, row.clocks, row.values])


def decode_state(data: bytes) -> RowState:
    """A stored state as the merge works on it (``existed``: the row was there before)."""
    exists, sentinel, clocks, values = _DECODER.decode(data)
    return RowState(
        existed=bool(exists),
        exists=bool(exists),
        sentinel=None if sentinel is None else _clock(sentinel),
        clocks={cid: _clock(entry) for cid, entry in clocks.items()},
        values=values,
        had_metadata=True,
    )


def _clock(entry: list[Any]) -> ClockEntry:
    cv, dbv, site, seq, origin = entry
    return (int(cv), int(dbv), bytes(site), int(seq), int(origin))


def origins(row: RowState) -> dict[bytes, int]:
    """Per site that wrote a cell of the row, the highest origin version among its cells."""
    found: dict[bytes, int] = {}
    entries = list(row.clocks.values())
    if row.sentinel is not None:
        entries.append(row.sentinel)
    for _cv, _dbv, site, _seq, origin in entries:
        if origin > found.get(site, -1):
            found[site] = origin
    return found


def cells(
    table: str, pk: bytes, row: RowState, wants: Mapping[bytes, int]
) -> Iterator[tuple[int, int, int, Change]]:
    """The row's change rows whose origin version is above what ``wants`` holds for their
    site, each with its order key (db_version, seq, cell) as a replica sends them."""
    cl = row.cl
    if row.sentinel is not None:
        cv, dbv, site, seq, origin = row.sentinel
        if origin > wants.get(site, 0):
            yield dbv, seq, 0, Change(table, pk, SENTINEL, None, cv, dbv, site, cl, seq, origin)
    for position, (cid, (cv, dbv, site, seq, origin)) in enumerate(row.clocks.items(), 1):
        if origin > wants.get(site, 0):
            val: SqlValue = row.values.get(cid)
            yield dbv, seq, position, Change(table, pk, cid, val, cv, dbv, site, cl, seq, origin)
