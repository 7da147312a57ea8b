"""Seat batches: row labels, seat numbers, skipped seats and aisles on the plan's grid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import ValidationFailed
from hub.seating import MAX_BATCH_SEATS, SeatSpec, generate_seats, row_labels


def seats(
    first_row: str = "A",
    last_row: str = "A",
    first_seat: int = 1,
    last_seat: int = 5,
    skip: list[int] | None = None,
    aisles: list[int] | None = None,
    start: int = 0,
) -> list[SeatSpec]:
    return generate_seats(
        first_row,
        last_row,
        first_seat=first_seat,
        last_seat=last_seat,
        skip_seats=skip or [],
        aisles_after=aisles or [],
        start_grid_row=start,
    )


def test_letter_rows_run_past_z_like_a_spreadsheet() -> None:
    assert row_labels("A", "C") == ["A", "B", "C"]
    assert row_labels("X", "AC") == ["X", "Y", "Z", "AA", "AB", "AC"]
    assert row_labels("AZ", "BA") == ["AZ", "BA"]
    assert row_labels("ZZ", "AAA") == ["ZZ", "AAA"]
    assert row_labels("b", "d") == ["B", "C", "D"]
    assert len(row_labels("A", "ZZ")) == 26 + 26 * 26


def test_numbered_rows_count_as_numbers() -> None:
    assert row_labels("1", "3") == ["1", "2", "3"]
    assert row_labels("9", "11") == ["9", "10", "11"]
    assert row_labels("7", "7") == ["7"]


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("C", "A", "row C comes after row A"),
        ("AA", "Z", "row AA comes after row Z"),
        ("10", "9", "row 10 comes after row 9"),
        ("A", "3", "not a mix"),
        ("1", "C", "not a mix"),
        ("A1", "A3", "not a mix"),
    ],
)
def test_bad_row_ranges_say_why(first: str, last: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        row_labels(first, last)


def test_an_enormous_row_range_is_refused_without_building_it() -> None:
    # The API allows row labels of eight characters: "A".."ZZZZZZZZ" is 217 billion rows.
    with pytest.raises(ValidationFailed, match="at most"):
        row_labels("A", "ZZZZZZZZ")
    with pytest.raises(ValidationFailed, match="at most"):
        row_labels("1", "99999999")
    with pytest.raises(ValidationFailed, match="at most"):
        seats("A", "ZZZZZZZZ")


def test_seats_are_labelled_and_placed_row_by_row() -> None:
    made = seats("A", "B", 1, 3, start=4)
    assert [(s.label, s.grid_row, s.grid_column) for s in made] == [
        ("A1", 4, 0),
        ("A2", 4, 1),
        ("A3", 4, 2),
        ("B1", 5, 0),
        ("B2", 5, 1),
        ("B3", 5, 2),
    ]
    assert {(s.row_label, s.number) for s in made} == {(r, n) for r in "AB" for n in (1, 2, 3)}


def test_skipped_seats_leave_a_gap_and_are_not_made() -> None:
    made = seats(first_seat=1, last_seat=5, skip=[3])
    assert [(s.number, s.grid_column) for s in made] == [(1, 0), (2, 1), (4, 3), (5, 4)]


def test_each_aisle_adds_an_empty_column_after_its_seat() -> None:
    made = seats(first_seat=1, last_seat=6, aisles=[2, 4, 4])
    assert [(s.number, s.grid_column) for s in made] == [
        (1, 0),
        (2, 1),
        (3, 3),
        (4, 4),
        (5, 6),
        (6, 7),
    ]
    # An aisle after the last seat changes nothing; numbering from 101 starts at column 0.
    assert [s.grid_column for s in seats(first_seat=101, last_seat=102, aisles=[102])] == [0, 1]


def test_bad_seat_ranges_say_why() -> None:
    with pytest.raises(ValidationFailed, match="seat 5 comes after seat 2"):
        seats(first_seat=5, last_seat=2)
    with pytest.raises(ValidationFailed, match="every seat of the range is skipped"):
        seats(first_seat=1, last_seat=2, skip=[1, 2])
    with pytest.raises(ValidationFailed, match=f"at most {MAX_BATCH_SEATS} seats"):
        seats("1", "200", 1, 999)


letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=3)


@given(first=letters, last=letters)
def test_letter_ranges_are_consecutive(first: str, last: str) -> None:
    try:
        labels = row_labels(first, last)
    except ValidationFailed:
        return
    assert labels[0] == first
    assert labels[-1] == last
    # Spreadsheet order: shorter labels first, then alphabetical.
    keys = [(len(x), x) for x in labels]
    assert keys == sorted(keys)
    assert len(set(labels)) == len(labels)


@given(
    rows=st.integers(1, 5),
    first_seat=st.integers(1, 30),
    width=st.integers(0, 30),
    skip=st.lists(st.integers(1, 60), max_size=5),
    aisles=st.lists(st.integers(1, 60), max_size=5),
)
def test_a_batch_never_puts_two_seats_in_one_place(
    rows: int, first_seat: int, width: int, skip: list[int], aisles: list[int]
) -> None:
    try:
        made = seats("1", str(rows), first_seat, first_seat + width, skip, aisles)
    except ValidationFailed:
        return
    assert len({(s.grid_row, s.grid_column) for s in made}) == len(made)
    assert len({s.label for s in made}) == len(made)
    assert not {s.number for s in made} & set(skip)
    for row in range(1, rows + 1):
        columns = [s.grid_column for s in made if s.row_label == str(row)]
        assert columns == sorted(columns)
        assert columns[0] >= 0
