"""Long lists on pages: which page the visitor asked for, and where it sits in the list."""

from __future__ import annotations

from dataclasses import dataclass

from hub.schemas import Paging

PAGE_SIZE = 100


def requested(page: str | None) -> Paging:
    """The `Paging` of `?page=N` (1-based); a missing or silly value is the first page."""
    number = int(page) if page and page.isdigit() and 0 < len(page) < 7 else 1
    return Paging(limit=PAGE_SIZE, offset=(max(number, 1) - 1) * PAGE_SIZE)


@dataclass(frozen=True)
class Pages:
    """What the pager shows: items first..last of total, and the neighbouring pages."""

    first: int
    last: int
    total: int
    limit: int
    previous: int | None
    next: int | None


def pages(paging: Paging, shown: int, total: int) -> Pages:
    number = paging.offset // paging.limit + 1
    return Pages(
        first=paging.offset + 1 if shown else 0,
        last=paging.offset + shown,
        total=total,
        limit=paging.limit,
        previous=number - 1 if number > 1 else None,
        next=number + 1 if paging.offset + shown < total else None,
    )
