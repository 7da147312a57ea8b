"""Seat batch generation: pure, so the builder's preview and the stored seats agree."""

from __future__ import annotations

import string
from dataclasses import dataclass

from hub.errors import ValidationFailed

MAX_BATCH_SEATS = 20_000


@dataclass(frozen=True)
class SeatSpec:
    row_label: str
    number: int
    label: str
    grid_row: int
    grid_column: int


def seat_text(section: str, label: str) -> str:
    """How a ticket and the gate name a seat: its section and its label ("Balcony C12")."""
    return f"{section} {label}"


def row_labels(first: str, last: str) -> list[str]:
    """Row labels from `first` to `last`: letters (A..Z, AA..) or numbers (1..30)."""
    if first.isdigit() and last.isdigit():
        lo, hi = int(first), int(last)
        _check_range(first, last, lo, hi)
        return [str(n) for n in range(lo, hi + 1)]
    if first.isalpha() and last.isalpha():
        lo, hi = _letters_index(first.upper()), _letters_index(last.upper())
        _check_range(first, last, lo, hi)
        return [_letters(n) for n in range(lo, hi + 1)]
    raise ValidationFailed("rows are letters (A to Z) or numbers (1 to 30), not a mix")


def _check_range(first: str, last: str, lo: int, hi: int) -> None:
    if lo > hi:
        raise ValidationFailed(f"row {first} comes after row {last}")
    # Before the labels are made: eight-character labels allow billions of rows.
    if hi - lo + 1 > MAX_BATCH_SEATS:
        raise ValidationFailed(f"a batch makes at most {MAX_BATCH_SEATS} seats")


def generate_seats(
    first_row: str,
    last_row: str,
    *,
    first_seat: int,
    last_seat: int,
    skip_seats: list[int],
    aisles_after: list[int],
    start_grid_row: int,
) -> list[SeatSpec]:
    """The seats of a batch, with grid positions: skipped numbers leave a gap in the row and
    each aisle adds an empty column after its seat number."""
    if first_seat > last_seat:
        raise ValidationFailed(f"seat {first_seat} comes after seat {last_seat}")
    labels = row_labels(first_row, last_row)
    skipped = set(skip_seats)
    numbers = [n for n in range(first_seat, last_seat + 1) if n not in skipped]
    if not numbers:
        raise ValidationFailed("every seat of the range is skipped")
    if len(labels) * len(numbers) > MAX_BATCH_SEATS:
        raise ValidationFailed(f"a batch makes at most {MAX_BATCH_SEATS} seats")
    aisles = sorted(set(aisles_after))
    seats = []
    for offset, row in enumerate(labels):
        for number in numbers:
            column = number - first_seat + sum(1 for a in aisles if a < number)
            seats.append(SeatSpec(row, number, f"{row}{number}", start_grid_row + offset, column))
    return seats


def _letters_index(text: str) -> int:
    # A=0 .. Z=25, AA=26 ..: spreadsheet-style, as venues label rows past Z.
    value = 0
    for char in text:
        value = value * 26 + (ord(char) - ord("A") + 1)
    return value - 1


def _letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = string.ascii_uppercase[rem] + out
    return out
