"""Supervisors' powers and staff sessions, as pure rules with `now` passed in."""

from __future__ import annotations

import datetime as dt

import pytest

from gate_node.errors import (
    AlreadyDone,
    Forbidden,
    InvalidStaff,
    NotAdmitted,
    NotRejected,
    TooLate,
    UnknownScan,
)
from gate_node.staff import (
    MAX_FAILURES,
    SESSION_LIFETIME,
    Sessions,
    SignInThrottle,
    StaffMember,
    check_pin,
    check_role,
    hash_pin,
)
from gate_node.supervision import ANNUL_WINDOW, RecordedScan, check_annul, check_override

NOW = dt.datetime(2026, 11, 25, 19, 0, tzinfo=dt.UTC)
SUPERVISOR = StaffMember("s1", "Johan", "supervisor")
STEWARD = StaffMember("s2", "Thandi", "steward")


def scan(
    status: str = "ok", age: dt.timedelta = dt.timedelta(minutes=1), **kw: bool
) -> RecordedScan:
    return RecordedScan(
        id="x",
        ticket_id="t",
        code="c",
        gate="north",
        direction="in",
        status=status,
        reason=None if status == "ok" else "product",
        at=NOW - age,
        **kw,
    )


def test_supervisor_may_annul_within_fifteen_minutes() -> None:
    assert check_annul(scan(age=ANNUL_WINDOW), SUPERVISOR, NOW).id == "x"
    with pytest.raises(TooLate):
        check_annul(scan(age=ANNUL_WINDOW + dt.timedelta(seconds=1)), SUPERVISOR, NOW)


@pytest.mark.parametrize(
    ("record", "staff", "error"),
    [
        (scan(), STEWARD, Forbidden),
        (None, SUPERVISOR, UnknownScan),
        (scan("rejected"), SUPERVISOR, NotAdmitted),
        (scan(annulled=True), SUPERVISOR, AlreadyDone),
    ],
)
def test_annul_refusals(
    record: RecordedScan | None, staff: StaffMember, error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_annul(record, staff, NOW)


@pytest.mark.parametrize(
    ("record", "staff", "reason", "error"),
    [
        (scan("rejected"), STEWARD, "ok", Forbidden),
        (None, SUPERVISOR, "ok", UnknownScan),
        (scan("ok"), SUPERVISOR, "ok", NotRejected),
        (scan("rejected", overridden=True), SUPERVISOR, "ok", AlreadyDone),
        (scan("rejected"), SUPERVISOR, "   ", Forbidden),
    ],
)
def test_override_refusals(
    record: RecordedScan | None, staff: StaffMember, reason: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_override(record, staff, reason)


def test_override_has_no_time_limit() -> None:
    old = scan("rejected", age=dt.timedelta(hours=5))
    assert check_override(old, SUPERVISOR, "lost wristband").id == "x"


def test_sessions_expire() -> None:
    sessions = Sessions()
    token = sessions.create(STEWARD, NOW)
    assert sessions.get(token, NOW + SESSION_LIFETIME - dt.timedelta(seconds=1)) == STEWARD
    assert sessions.get(token, NOW + SESSION_LIFETIME) is None
    assert sessions.get("made-up", NOW) is None


def test_throttle_forgets_failures_after_a_minute() -> None:
    throttle = SignInThrottle()
    for _ in range(MAX_FAILURES):
        assert throttle.allowed("phone", NOW)
        throttle.failed("phone", NOW)
    assert not throttle.allowed("phone", NOW)
    assert throttle.allowed("other-phone", NOW)
    assert throttle.allowed("phone", NOW + dt.timedelta(seconds=61))


@pytest.mark.parametrize("pin", ["123", "1234567890123", "12a4", "١٢٣٤", ""])
def test_pins_are_four_to_twelve_ascii_digits(pin: str) -> None:
    with pytest.raises(InvalidStaff):
        check_pin(pin)


def test_roles_and_pin_hashes() -> None:
    assert check_role("supervisor") == "supervisor"
    with pytest.raises(InvalidStaff):
        check_role("admin")
    salt = b"s" * 16
    assert hash_pin("1234", salt) == hash_pin("1234", salt)
    assert hash_pin("1234", salt) != hash_pin("1235", salt)
    assert hash_pin("1234", salt) != hash_pin("1234", b"t" * 16)
