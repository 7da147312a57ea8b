"""Device-signed sync requests: who signed, what they signed, and no replay."""

from __future__ import annotations

import pytest

from sync.device_auth import (
    MAX_SKEW_MS,
    NonceWindow,
    check_body,
    new_device_key,
    sign_device_request,
    verify_signed_headers,
)
from sync.errors import AuthenticationError

NOW = 1_800_000_000_000


def _verify(headers: dict[str, str], keys: dict[str, bytes], *, path: str = "/sync/pull") -> None:
    verify_signed_headers(
        "POST", path, headers, public_key_of=keys.get, now_ms=NOW, max_body=1 << 20
    )


def test_a_signed_request_verifies_and_its_body_is_held_to_the_digest() -> None:
    key = new_device_key()
    keys = {"d1": bytes(key.verify_key)}
    headers = sign_device_request(key, "d1", "POST", "/sync/pull", b"body", now_ms=NOW)
    signed = verify_signed_headers(
        "POST", "/sync/pull", headers, public_key_of=keys.get, now_ms=NOW, max_body=100
    )
    assert signed.device == "d1"
    check_body(signed, b"body")
    with pytest.raises(AuthenticationError, match="not the one its device signed"):
        check_body(signed, b"bodY")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda h: h.update({"x-device-signature": "0" * 128}), "does not verify"),
        (lambda h: h.update({"x-device-id": "d2"}), "not enrolled here or was revoked"),
        (lambda h: h.update({"x-device-time": str(NOW + 1)}), "does not verify"),
        (lambda h: h.update({"x-device-time": str(NOW - MAX_SKEW_MS - 1)}), "5 minutes"),
        (lambda h: h.update({"x-content-length": "999999999"}), "larger than"),
        (lambda h: h.pop("x-device-nonce"), "malformed"),
        (lambda h: h.update({"x-device-nonce": "zz" * 16}), "malformed"),
        (lambda h: h.clear(), "not signed by a device"),
    ],
)
def test_tampered_or_unknown_requests_are_refused(change: object, words: str) -> None:
    key = new_device_key()
    headers = sign_device_request(key, "d1", "POST", "/sync/pull", b"x", now_ms=NOW)
    assert callable(change)
    change(headers)
    with pytest.raises(AuthenticationError, match=words):
        _verify(headers, {"d1": bytes(key.verify_key)})


def test_another_path_or_another_key_does_not_verify() -> None:
    key, other = new_device_key(), new_device_key()
    headers = sign_device_request(key, "d1", "POST", "/sync/pull", b"", now_ms=NOW)
    with pytest.raises(AuthenticationError, match="does not verify"):
        _verify(headers, {"d1": bytes(key.verify_key)}, path="/sync/push")
    with pytest.raises(AuthenticationError, match="does not verify"):
        _verify(headers, {"d1": bytes(other.verify_key)})


def test_a_nonce_is_admitted_once_even_inside_the_time_window() -> None:
    key = new_device_key()
    keys = {"d1": bytes(key.verify_key)}
    window = NonceWindow()
    headers = sign_device_request(key, "d1", "POST", "/p", b"", now_ms=NOW)
    signed = verify_signed_headers(
        "POST", "/p", headers, public_key_of=keys.get, now_ms=NOW, max_body=10
    )
    window.admit(signed, NOW)
    with pytest.raises(AuthenticationError, match="replayed"):
        window.admit(signed, NOW + 1000)


def test_a_full_window_forgets_the_oldest_and_refuses_anything_as_old() -> None:
    key = new_device_key()
    keys = {"d1": bytes(key.verify_key)}
    window = NonceWindow(capacity=2)
    signed = []
    for offset in range(3):
        headers = sign_device_request(key, "d1", "POST", "/p", b"", now_ms=NOW + offset)
        signed.append(
            verify_signed_headers(
                "POST", "/p", headers, public_key_of=keys.get, now_ms=NOW, max_body=10
            )
        )
    window.admit(signed[0], NOW)
    window.admit(signed[1], NOW)
    window.admit(signed[2], NOW)  # forgets the first
    with pytest.raises(AuthenticationError, match="older than this receiver remembers"):
        window.admit(signed[0], NOW)
