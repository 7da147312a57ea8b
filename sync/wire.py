"""The changeset wire format: versioned, binary, compressed, streamable, authenticated.

Layout (all integers big-endian)::

    header   b"VGSY" | version (1 byte, = 1) | sender site id (16 bytes)
    frame*   kind (1 byte) | payload length (4 bytes) | payload | mac (32 bytes)

Frames of kind 1 carry change rows: a zlib-compressed msgpack array
``[tables, sites, cids, rows]`` where ``tables``, ``sites`` and ``cids`` are the distinct
strings (site ids) of the frame and each row is
``[table_index, pk, cid_index, val, col_version, db_version, site_index, cl, seq,
origin_version]``.
The last frame, of kind 2, carries the total number of rows (8 bytes).

Authentication: ``mac`` is HMAC-SHA256, keyed with the venue secret, over the previous
frame's mac (the header's own HMAC for the first frame), the frame's kind and length, and its
payload. The chain lets a reader check every frame as it arrives, and the final frame proves
that nothing was cut off or reordered. A changeset that fails any check is refused whole:
``decode_changeset`` returns rows only once the final frame has been verified.
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from sync.changes import Change
from sync.errors import AuthenticationError, WireFormatError

MAGIC = b"VGSY"
VERSION = 1
SITE_ID_LEN = 16
HEADER_LEN = len(MAGIC) + 1 + SITE_ID_LEN
MAC_LEN = 32
FRAME_HEAD_LEN = 5
KIND_ROWS = 1
KIND_END = 2
ROWS_PER_FRAME = 4096
MAX_PAYLOAD = 8 << 20
"""Largest compressed payload a reader accepts in one frame."""
MAX_EXPANDED = 64 << 20
"""Largest decompressed payload a reader accepts in one frame (no zip bombs)."""

# msgspec cannot type a union of str and bytes: values decode as Any and are checked below.
_Row = tuple[int, bytes, int, Any, int, int, int, int, int, int]
_VALUE_TYPES = (int, float, str, bytes, type(None))


class _Frame(msgspec.Struct, array_like=True, forbid_unknown_fields=True):
    tables: list[str]
    sites: list[bytes]
    cids: list[str]
    rows: list[_Row]


_ENCODER = msgspec.msgpack.Encoder()
_DECODER = msgspec.msgpack.Decoder(_Frame)


def _mac(key: bytes, previous: bytes, head: bytes, payload: bytes) -> bytes:
    digest = hmac.new(key, previous, hashlib.sha256)
    digest.update(head)
    digest.update(payload)
    return digest.digest()


def _frame_payload(rows: Sequence[Change]) -> bytes:
    tables: dict[str, int] = {}
    sites: dict[bytes, int] = {}
    cids: dict[str, int] = {}
    packed = [
        (
            tables.setdefault(c.table, len(tables)),
            c.pk,
            cids.setdefault(c.cid, len(cids)),
            c.val,
            c.col_version,
            c.db_version,
            sites.setdefault(c.site_id, len(sites)),
            c.cl,
            c.seq,
            c.origin_version,
        )
        for c in rows
    ]
    frame = _Frame(list(tables), list(sites), list(cids), packed)
    try:
        return zlib.compress(_ENCODER.encode(frame), 6)
    except (OverflowError, TypeError) as exc:
        raise WireFormatError(f"a change row cannot be encoded: {exc}") from exc


def encode_changeset(
    changes: Iterable[Change], *, secret: bytes, sender: bytes, rows_per_frame: int = ROWS_PER_FRAME
) -> Iterator[bytes]:
    """Encode change rows as a stream of byte chunks (the header, then one per frame)."""
    if len(sender) != SITE_ID_LEN:
        raise WireFormatError(f"a sender site id is {SITE_ID_LEN} bytes")
    header = MAGIC + bytes((VERSION,)) + sender
    yield header
    mac = hmac.new(secret, header, hashlib.sha256).digest()
    total = 0
    batch: list[Change] = []

    def frame(kind: int, payload: bytes) -> bytes:
        nonlocal mac
        head = bytes((kind,)) + len(payload).to_bytes(4, "big")
        mac = _mac(secret, mac, head, payload)
        return head + payload + mac

    for change in changes:
        batch.append(change)
        if len(batch) >= rows_per_frame:
            total += len(batch)
            yield frame(KIND_ROWS, _frame_payload(batch))
            batch = []
    if batch:
        total += len(batch)
        yield frame(KIND_ROWS, _frame_payload(batch))
    yield frame(KIND_END, total.to_bytes(8, "big"))


def encode_changeset_bytes(changes: Iterable[Change], *, secret: bytes, sender: bytes) -> bytes:
    """``encode_changeset`` joined into one bytes object."""
    return b"".join(encode_changeset(changes, secret=secret, sender=sender))


@dataclass(frozen=True, slots=True)
class Changeset:
    """A verified changeset: who sent it and its rows, in order."""

    sender: bytes
    changes: list[Change]


class ChangesetReader:
    """Incremental decoder: ``feed`` bytes as they arrive, ``finish`` at the end.

    Every error is a ``WireFormatError`` (malformed) or an ``AuthenticationError`` (a mac
    does not verify); after one, the reader refuses everything.
    """

    def __init__(self, *, secret: bytes) -> None:
        self._secret = secret
        self._buffer = bytearray()
        self._mac: bytes | None = None
        self._sender: bytes | None = None
        self._rows: list[Change] = []
        self._done = False
        self._failed = False

    def feed(self, data: bytes) -> None:
        """Consume bytes; raises as soon as something is wrong."""
        if self._failed:
            raise WireFormatError("the changeset was already refused")
        try:
            self._buffer += data
            self._drain()
        except (WireFormatError, AuthenticationError):
            self._failed = True
            raise

    def _drain(self) -> None:
        buf = self._buffer
        if self._mac is None:
            if len(buf) < HEADER_LEN:
                return
            header = bytes(buf[:HEADER_LEN])
            if header[:4] != MAGIC:
                raise WireFormatError("not a changeset")
            if header[4] != VERSION:
                raise WireFormatError(f"unsupported changeset version {header[4]}")
            self._sender = header[5:]
            self._mac = hmac.new(self._secret, header, hashlib.sha256).digest()
            del buf[:HEADER_LEN]
        while len(buf) >= FRAME_HEAD_LEN:
            if self._done:
                raise WireFormatError("bytes after the final frame")
            kind = buf[0]
            length = int.from_bytes(buf[1:5], "big")
            if kind not in (KIND_ROWS, KIND_END) or length > MAX_PAYLOAD:
                raise WireFormatError("bad frame header")
            end = FRAME_HEAD_LEN + length + MAC_LEN
            if len(buf) < end:
                return
            head = bytes(buf[:FRAME_HEAD_LEN])
            payload = bytes(buf[FRAME_HEAD_LEN : FRAME_HEAD_LEN + length])
            mac = bytes(buf[FRAME_HEAD_LEN + length : end])
            expected = _mac(self._secret, self._mac, head, payload)
            if not hmac.compare_digest(mac, expected):
                raise AuthenticationError("changeset frame failed authentication")
            self._mac = expected
            del buf[:end]
            if kind == KIND_END:
                if length != 8 or int.from_bytes(payload, "big") != len(self._rows):
                    raise WireFormatError("changeset row count does not match")
                self._done = True
            else:
                self._rows.extend(_decode_rows(payload))

    def finish(self) -> Changeset:
        """The verified changeset; raises unless the final frame arrived and verified."""
        if self._failed:
            raise WireFormatError("the changeset was refused")
        if not self._done or self._buffer or self._sender is None:
            self._failed = True
            raise WireFormatError("changeset is truncated")
        return Changeset(self._sender, self._rows)


def _decode_rows(payload: bytes) -> list[Change]:
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(payload, MAX_EXPANDED)
        if inflater.unconsumed_tail or not inflater.eof or inflater.unused_data:
            raise WireFormatError("frame payload is not one complete zlib stream in bounds")
        frame = _DECODER.decode(raw)
    except (zlib.error, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise WireFormatError(f"frame payload does not decode: {exc}") from exc
    tables, sites, cids = frame.tables, frame.sites, frame.cids
    out: list[Change] = []
    try:
        for t, pk, cid, val, col_version, db_version, site, cl, seq, origin in frame.rows:
            if t < 0 or cid < 0 or site < 0:
                raise WireFormatError("negative index in frame")
            if type(val) not in _VALUE_TYPES:
                raise WireFormatError("a value is not an SQLite value")
            out.append(
                Change(
                    tables[t],
                    pk,
                    cids[cid],
                    val,
                    col_version,
                    db_version,
                    sites[site],
                    cl,
                    seq,
                    origin,
                )
            )
    except IndexError as exc:
        raise WireFormatError("index out of range in frame") from exc
    return out


def decode_changeset(data: bytes | Iterable[bytes], *, secret: bytes) -> Changeset:
    """Decode and verify a whole changeset (bytes, or an iterable of byte chunks).

    Any bytes either give a verified ``Changeset`` or raise ``WireFormatError`` /
    ``AuthenticationError``; nothing is returned from a changeset that fails anywhere.
    """
    reader = ChangesetReader(secret=secret)
    if isinstance(data, bytes | bytearray | memoryview):
        reader.feed(bytes(data))
    else:
        for chunk in data:
            reader.feed(chunk)
    return reader.finish()
