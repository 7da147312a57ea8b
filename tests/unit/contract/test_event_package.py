"""event_package: the file a gate scans an event from, and its refusal of anything else."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract import event_package
from contract.errors import ContractError, EventPackageError
from contract.event_package import (
    EventPackage,
    decode_package,
    encode_package,
    read_package,
    write_package,
)
from contract.ticket_token import TicketClaims, decode_token, verify_keys
from voelgoed.demo_event import DemoEvent, build_demo_event

NOW = dt.datetime(2025, 3, 1, 18, 0, tzinfo=dt.UTC)
# Built once: the demo's keys are random, and hypothesis tests cannot take function fixtures.
DEMO: DemoEvent = build_demo_event(20, now=NOW)
PACKAGE_BYTES = encode_package(DEMO.package)


def _package_dict() -> dict[str, Any]:
    """A fresh, mutable JSON-shaped copy of the demo package."""
    content: dict[str, Any] = json.loads(msgspec.json.encode(DEMO.package))
    return content


def _as_bytes(content: object, *, compress: bool = True) -> bytes:
    raw = json.dumps(content).encode()
    return gzip.compress(raw) if compress else raw


def _refusal(data: bytes) -> str:
    with pytest.raises(EventPackageError) as info:
        decode_package(data)
    return str(info.value)


# --- round trip ---------------------------------------------------------------------------


def test_encode_decode_round_trip() -> None:
    assert decode_package(PACKAGE_BYTES) == DEMO.package


def test_encoding_is_reproducible() -> None:
    assert encode_package(DEMO.package) == PACKAGE_BYTES
    assert PACKAGE_BYTES[:2] == b"\x1f\x8b"


def test_plain_json_package_is_read_too() -> None:
    assert decode_package(msgspec.json.encode(DEMO.package)) == DEMO.package


def test_demo_tickets_verify_with_the_keys_of_the_decoded_package() -> None:
    package = decode_package(PACKAGE_BYTES)
    keys = verify_keys({k.key_id: k.public_key for k in package.keys})
    ticket_types = {t.id for t in package.ticket_types}
    assert {k.key_id for k in package.keys} == {1, 2}
    for ticket in DEMO.tickets:
        claims = decode_token(ticket.qr, keys)
        assert isinstance(claims, TicketClaims), claims
        assert claims.ticket_id == ticket.ticket_id
        assert claims.event_id == package.event.id
        assert claims.ticket_type_id in ticket_types


def test_package_carries_no_signing_keys() -> None:
    text = gzip.decompress(PACKAGE_BYTES)
    for key in DEMO.signing_keys:
        assert key.seed not in text
        assert msgspec.json.encode(key.seed) not in text


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [b"", b"garbage", b"\x00\x01\x02\xff" * 50, b"PK\x03\x04 zip?", b'{"format": ']
)
def test_bytes_that_are_not_json_are_not_an_event_package(data: bytes) -> None:
    message = _refusal(data)
    assert "not an event package" in message
    assert "not JSON" in message


@pytest.mark.parametrize(
    "content", [[1, 2, 3], None, "voelgoed.event-package", {"hello": "world"}, {}]
)
def test_json_of_another_shape_is_refused(content: object) -> None:
    assert "the package content is invalid" in _refusal(_as_bytes(content))


@pytest.mark.parametrize("keep", [2, 10, 20, len(PACKAGE_BYTES) // 2, len(PACKAGE_BYTES) - 1])
def test_truncated_gzip_is_refused(keep: int) -> None:
    message = _refusal(PACKAGE_BYTES[:keep])
    assert "truncated" in message or "damaged" in message


def test_gzip_cut_in_the_middle_is_called_truncated() -> None:
    assert "truncated" in _refusal(PACKAGE_BYTES[: len(PACKAGE_BYTES) // 2])


def test_gzip_with_a_wrong_checksum_is_called_damaged() -> None:
    damaged = bytearray(PACKAGE_BYTES)
    damaged[-8] ^= 0xFF  # the CRC32 of the content
    assert "damaged" in _refusal(bytes(damaged))


def test_gzip_bomb_is_refused_before_it_expands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(event_package, "MAX_PACKAGE_BYTES", 64 * 1024)
    bomb = gzip.compress(b" " * (4 * 1024 * 1024))
    assert len(bomb) < 8 * 1024
    assert "expands beyond" in _refusal(bomb)
    # The same cap still lets a genuine package through.
    assert decode_package(PACKAGE_BYTES) == DEMO.package


def test_wrong_format_is_refused() -> None:
    content = _package_dict()
    content["format"] = "pretix.checkin-list"
    assert "not an event package" in _refusal(_as_bytes(content))


def test_wrong_version_is_refused() -> None:
    content = _package_dict()
    content["version"] = 2
    assert "version 2 is not supported" in _refusal(_as_bytes(content))


def test_duplicate_ticket_ids_are_refused() -> None:
    content = _package_dict()
    content["tickets"][5]["id"] = content["tickets"][2]["id"]
    assert "duplicate ticket id" in _refusal(_as_bytes(content))


def test_duplicate_key_ids_are_refused() -> None:
    content = _package_dict()
    content["keys"][1]["key_id"] = content["keys"][0]["key_id"]
    assert "duplicate key id" in _refusal(_as_bytes(content))


def test_ticket_of_unknown_ticket_type_is_refused() -> None:
    content = _package_dict()
    stranger = str(uuid.UUID(int=12345, version=4))
    content["tickets"][3]["ticket_type_id"] = stranger
    message = _refusal(_as_bytes(content))
    assert stranger in message
    assert content["tickets"][3]["id"] in message


def test_invalid_gate_rule_is_refused() -> None:
    content = _package_dict()
    content["gate_rules"][0]["rule"] = {"xor": [{"var": "entries"}, 3]}
    message = _refusal(_as_bytes(content))
    assert content["gate_rules"][0]["id"] in message
    assert "unknown operator 'xor'" in message


def test_gate_rule_of_unknown_ticket_type_is_refused() -> None:
    content = _package_dict()
    content["gate_rules"][0]["ticket_type_id"] = str(uuid.UUID(int=1, version=4))
    assert "unknown ticket type" in _refusal(_as_bytes(content))


def test_gate_rule_with_unhashable_variable_name_is_refused() -> None:
    content = _package_dict()
    content["gate_rules"][0]["rule"] = {"var": [["entries"]]}
    assert "unknown variable" in _refusal(_as_bytes(content))


def test_absurdly_nested_gate_rule_is_refused() -> None:
    content = _package_dict()
    content["gate_rules"][0]["rule"] = {"and": "NEST"}
    raw = json.dumps(content).encode().replace(b'"NEST"', b"[" * 100_000 + b"]" * 100_000)
    assert "nested too deeply" in _refusal(gzip.compress(raw))


def test_package_without_keys_is_refused() -> None:
    content = _package_dict()
    content["keys"] = []
    assert "no public keys" in _refusal(_as_bytes(content))


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("keys", 0, "key_id"), "one", "$.keys[0].key_id"),
        (("keys", 1, "key_id"), 70_000, "$.keys[1].key_id"),
        (("keys", 0, "public_key"), "c2hvcnQ=", "$.keys[0].public_key"),
        (("tickets", 4, "holder"), 42, "$.tickets[4].holder"),
        (("tickets", 0, "id"), "not-a-uuid", "$.tickets[0].id"),
        (("ticket_types", 1, "entry_mode"), "sometimes", "$.ticket_types[1].entry_mode"),
        (("event", "name"), "x" * 201, "$.event.name"),
        (("version",), "1", "$.version"),
    ],
)
def test_wrong_typed_field_is_named_by_its_path(
    path: tuple[str | int, ...], value: object, named: str
) -> None:
    content = _package_dict()
    target: Any = content
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    message = _refusal(_as_bytes(content))
    assert "invalid" in message
    assert named in message


def test_unknown_field_is_refused_and_named() -> None:
    content = _package_dict()
    content["event"]["signing_key"] = "oops"
    message = _refusal(_as_bytes(content))
    assert "signing_key" in message
    assert "$.event" in message


def test_event_package_error_is_a_contract_error_with_a_stable_code() -> None:
    assert issubclass(EventPackageError, ContractError)
    assert EventPackageError.code == "event_package_invalid"


# --- fuzzing ------------------------------------------------------------------------------


def _decode_or_refuse(data: bytes) -> None:
    try:
        package = decode_package(data)
    except EventPackageError as exc:
        message = str(exc)
        assert message
    else:
        assert isinstance(package, EventPackage)


@settings(max_examples=300)
@given(st.binary())
def test_fuzz_any_bytes(data: bytes) -> None:
    _decode_or_refuse(data)


@settings(max_examples=200)
@given(st.binary())
def test_fuzz_bytes_after_the_gzip_magic(data: bytes) -> None:
    _decode_or_refuse(b"\x1f\x8b" + data)


@settings(max_examples=150)
@given(st.lists(st.tuples(st.integers(0, len(PACKAGE_BYTES) - 1), st.integers(0, 255)), max_size=4))
def test_fuzz_corrupted_package_file(changes: list[tuple[int, int]]) -> None:
    data = bytearray(PACKAGE_BYTES)
    for position, value in changes:
        data[position] = value
    _decode_or_refuse(bytes(data))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(["and", "or", "!", "==", "<", "in", "var", "x"]) | st.text(max_size=3),
            children,
            max_size=2,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200)
@given(
    field=st.sampled_from(["rule", "description", "gate", "ticket_type_id", "id"]),
    value=json_values,
)
def test_fuzz_gate_rule_fields(field: str, value: object) -> None:
    content = _package_dict()
    content["gate_rules"][0][field] = value
    _decode_or_refuse(_as_bytes(content, compress=False))


@settings(max_examples=150)
@given(
    section=st.sampled_from(["event", "keys", "ticket_types", "tickets", "revocations", "blocks"]),
    value=json_values,
)
def test_fuzz_package_sections(section: str, value: object) -> None:
    content = _package_dict()
    content[section] = value
    _decode_or_refuse(_as_bytes(content, compress=False))


# --- files --------------------------------------------------------------------------------


def test_read_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EventPackageError, match="cannot read"):
        read_package(tmp_path / "absent.vgpkg")


def test_read_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EventPackageError, match="cannot read"):
        read_package(tmp_path)


def test_read_oversized_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.vgpkg"
    path.write_bytes(PACKAGE_BYTES)
    monkeypatch.setattr(event_package, "MAX_PACKAGE_BYTES", len(PACKAGE_BYTES) - 1)
    with pytest.raises(EventPackageError, match="larger than any event package"):
        read_package(path)


def test_write_then_read_leaves_only_the_package(tmp_path: Path) -> None:
    path = tmp_path / "event.vgpkg"
    write_package(DEMO.package, path)
    assert [p.name for p in tmp_path.iterdir()] == ["event.vgpkg"]
    assert path.read_bytes() == PACKAGE_BYTES
    assert read_package(path) == DEMO.package


def test_write_replaces_an_existing_package(tmp_path: Path) -> None:
    path = tmp_path / "event.vgpkg"
    write_package(DEMO.package, path)
    newer = build_demo_event(3, now=NOW, seed=8).package
    write_package(newer, path)
    assert [p.name for p in tmp_path.iterdir()] == ["event.vgpkg"]
    assert read_package(path) == newer


def test_refused_write_leaves_the_old_package_untouched(tmp_path: Path) -> None:
    path = tmp_path / "event.vgpkg"
    write_package(DEMO.package, path)
    broken = msgspec.structs.replace(DEMO.package, keys=[])
    with pytest.raises(EventPackageError, match="no public keys"):
        write_package(broken, path)
    assert [p.name for p in tmp_path.iterdir()] == ["event.vgpkg"]
    assert read_package(path) == DEMO.package


def test_data_after_the_gzip_stream_is_refused() -> None:
    data = _as_bytes(_package_dict()) + b"trailing bytes"
    assert "after its end" in _refusal(data)
