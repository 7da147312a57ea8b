"""The hub link's pure parts: the headers of a signed request, and the hub's clock read
from its Date header."""

from __future__ import annotations

import email.utils

import pytest

from gate_node.hub_link import HubTarget, date_offset_ms, device_signer
from sync.device_auth import new_device_key, verify_signed_headers
from sync.errors import AuthenticationError


def target() -> HubTarget:
    return HubTarget(
        hub_url="http://hub",
        sync_path="/sync/events/e1",
        device_id="d-1",
        key=new_device_key(),
        venue_secret=b"s" * 32,
        software_version="1.2.3",
    )


def test_requests_are_signed_by_the_device_and_carry_version_and_backlog() -> None:
    t = target()
    headers = device_signer(t, lambda: 7)("POST", "/sync/events/e1/push", b"body")
    assert headers["x-software-version"] == "1.2.3"
    assert headers["x-replication-backlog"] == "7"
    signed = verify_signed_headers(
        "POST",
        "/sync/events/e1/push",
        headers,
        public_key_of=lambda device: t.key.verify_key.encode() if device == "d-1" else None,
        now_ms=int(headers["x-device-time"]),
        max_body=100,
    )
    assert signed.device == "d-1"
    assert signed.length == 4
    with pytest.raises(AuthenticationError):
        verify_signed_headers(
            "POST",
            "/sync/events/e2/push",
            headers,
            public_key_of=lambda device: t.key.verify_key.encode(),
            now_ms=int(headers["x-device-time"]),
            max_body=100,
        )


def test_an_unknown_backlog_is_not_sent() -> None:
    headers = device_signer(target(), lambda: None)("POST", "/x", b"")
    assert "x-replication-backlog" not in headers


def test_the_hubs_clock_from_its_date_header() -> None:
    received_ms = 1_764_690_000_250
    date = email.utils.formatdate(1_764_690_000, usegmt=True)
    # The header says 0.0 s; the hub was on average half a second into that second.
    assert date_offset_ms(date, received_ms) == 250
    assert date_offset_ms(date, received_ms + 10_000) == -9750
    assert date_offset_ms(None, received_ms) is None
    assert date_offset_ms("not a date", received_ms) is None
