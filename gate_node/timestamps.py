"""Times and time-ordered ids as the replica stores them."""

from __future__ import annotations

import datetime as dt
import os


def format_time(moment: dt.datetime) -> str:
    """Replica time text: ISO 8601 UTC with milliseconds and a Z, which sorts as time does."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def time_ordered_id(now: dt.datetime) -> str:
    """A UUIDv7-shaped id: time-ordered, so new rows append to the end of a primary key."""
    ms = int(now.timestamp() * 1000) & 0xFFFF_FFFF_FFFF
    rand = int.from_bytes(os.urandom(10))
    rand_a, rand_b = (rand >> 62) & 0xFFF, rand & (2**62 - 1)
    n = (ms << 80) | (0x7 << 76) | (rand_a << 64) | (0b10 << 62) | rand_b
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def parse_time(text: str) -> dt.datetime:
    """Inverse of `format_time`; also accepts any ISO 8601 time with an offset."""
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment
