"""Enrolment tokens, pure: their form, their hub, and when one can no longer enrol."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub import enrolment_tokens as t
from hub.errors import (
    DeviceRevoked,
    EnrolmentRefused,
    TokenExpired,
    TokenOtherHub,
    TokenUnknown,
    TokenUsed,
)

NOW = dt.datetime(2031, 3, 1, 18, 0, tzinfo=dt.UTC)
HUB = "0123456789abcdef"


def test_a_token_names_its_hub_and_is_stored_as_a_digest() -> None:
    token = t.new_token(HUB)
    prefix, hub, secret = token.split(".")
    assert (prefix, hub, len(secret)) == ("vgt1", HUB, 43)
    assert t.new_token(HUB) != token
    assert len(t.digest(token)) == 64
    assert t.digest(token) != t.digest(t.new_token(HUB))
    t.check_hub(token, HUB)
    t.check_hub(f"  {token}\n", HUB)  # pasted with blanks around it


def test_another_hubs_token_says_so_and_names_both_hubs() -> None:
    token = t.new_token("fedcba9876543210")
    with pytest.raises(TokenOtherHub, match=r"fedcba9876543210.*0123456789abcdef"):
        t.check_hub(token, HUB)


@given(st.text(max_size=120))
def test_any_text_that_is_not_a_token_is_unknown(text: str) -> None:
    if text.strip().startswith(f"vgt1.{HUB}."):
        return  # hypothesis is unlikely to make one; the other test checks real ones
    with pytest.raises((TokenUnknown, TokenOtherHub)):
        t.check_hub(text, HUB)


def test_why_a_known_token_cannot_enrol() -> None:
    later = NOW + t.LIFETIME

    def why(**facts: object) -> type[EnrolmentRefused] | None:
        base: dict[str, object] = {"used_at": None, "expires_at": later, "revoked": False}
        refused = t.refusal(**{**base, **facts}, now=NOW)  # type: ignore[arg-type]
        return None if refused is None else type(refused)

    assert why() is None
    assert why(used_at=NOW) is TokenUsed
    assert why(expires_at=NOW) is TokenExpired
    assert why(expires_at=NOW - dt.timedelta(seconds=1)) is TokenExpired
    # A revoked device is the reason that matters most, whatever the token's state.
    assert why(revoked=True, used_at=NOW, expires_at=NOW) is DeviceRevoked


@pytest.mark.parametrize("error", [t.UNKNOWN, t.USED, t.EXPIRED, t.REVOKED])
def test_each_refusal_is_one_sentence_with_what_to_do(error: str) -> None:
    assert error.endswith(".")
    assert error.count(". ") == 0
    assert "ask the organiser" in error
