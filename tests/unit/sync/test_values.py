"""cr-sqlite's order over SQLite values, which breaks equal col_version ties."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from sync.values import SqlValue, compare_values

any_value = st.one_of(st.none(), st.integers(), st.floats(allow_nan=False), st.text(), st.binary())


def test_storage_classes_order_integer_real_text_blob_null() -> None:
    ladder: list[SqlValue] = [5, 2.5, "text", b"\x00", None]
    for higher, lower in itertools.pairwise(ladder):
        assert compare_values(higher, lower) > 0
        assert compare_values(lower, higher) < 0


def test_within_a_class_values_order_naturally() -> None:
    assert compare_values("banana", "apple") > 0
    assert compare_values("w2", "w") > 0
    assert compare_values(b"\x01", b"\x00\xff") > 0
    assert compare_values(-3, 2) < 0
    assert compare_values(None, None) == 0


@given(any_value, any_value)
def test_is_antisymmetric(left: SqlValue, right: SqlValue) -> None:
    assert (compare_values(left, right) > 0) == (compare_values(right, left) < 0)


@given(any_value, any_value, any_value)
def test_is_transitive(a: SqlValue, b: SqlValue, c: SqlValue) -> None:
    if compare_values(a, b) >= 0 and compare_values(b, c) >= 0:
        assert compare_values(a, c) >= 0
