"""SQLite values as the engine sees them, and cr-sqlite's total order over them."""

from __future__ import annotations

from typing import TypeAlias

SqlValue: TypeAlias = int | float | str | bytes | None
"""One SQLite value in one of the five storage classes."""

# cr-sqlite orders storage classes by SQLite's type codes, reversed: INTEGER(1) sorts above
# REAL(2), above TEXT(3), above BLOB(4), above NULL(5). It is not SQLite's own ORDER BY.
_CLASS_RANK: dict[type, int] = {int: 5, float: 4, str: 3, bytes: 2, type(None): 1}


def storage_rank(value: SqlValue) -> int:
    """Rank of a value's storage class in cr-sqlite's ordering (higher wins a tie)."""
    if isinstance(value, bool):
        return 5
    return _CLASS_RANK[type(value)]


def compare_values(left: SqlValue, right: SqlValue) -> int:
    """Compare two values as cr-sqlite 0.16.3 does; negative, zero or positive.

    Values of different storage classes order INTEGER > REAL > TEXT > BLOB > NULL; within a
    class integers and reals compare numerically, text by its UTF-8 bytes (the same order as
    by code points) and blobs bytewise.
    """
    lrank = storage_rank(left)
    rrank = storage_rank(right)
    if lrank != rrank:
        return lrank - rrank
    if left is None or right is None:
        return 0
    if left < right:  # type: ignore[operator]
        return -1
    if left > right:  # type: ignore[operator]
        return 1
    return 0
