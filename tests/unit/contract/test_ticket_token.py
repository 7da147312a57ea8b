"""ticket_token: signing, parsing and verifying the codes that QR tickets carry."""

from __future__ import annotations

import datetime as dt
import uuid

import nacl.signing
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import base43
from contract.ticket_token import (
    MAX_TOKEN_LENGTH,
    PREFIX,
    ParsedToken,
    SigningKey,
    TicketClaims,
    TokenProblem,
    decode_token,
    parse_token,
    sign_token,
    uuid_from_bytes,
    verify_keys,
)

QR_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
REASONS = frozenset({"invalid", "forged"})
MAX_U32 = 2**32 - 1

# Fixed seeds keep the tests deterministic; a module constant (not a fixture) lets hypothesis
# tests share them.
KEY_1 = SigningKey(1, bytes([1]) * 32)
KEY_2 = SigningKey(2, bytes([2]) * 32)
ROGUE_1 = SigningKey(1, bytes([99]) * 32)
KEYS_1_AND_2 = verify_keys({1: KEY_1.public_key, 2: KEY_2.public_key})
EVENT = uuid.UUID("5a1f6a52-8c1e-4b55-9a4e-2f0d9a5e7c11")
TICKET = uuid.UUID("0b7e1f4c-3d2a-4e8f-8c6b-1a2b3c4d5e6f")
TICKET_TYPE = uuid.UUID("c3d4e5f6-a7b8-4c9d-8e0f-112233445566")
FROM = dt.datetime(2025, 3, 1, 16, 0, tzinfo=dt.UTC)
UNTIL = dt.datetime(2025, 3, 9, 2, 0, tzinfo=dt.UTC)


def _claims(
    key_id: int = 1,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
) -> TicketClaims:
    return TicketClaims(EVENT, TICKET, TICKET_TYPE, key_id, valid_from, valid_until)


PLAIN_TOKEN = sign_token(_claims(), KEY_1)
WINDOW_TOKEN = sign_token(_claims(2, FROM, UNTIL), KEY_2)
UNTIL_TOKEN = sign_token(_claims(1, None, UNTIL), KEY_1)
TOKENS = [PLAIN_TOKEN, WINDOW_TOKEN, UNTIL_TOKEN]


def _assert_total(code: object) -> TicketClaims | TokenProblem:
    """Both entry points give a value of the documented kind for `code` and never raise."""
    parsed = parse_token(code)
    assert isinstance(parsed, ParsedToken | TokenProblem)
    if isinstance(parsed, TokenProblem):
        assert parsed.reason in REASONS
        assert parsed.message
    decoded = decode_token(code, KEYS_1_AND_2)
    assert isinstance(decoded, TicketClaims | TokenProblem)
    if isinstance(decoded, TokenProblem):
        assert decoded.reason in REASONS
        assert decoded.message
    return decoded


def _assert_refused(code: object) -> TokenProblem:
    result = _assert_total(code)
    assert isinstance(result, TokenProblem), f"{code!r} was accepted as {result}"
    return result


# --- signing and the round trip -----------------------------------------------------------

bounds = st.none() | st.integers(0, MAX_U32).map(lambda s: dt.datetime.fromtimestamp(s, dt.UTC))


@settings(max_examples=150, deadline=None)
@given(
    event_id=st.uuids(),
    ticket_id=st.uuids(),
    ticket_type_id=st.uuids(),
    key_id=st.integers(0, 0xFFFF),
    valid_from=bounds,
    valid_until=bounds,
)
def test_sign_parse_verify_round_trip(
    event_id: uuid.UUID,
    ticket_id: uuid.UUID,
    ticket_type_id: uuid.UUID,
    key_id: int,
    valid_from: dt.datetime | None,
    valid_until: dt.datetime | None,
) -> None:
    key = SigningKey(key_id, bytes([7]) * 32)
    claims = TicketClaims(event_id, ticket_id, ticket_type_id, key_id, valid_from, valid_until)

    token = sign_token(claims, key)

    assert len(token) <= MAX_TOKEN_LENGTH
    assert set(token) <= QR_ALPHANUMERIC
    parsed = parse_token(token)
    assert isinstance(parsed, ParsedToken)
    assert parsed.claims == claims
    assert decode_token(token, verify_keys({key_id: key.public_key})) == claims


def test_documented_token_lengths() -> None:
    assert len(PLAIN_TOKEN) == 177
    assert len(WINDOW_TOKEN) == 189
    assert PLAIN_TOKEN.startswith(PREFIX)


def test_validity_bounds_come_back_as_the_same_instants_in_utc() -> None:
    sast = dt.timezone(dt.timedelta(hours=2))
    claims = _claims(1, FROM.astimezone(sast), UNTIL.astimezone(sast))
    result = decode_token(sign_token(claims, KEY_1), KEYS_1_AND_2)
    assert isinstance(result, TicketClaims)
    assert result.valid_from == FROM
    assert result.valid_until == UNTIL
    assert result.valid_from is not None
    assert result.valid_from.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "moment",
    [dt.datetime(1970, 1, 1, tzinfo=dt.UTC), dt.datetime.fromtimestamp(MAX_U32, dt.UTC)],
)
def test_extreme_validity_bounds_round_trip(moment: dt.datetime) -> None:
    claims = _claims(1, moment, moment)
    assert decode_token(sign_token(claims, KEY_1), KEYS_1_AND_2) == claims


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\t"])
def test_line_ends_from_wedge_scanners_are_tolerated(suffix: str) -> None:
    assert decode_token(PLAIN_TOKEN + suffix, KEYS_1_AND_2) == _claims()
    assert decode_token(" " + PLAIN_TOKEN + suffix, KEYS_1_AND_2) == _claims()


def test_token_as_ascii_bytes_verifies() -> None:
    assert decode_token(PLAIN_TOKEN.encode("ascii"), KEYS_1_AND_2) == _claims()
    assert decode_token(bytearray(PLAIN_TOKEN, "ascii"), KEYS_1_AND_2) == _claims()
    assert decode_token(memoryview(PLAIN_TOKEN.encode("ascii")), KEYS_1_AND_2) == _claims()


# --- keys ---------------------------------------------------------------------------------


def test_key_rotation_token_of_key_2_verifies_when_both_keys_are_known() -> None:
    token = sign_token(_claims(2), KEY_2)
    assert decode_token(token, KEYS_1_AND_2) == _claims(2)


def test_key_rotation_token_of_key_2_is_forged_when_only_key_1_is_known() -> None:
    token = sign_token(_claims(2), KEY_2)
    result = decode_token(token, verify_keys({1: KEY_1.public_key}))
    assert isinstance(result, TokenProblem)
    assert result.reason == "forged"


def test_token_signed_by_an_unknown_key_with_a_known_id_is_forged() -> None:
    token = sign_token(_claims(1), ROGUE_1)
    parsed = parse_token(token)
    # Structurally fine, so parsing alone must not be mistaken for acceptance.
    assert isinstance(parsed, ParsedToken)
    result = decode_token(token, KEYS_1_AND_2)
    assert isinstance(result, TokenProblem)
    assert result.reason == "forged"


def test_no_keys_means_forged() -> None:
    result = decode_token(PLAIN_TOKEN, {})
    assert isinstance(result, TokenProblem)
    assert result.reason == "forged"


def test_generated_keys_are_distinct_and_verify_their_own_tokens() -> None:
    a, b = SigningKey.generate(1), SigningKey.generate(1)
    assert a.seed != b.seed
    token = sign_token(_claims(1), a)
    assert decode_token(token, verify_keys({1: a.public_key})) == _claims(1)
    result = decode_token(token, verify_keys({1: b.public_key}))
    assert isinstance(result, TokenProblem)
    assert result.reason == "forged"


def test_verify_keys_builds_verifiers_by_key_id() -> None:
    keys = verify_keys({1: KEY_1.public_key})
    assert set(keys) == {1}
    assert isinstance(keys[1], nacl.signing.VerifyKey)
    assert bytes(keys[1]) == KEY_1.public_key


# --- sign_token refuses claims it cannot encode -------------------------------------------


@pytest.mark.parametrize(
    ("claims", "key", "problem"),
    [
        (_claims(1, dt.datetime(2025, 3, 1, 16, 0), None), KEY_1, "timezone-aware"),
        (_claims(1, None, dt.datetime(2025, 3, 1, 16, 0)), KEY_1, "timezone-aware"),
        (_claims(1, dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)), KEY_1, "1970..2106"),
        (_claims(1, None, dt.datetime(1, 1, 1, tzinfo=dt.UTC)), KEY_1, "1970..2106"),
        (_claims(1, dt.datetime.fromtimestamp(MAX_U32 + 1, dt.UTC)), KEY_1, "1970..2106"),
        (_claims(1, dt.datetime(9999, 12, 31, tzinfo=dt.UTC)), KEY_1, "1970..2106"),
        (_claims(2), KEY_1, "different key id"),
        (_claims(1), KEY_2, "different key id"),
        (_claims(0x10000), SigningKey(0x10000, bytes(32)), "16 bits"),
        (_claims(-1), SigningKey(-1, bytes(32)), "16 bits"),
    ],
)
def test_sign_token_refuses_unencodable_claims(
    claims: TicketClaims, key: SigningKey, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        sign_token(claims, key)


# --- fuzzing: any input gives claims or a TokenProblem, never an exception -----------------


@settings(max_examples=300)
@given(st.text())
def test_fuzz_any_text(code: str) -> None:
    _assert_refused(code)


@settings(max_examples=300)
@given(st.binary())
def test_fuzz_any_bytes(code: bytes) -> None:
    _assert_refused(code)


@settings(max_examples=200)
@given(st.text(max_size=220))
def test_fuzz_text_after_the_prefix(rest: str) -> None:
    _assert_refused(PREFIX + rest)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=100, max_size=130))
def test_fuzz_well_encoded_bytes_of_token_size(raw: bytes) -> None:
    # Reaches past base43 into flags, lengths and the signature check.
    _assert_refused(PREFIX + base43.encode(raw))


@settings(max_examples=100, deadline=None)
@given(flags=st.integers(0, 255), key_id=st.sampled_from([1, 2, 3]), tail=st.binary(max_size=8))
def test_fuzz_structured_bodies_with_random_signatures(
    flags: int, key_id: int, tail: bytes
) -> None:
    body = bytes([flags]) + key_id.to_bytes(2, "big") + EVENT.bytes * 3 + tail + bytes(64)
    _assert_refused(PREFIX + base43.encode(body))


@pytest.mark.parametrize("token", TOKENS)
def test_every_truncation_is_invalid(token: str) -> None:
    for length in range(len(token)):
        problem = _assert_refused(token[:length])
        assert problem.reason == "invalid", (length, problem)


@pytest.mark.parametrize("token", TOKENS)
def test_every_single_bit_flip_is_refused(token: str) -> None:
    raw = base43.decode(token[len(PREFIX) :])
    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        problem = _assert_refused(PREFIX + base43.encode(bytes(flipped)))
        # The flags byte decides the layout, so flipping it breaks the structure; every
        # other bit leaves a well-formed token whose signature no longer matches.
        expected = "invalid" if bit < 8 else "forged"
        assert problem.reason == expected, (bit, problem)


# Lower case, Latin-1, NUL, whitespace, an Arabic-Indic digit and a fullwidth A.
SUBSTITUTES = [*sorted(QR_ALPHANUMERIC), "a", "z", "\u00e9", "\x00", "\t", "\u0660", "\uff21"]


@pytest.mark.parametrize("token", [PLAIN_TOKEN, WINDOW_TOKEN])
@pytest.mark.parametrize("position", [0, 2, 3, 4, 5, 6, 30, 88, 120, -3, -2, -1])
def test_every_single_character_substitution_is_refused(token: str, position: int) -> None:
    original = token[position]
    index = position % len(token)
    for char in SUBSTITUTES:
        if char == original:
            continue
        _assert_refused(token[:index] + char + token[index + 1 :])


@pytest.mark.parametrize(
    "code",
    [
        "A" * 5_000_000,
        PREFIX + "0" * 5_000_000,
        PLAIN_TOKEN + "\n" * 5_000_000,
        b"\xff" * 5_000_000,
    ],
    ids=["5MB-text", "5MB-prefixed", "5MB-whitespace", "5MB-bytes"],
)
def test_huge_inputs_are_invalid(code: object) -> None:
    assert _assert_refused(code).reason == "invalid"


def _released_memoryview() -> memoryview:
    view = memoryview(PLAIN_TOKEN.encode("ascii"))
    view.release()
    return view


@pytest.mark.parametrize(
    "code",
    [
        None,
        0,
        177,
        3.5,
        [PLAIN_TOKEN],
        (PLAIN_TOKEN,),
        {PLAIN_TOKEN: PLAIN_TOKEN},
        object(),
        TICKET,
        "",
        PREFIX,
        "VG1",
        "vg1:" + PLAIN_TOKEN[4:],
        "VG2:" + PLAIN_TOKEN[4:],
        PLAIN_TOKEN + PLAIN_TOKEN,
        "\u00e9" * 180,
        PREFIX + "\u00e9" * 173,
        PLAIN_TOKEN[:-1] + "\u00e9",
        "\ud800" * 10,
        PLAIN_TOKEN.encode("utf-16"),
        "\u2003" + PLAIN_TOKEN[:-1],
        _released_memoryview(),
    ],
)
def test_odd_inputs_are_invalid(code: object) -> None:
    assert _assert_refused(code).reason == "invalid"


@given(st.binary(min_size=16, max_size=16))
def test_fast_uuid_equals_the_standard_one(raw: bytes) -> None:
    fast = uuid_from_bytes(raw)
    standard = uuid.UUID(bytes=raw)
    assert fast == standard
    assert str(fast) == str(standard)
    assert hash(fast) == hash(standard)
    assert {fast: 1}[standard] == 1
