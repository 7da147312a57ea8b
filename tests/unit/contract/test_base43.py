"""base43: the QR-friendly text form of ticket tokens."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import base43
from contract.base43 import ALPHABET, Base43Error, decode, encode, encoded_length

# Computed by hand: a pair of bytes is n = c0 + 43*c1 + 43**2*c2, written c0 c1 c2; a lone last
# byte is c0 + 43*c1, written c0 c1. Digits 0-9, then A=10 .. Z=35, $=36 *=37 +=38 -=39 .=40.
KNOWN_VECTORS = [
    (b"", ""),
    (b"\x00", "00"),
    (b"\xff", ".5"),  # 255 = 40 + 43*5
    (b"\x00\x00", "000"),
    (b"AB", "M19"),  # 0x4142 = 16706 = 22 + 43*1 + 1849*9
    (b"\xff\xff", "3JZ"),  # 65535 = 3 + 43*19 + 1849*35
    (b"\xff\xff\xff", "3JZ.5"),
]


def test_alphabet_is_the_qr_alphanumeric_set_without_space_and_percent() -> None:
    assert len(ALPHABET) == 43
    assert set(ALPHABET) == set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") - {" ", "%"}


@pytest.mark.parametrize(("data", "text"), KNOWN_VECTORS)
def test_known_vectors_encode(data: bytes, text: str) -> None:
    assert encode(data) == text


@pytest.mark.parametrize(("data", "text"), KNOWN_VECTORS)
def test_known_vectors_decode(data: bytes, text: str) -> None:
    assert decode(text) == data


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("0", "length"),
        ("0000", "length"),
        (":::", "exceeds two bytes"),  # 42 * (1 + 43 + 1849) = 79506 > 65535
        ("4JZ", "exceeds two bytes"),  # 65536
        ("::", "exceeds one byte"),  # 42 + 43*42 = 1848 > 255
        ("06", "exceeds one byte"),  # 0 + 43*6 = 258 > 255
        ("m19", "not in the base43 alphabet"),
        ("M 9", "not in the base43 alphabet"),
        ("M%9", "not in the base43 alphabet"),
        ("M\u00e99", "base43 alphabet"),
    ],
)
def test_decode_refuses_what_encode_cannot_produce(text: str, problem: str) -> None:
    with pytest.raises(Base43Error, match=problem):
        decode(text)


def test_base43_error_is_a_value_error() -> None:
    assert issubclass(Base43Error, ValueError)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 115, 123])
def test_encoded_length_examples(n: int) -> None:
    assert len(encode(bytes(range(n)))) == encoded_length(n)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_round_trip_of_any_bytes(data: bytes) -> None:
    text = encode(data)
    assert decode(text) == data
    assert len(text) == encoded_length(len(data))
    assert set(text) <= set(ALPHABET)


def _decode_or_refuse(text: str) -> None:
    try:
        data = decode(text)
    except Base43Error:
        return
    # Decoding is the exact inverse of encoding: whatever decodes re-encodes to the same text.
    assert encode(data) == text


@settings(max_examples=300)
@given(st.text())
def test_decode_of_any_text_gives_bytes_or_base43_error(text: str) -> None:
    _decode_or_refuse(text)


@settings(max_examples=300)
@given(st.text(alphabet=ALPHABET, max_size=60))
def test_decode_of_any_alphabet_string_gives_bytes_or_base43_error(text: str) -> None:
    _decode_or_refuse(text)


def test_encode_uses_every_character_of_the_alphabet() -> None:
    every_pair = b"".join(bytes([i, 255 - i]) for i in range(256))
    assert set(base43.encode(every_pair)) == set(ALPHABET)
