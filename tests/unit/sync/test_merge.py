"""The merge rules on in-memory row state, one rule at a time, and their algebra."""

from __future__ import annotations

import copy
import itertools

from hypothesis import given
from hypothesis import strategies as st

from sync.changes import Change
from sync.merge import RowState, VersionClock, merge_change

A = b"\xa1" * 16
B = b"\xb2" * 16
PK = b"\x01\x09\x01"


def col(
    cid: str,
    val: object,
    col_version: int,
    db_version: int = 1,
    *,
    cl: int = 1,
    site: bytes = A,
    seq: int = 0,
) -> Change:
    return Change("t", PK, cid, val, col_version, db_version, site, cl, seq)  # type: ignore[arg-type]


def marker(cl: int, db_version: int = 1, *, site: bytes = A) -> Change:
    return Change("t", PK, "-1", None, cl, db_version, site, cl, 0)


def fresh() -> RowState:
    return RowState(existed=False, exists=False)


def test_a_new_row_takes_every_column_and_no_marker() -> None:
    row, clock = fresh(), VersionClock(0)
    assert merge_change(row, col("v", "x", 1), clock)
    assert merge_change(row, col("w", "y", 1, seq=1), clock)
    assert row.exists
    assert row.values == {"v": "x", "w": "y"}
    assert row.sentinel is None
    assert row.cl == 1
    assert clock.pending == 1


def test_higher_col_version_wins_and_lower_loses() -> None:
    row, clock = fresh(), VersionClock(0)
    merge_change(row, col("v", "old", 2), clock)
    assert not merge_change(row, col("v", "older", 1), clock)
    assert merge_change(row, col("v", "new", 3), clock)
    assert row.values["v"] == "new"


def test_equal_col_version_is_broken_by_value_and_equal_values_keep_the_local_clock() -> None:
    row, clock = fresh(), VersionClock(0)
    merge_change(row, col("v", "apple", 2, site=A), clock)
    assert merge_change(row, col("v", "banana", 2, site=B), clock)
    assert not merge_change(row, col("v", "apple", 2, site=A), clock)
    assert not merge_change(row, col("v", "banana", 2, site=A), clock)
    assert row.clocks["v"][2] == B


def test_a_delete_with_a_higher_causal_length_wins_over_updates() -> None:
    row, clock = fresh(), VersionClock(0)
    merge_change(row, col("v", "a", 1), clock)
    assert merge_change(row, marker(2), clock)
    assert not row.exists
    assert row.clocks == {}
    assert row.cl == 2
    assert not merge_change(row, col("v", "edited", 2, cl=1, site=B), clock)


def test_a_revived_row_zeroes_the_clocks_of_its_previous_life() -> None:
    row, clock = fresh(), VersionClock(0)
    merge_change(row, col("v", "life1", 5), clock)
    assert merge_change(row, marker(3, 4), clock)
    assert row.cl == 3
    assert row.clocks["v"][0] == 0
    assert merge_change(row, col("v", "life3", 1, 4, cl=3, seq=1), clock)
    assert row.values["v"] == "life3"


def test_the_clock_never_goes_below_an_incoming_db_version() -> None:
    clock = VersionClock(5)
    assert clock.next(2) == 6
    assert clock.next(9) == 9
    assert clock.next(1) == 9


cells = st.lists(
    st.builds(
        col,
        cid=st.sampled_from(["v", "w"]),
        val=st.one_of(st.none(), st.integers(-3, 3), st.text("ab", max_size=2)),
        col_version=st.integers(1, 3),
        db_version=st.integers(1, 5),
        cl=st.sampled_from([1, 3]),
        site=st.sampled_from([A, B]),
    )
    | st.builds(marker, cl=st.integers(1, 4), db_version=st.integers(1, 5)),
    max_size=5,
)


def _outcome(changes: list[Change]) -> tuple[bool, list[tuple[str, str]], int]:
    row, clock = fresh(), VersionClock(0)
    for change in changes:
        merge_change(row, change, clock)
    values = sorted((k, repr(v)) for k, v in row.values.items()) if row.exists else []
    return row.exists, values, row.cl


@given(cells)
def test_merging_is_idempotent(changes: list[Change]) -> None:
    row, clock = fresh(), VersionClock(0)
    for change in changes:
        merge_change(row, change, clock)
    before = copy.deepcopy(row)
    for change in changes:
        assert not merge_change(row, change, clock)
    assert row.values == before.values
    assert row.clocks == before.clocks


@given(cells)
def test_the_order_of_columns_within_a_life_does_not_matter(changes: list[Change]) -> None:
    lives = [c for c in changes if c.cid != "-1" and c.cl == 1]
    outcomes = {repr(_outcome(list(p))) for p in itertools.permutations(lives)}
    assert len(outcomes) <= 1


def test_with_merge_equal_values_the_greater_site_takes_an_equal_value() -> None:
    row, clock = fresh(), VersionClock(0)
    merge_change(row, col("v", "same", 1, site=A), clock, merge_equal_values=True)
    assert merge_change(row, col("v", "same", 1, site=B), clock, merge_equal_values=True)
    assert not merge_change(row, col("v", "same", 1, site=A), clock, merge_equal_values=True)
    assert row.clocks["v"][2] == B
