"""cr-sqlite's packed primary keys: known encodings, round trips, and a fuzzed decoder."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import MalformedPackedKeyError, SyncError
from sync.pk_codec import pack_pk, unpack_pk
from sync.values import SqlValue


@pytest.mark.parametrize(
    ("values", "packed_hex"),
    [
        ((1,), "010901"),
        (("k",), "010b016b"),
        ((0,), "0101"),
        ((-2,), "0141fffffffffffffffe"),
        ((300000,), "01190493e0"),
        (("North", 1), "020b054e6f7274680901"),
        (("North", -2), "020b054e6f72746841fffffffffffffffe"),
        (("Ünicode ✓", 300000), "020b0cc39c6e69636f646520e29c93190493e0"),
        ((b"",), "0104"),
        ((None,), "0105"),
        ((2.5,), "01024004000000000000"),
        ((200,), "0109c8"),
    ],
)
def test_packs_like_cr_sqlite(values: tuple[SqlValue, ...], packed_hex: str) -> None:
    assert pack_pk(values).hex() == packed_hex
    assert unpack_pk(bytes.fromhex(packed_hex)) == values


key_value = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(),
    st.binary(),
)


@given(st.lists(key_value, max_size=6).map(tuple))
def test_round_trips(values: tuple[SqlValue, ...]) -> None:
    assert unpack_pk(pack_pk(values)) == values


@settings(max_examples=500)
@given(st.binary(max_size=40))
def test_any_bytes_decode_or_fail_cleanly(data: bytes) -> None:
    try:
        values = unpack_pk(data)
    except MalformedPackedKeyError as exc:
        error: SyncError = exc
        assert error.code == "malformed_pk"
    else:
        assert isinstance(values, tuple)


def test_refuses_integers_beyond_64_bits() -> None:
    with pytest.raises(MalformedPackedKeyError):
        pack_pk((2**63,))
