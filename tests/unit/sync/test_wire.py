"""The changeset wire format: round trips, streaming, tampering refused whole, and a fuzzed
decoder that only ever returns a verified changeset or raises a clean error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.changes import Change
from sync.errors import AuthenticationError, SyncError, WireFormatError
from sync.pk_codec import pack_pk
from sync.wire import (
    ChangesetReader,
    decode_changeset,
    encode_changeset,
    encode_changeset_bytes,
)

SECRET = b"venue-secret-for-tests"
SENDER = b"\xa1" * 16

changes = st.lists(
    st.builds(
        Change,
        table=st.sampled_from(["t", "scans", "tickets"]),
        pk=st.integers(0, 10**6).map(lambda n: pack_pk((n,))),
        cid=st.sampled_from(["-1", "v", "w"]),
        val=st.one_of(
            st.none(),
            st.integers(-(2**63), 2**63 - 1),
            st.floats(allow_nan=False),
            st.text(max_size=8),
            st.binary(max_size=8),
        ),
        col_version=st.integers(0, 2**63 - 1),
        db_version=st.integers(0, 2**63 - 1),
        site_id=st.sampled_from([b"\xa1" * 16, b"\xb2" * 16]),
        cl=st.integers(1, 9),
        seq=st.integers(0, 1000),
        origin_version=st.integers(0, 2**63 - 1),
    ),
    max_size=30,
)


@given(changes)
def test_round_trips(rows: list[Change]) -> None:
    data = encode_changeset_bytes(rows, secret=SECRET, sender=SENDER)
    decoded = decode_changeset(data, secret=SECRET)
    assert decoded.sender == SENDER
    assert decoded.changes == rows
    assert all(type(a.val) is type(b.val) for a, b in zip(decoded.changes, rows, strict=True))


def test_streams_frame_by_frame_in_any_chunking() -> None:
    rows = [Change("t", pack_pk((n,)), "v", f"value {n}", 1, n, SENDER, 1, 0) for n in range(50)]
    chunks = list(encode_changeset(rows, secret=SECRET, sender=SENDER, rows_per_frame=7))
    assert len(chunks) == 1 + 8 + 1
    data = b"".join(chunks)
    reader = ChangesetReader(secret=SECRET)
    for start in range(0, len(data), 13):
        reader.feed(data[start : start + 13])
    assert reader.finish().changes == rows


def test_compresses_repetitive_rows() -> None:
    rows = [
        Change("scans", pack_pk((n,)), "gate", "north", 1, n, SENDER, 1, 0) for n in range(2000)
    ]
    assert len(encode_changeset_bytes(rows, secret=SECRET, sender=SENDER)) < 2000 * 12


def test_rows_that_cannot_be_encoded_give_a_clean_error() -> None:
    too_big = Change("t", pack_pk((1,)), "v", 2**70, 1, 1, SENDER, 1, 0)
    with pytest.raises(WireFormatError):
        encode_changeset_bytes([too_big], secret=SECRET, sender=SENDER)


def test_a_wrong_secret_is_refused() -> None:
    data = encode_changeset_bytes([], secret=SECRET, sender=SENDER)
    with pytest.raises(AuthenticationError) as caught:
        decode_changeset(data, secret=b"another venue")
    assert caught.value.code == "unauthenticated"


def test_every_single_byte_change_or_cut_is_refused() -> None:
    rows = [Change("t", pack_pk((n,)), "v", n, 1, n, SENDER, 1, 0) for n in range(20)]
    data = encode_changeset_bytes(rows, secret=SECRET, sender=SENDER)
    for index in range(len(data)):
        tampered = bytearray(data)
        tampered[index] ^= 0x01
        with pytest.raises((WireFormatError, AuthenticationError)):
            decode_changeset(bytes(tampered), secret=SECRET)
    for cut in range(len(data)):
        with pytest.raises(WireFormatError):
            decode_changeset(data[:cut], secret=SECRET)
    with pytest.raises(WireFormatError):
        decode_changeset(data + b"\x00", secret=SECRET)


@settings(max_examples=400)
@given(st.binary(max_size=200))
def test_any_bytes_give_a_changeset_or_a_clean_error(data: bytes) -> None:
    try:
        decode_changeset(data, secret=SECRET)
    except SyncError as exc:
        code = exc.code
        assert code in {"wire_format", "unauthenticated"}


@settings(max_examples=200)
@given(changes, st.data())
def test_mutated_valid_changesets_never_decode_to_other_rows(
    rows: list[Change], data: st.DataObject
) -> None:
    encoded = bytearray(encode_changeset_bytes(rows, secret=SECRET, sender=SENDER))
    index = data.draw(st.integers(0, len(encoded) - 1))
    encoded[index] = data.draw(st.integers(0, 255).filter(lambda b: b != encoded[index]))
    with pytest.raises((WireFormatError, AuthenticationError)):
        decode_changeset(bytes(encoded), secret=SECRET)
