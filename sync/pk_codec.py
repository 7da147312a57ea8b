"""cr-sqlite 0.16.3's packed primary key: the ``pk`` of a change row.

Layout: one byte with the column count, then per value a header byte
``(nbytes << 3) | type`` (1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB, 5 NULL) followed by
- INTEGER: ``nbytes`` big-endian bytes; cr-sqlite writes negative numbers on 8 bytes and
  others on the fewest bytes that hold them (0 takes none);
- REAL: 8 bytes of big-endian IEEE 754 (``nbytes`` is 0);
- TEXT, BLOB: the byte length on ``nbytes`` big-endian bytes, then the bytes;
- NULL: nothing.
"""

from __future__ import annotations

import struct

from sync.errors import MalformedPackedKeyError
from sync.values import SqlValue

_INTEGER = 1
_REAL = 2
_TEXT = 3
_BLOB = 4
_NULL = 5
_PACK_DOUBLE = struct.Struct(">d")


def _unsigned_width(n: int) -> int:
    # cr-sqlite tests byte masks from the top: a set top byte (all negatives) means 8 bytes.
    if n < 0:
        return 8
    return (n.bit_length() + 7) // 8


# The count byte and header of a one-column key holding a non-negative integer, by width.
_SINGLE_INT_HEAD = tuple(bytes((1, (width << 3) | _INTEGER)) for width in range(9))


def pack_single(value: SqlValue) -> bytes:
    """``pack_pk((value,))``, quick for the usual key, one non-negative integer: the insert
    trigger packs the key of every written row, so this runs once per local write."""
    if type(value) is int and 0 <= value < 1 << 63:
        width = (value.bit_length() + 7) >> 3
        return _SINGLE_INT_HEAD[width] + value.to_bytes(width, "big")
    return _pack_values((value,))


def pack_pk(values: tuple[SqlValue, ...] | list[SqlValue]) -> bytes:
    """Pack key values exactly as cr-sqlite's ``crsql_pack_columns`` does."""
    if len(values) == 1:
        return pack_single(values[0])
    return _pack_values(values)


def _pack_values(values: tuple[SqlValue, ...] | list[SqlValue]) -> bytes:
    if len(values) > 255:
        raise MalformedPackedKeyError("a packed key holds at most 255 columns")
    out = bytearray((len(values),))
    for value in values:
        if value is None:
            out.append(_NULL)
        elif isinstance(value, int):
            if not -(1 << 63) <= value < (1 << 63):
                raise MalformedPackedKeyError(f"integer {value} does not fit in 64 bits")
            width = _unsigned_width(value)
            out.append((width << 3) | _INTEGER)
            out += (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "big")[8 - width :]
        elif isinstance(value, float):
            out.append(_REAL)
            out += _PACK_DOUBLE.pack(value)
        else:
            if isinstance(value, str):
                data = value.encode("utf-8")
                kind = _TEXT
            else:
                data = bytes(value)
                kind = _BLOB
            width = _unsigned_width(len(data))
            if width > 4:
                raise MalformedPackedKeyError("a key value longer than 4 GiB cannot be packed")
            out.append((width << 3) | kind)
            out += len(data).to_bytes(width, "big")
            out += data
    return bytes(out)


def _read_value(data: bytes, pos: int) -> tuple[SqlValue, int]:
    end = len(data)
    if pos >= end:
        raise MalformedPackedKeyError("packed key ends early")
    header = data[pos]
    pos += 1
    kind = header & 0x07
    width = header >> 3
    if kind == _INTEGER:
        if width > 8 or pos + width > end:
            raise MalformedPackedKeyError("bad integer in packed key")
        return int.from_bytes(data[pos : pos + width], "big", signed=width == 8), pos + width
    if kind == _REAL:
        if width != 0 or pos + 8 > end:
            raise MalformedPackedKeyError("bad real in packed key")
        return _PACK_DOUBLE.unpack_from(data, pos)[0], pos + 8
    if kind in (_TEXT, _BLOB):
        if width > 4 or pos + width > end:
            raise MalformedPackedKeyError("bad length in packed key")
        length = int.from_bytes(data[pos : pos + width], "big")
        pos += width
        if pos + length > end:
            raise MalformedPackedKeyError("packed key value runs past the end")
        chunk = data[pos : pos + length]
        if kind == _BLOB:
            return chunk, pos + length
        try:
            return chunk.decode("utf-8"), pos + length
        except UnicodeDecodeError as exc:
            raise MalformedPackedKeyError("text in packed key is not UTF-8") from exc
    if kind == _NULL:
        if width != 0:
            raise MalformedPackedKeyError("bad null in packed key")
        return None, pos
    raise MalformedPackedKeyError(f"unknown type {kind} in packed key")


def unpack_pk(packed: bytes) -> tuple[SqlValue, ...]:
    """Decode a packed key; any malformed input raises ``MalformedPackedKeyError``.

    Integers shorter than 8 bytes are read unsigned: that is the inverse of what cr-sqlite
    writes (it only ever writes negative numbers on 8 bytes).
    """
    if not isinstance(packed, bytes | bytearray | memoryview):
        raise MalformedPackedKeyError("a packed key must be bytes")
    data = bytes(packed)
    if not data:
        raise MalformedPackedKeyError("empty packed key")
    # Fast path for the usual key, one non-negative integer (most tables, most rows).
    if data[0] == 1 and len(data) >= 2 and data[1] & 0x07 == _INTEGER:
        width = data[1] >> 3
        if len(data) == 2 + width and width < 8:
            return (int.from_bytes(data[2:], "big"),)
    pos = 1
    out: list[SqlValue] = []
    for _ in range(data[0]):
        value, pos = _read_value(data, pos)
        out.append(value)
    if pos != len(data):
        raise MalformedPackedKeyError("trailing bytes after packed key")
    return tuple(out)
