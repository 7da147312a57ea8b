"""Real ticket tokens for the hardware tests: signed by a demo event, as printed on tickets."""

from __future__ import annotations

import datetime as dt

import pytest

from voelgoed.demo_event import build_demo_event


@pytest.fixture(scope="session")
def tokens() -> list[str]:
    """QR texts of 40 real demo tickets (177 and 189 characters)."""
    return [t.qr for t in build_demo_event(40, now=dt.datetime.now(dt.UTC), seed=5).tickets]
