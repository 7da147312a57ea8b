"""Passwords, tokens and API keys: made and checked without surprises, whatever comes in."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from hub import credentials as c


def test_a_password_hash_verifies_only_its_password() -> None:
    hashed = c.hash_password("door-open-2026")
    assert hashed.startswith("$argon2id$")
    assert c.password_matches(hashed, "door-open-2026")
    assert not c.password_matches(hashed, "door-open-2027")
    assert not c.password_matches(hashed, "")
    # Salted: the same password hashes differently each time.
    assert c.hash_password("door-open-2026") != hashed


def test_a_damaged_hash_is_a_mismatch_not_an_error() -> None:
    for damaged in ("", "plain", "$argon2id$v=19$m=1,t=1,p=1$broken", "$2b$12$abcdefghijklmnop"):
        assert not c.password_matches(damaged, "door-open-2026")


def test_password_rules() -> None:
    assert c.password_problem("short") is not None
    assert c.password_problem("x" * c.MIN_PASSWORD_LENGTH) is None
    assert c.password_problem("x" * 1001) == "the password is too long"


def test_new_api_keys_parse_back_to_their_prefix() -> None:
    key, prefix = c.new_api_key()
    assert re.fullmatch(r"vgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    assert c.api_key_prefix(key) == prefix
    # Keys differ, and so do their stored hashes.
    other, _ = c.new_api_key()
    assert other != key
    assert c.token_hash(other) != c.token_hash(key)
    assert re.fullmatch(r"[0-9a-f]{64}", c.token_hash(key))


def test_things_not_shaped_like_keys_have_no_prefix() -> None:
    for junk in (
        "",
        "vgk_",
        "vgk_abc",
        "vgk_0123456789ab",
        "vgk_0123456789ab_",
        "vgk_0123456789a_secret",
        "xyz_0123456789ab_secret",
        "VGK_0123456789ab_secret",
    ):
        assert c.api_key_prefix(junk) is None, junk
    assert c.api_key_prefix("vgk_0123456789ab_sec_ret") == "0123456789ab"


@given(st.text() | st.text().map(lambda t: "vgk_" + t))
def test_prefix_parsing_never_raises(text: str) -> None:
    prefix = c.api_key_prefix(text)
    assert prefix is None or (len(prefix) == 12 and text.startswith(f"vgk_{prefix}_"))


@given(st.text(min_size=1), st.text())
def test_csrf_tokens_belong_to_their_session(session: str, candidate: str) -> None:
    secret = b"s" * 32
    token = c.csrf_token(secret, session)
    assert c.csrf_matches(secret, session, token)
    assert c.csrf_matches(secret, session, candidate) == (candidate == token)
    assert not c.csrf_matches(b"t" * 32, session, token)
