"""What a supervisor may do to a recorded scan. Pure: the scan's facts and `now` passed in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from gate_node.errors import AlreadyDone, Forbidden, NotAdmitted, NotRejected, TooLate, UnknownScan
from gate_node.staff import StaffMember

ANNUL_WINDOW: Final = dt.timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class RecordedScan:
    """A scan as the replica holds it, with what supervisors did to it so far."""

    id: str
    ticket_id: str | None
    code: str | None
    gate: str
    direction: str
    status: str
    reason: str | None
    at: dt.datetime
    annulled: bool = False
    overridden: bool = False


def check_annul(scan: RecordedScan | None, staff: StaffMember, now: dt.datetime) -> RecordedScan:
    """Raise unless `staff` may annul `scan` now: supervisors, admitted scans, 15 minutes."""
    if not staff.is_supervisor:
        raise Forbidden("only a supervisor may annul a scan")
    if scan is None:
        raise UnknownScan("no such scan on this gate")
    if scan.status != "ok":
        raise NotAdmitted("only an accepted scan can be annulled")
    if scan.annulled:
        raise AlreadyDone("this scan was already annulled")
    if now - scan.at > ANNUL_WINDOW:
        raise TooLate("a scan can only be annulled within 15 minutes")
    return scan


def check_override(scan: RecordedScan | None, staff: StaffMember, reason: str) -> RecordedScan:
    """Raise unless `staff` may admit over the rejected `scan` with the typed `reason`."""
    if not staff.is_supervisor:
        raise Forbidden("only a supervisor may admit over a rejection")
    if scan is None:
        raise UnknownScan("no such scan on this gate")
    if scan.status != "rejected":
        raise NotRejected("only a rejected scan can be overridden")
    if scan.overridden:
        raise AlreadyDone("this rejection was already overridden")
    if not reason.strip():
        raise Forbidden("an override needs a typed reason")
    return scan
