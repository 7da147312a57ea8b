"""The gate node's exception tree; every error carries a stable code and an HTTP status."""

from __future__ import annotations


class GateError(Exception):
    """Base of the gate's errors. `code` is stable and machine-readable; UIs switch on it."""

    code = "gate_error"
    http_status = 500


class InvalidJSON(GateError):
    """The request body is not JSON."""

    code = "invalid_json"
    http_status = 400


class InvalidBody(GateError):
    """The body is JSON but not of the expected shape (message names the field)."""

    code = "invalid_body"
    http_status = 422


class BodyTooLarge(GateError):
    """The request body exceeds the gate's limit."""

    code = "body_too_large"
    http_status = 413


class NonceConflict(GateError):
    """A nonce was reused for a different code: the client's retry logic is broken."""

    code = "nonce_conflict"
    http_status = 409


class NoEventLoaded(GateError):
    """The gate has no event yet: load an event package first."""

    code = "no_event"
    http_status = 503


class ReplicaUnavailable(GateError):
    """The replica could not record the scan (disk full, file locked or damaged): no answer
    is given that was not recorded."""

    code = "replica_unavailable"
    http_status = 503


class ReplicaMismatch(GateError):
    """The package is for another event than the one this replica holds."""

    code = "replica_mismatch"
    http_status = 409


class InvalidStaff(GateError):
    """A staff member's details are not acceptable (PIN format, role, PIN already in use)."""

    code = "staff_invalid"
    http_status = 422


class NotSignedIn(GateError):
    """This action needs a signed-in member of staff."""

    code = "not_signed_in"
    http_status = 401


class NotAPeer(GateError):
    """A replication request without a valid venue signature: not one of the venue's gates."""

    code = "not_a_peer"
    http_status = 401


class UndeclaredRoute(GateError):
    """A route the gate would serve has no rule in `gate_node.access_rules`: the gate does
    not start (a programming error, never an HTTP answer)."""

    code = "undeclared_route"


class BadPin(GateError):
    """No active member of staff has this PIN."""

    code = "bad_pin"
    http_status = 401


class TooManyAttempts(GateError):
    """Too many wrong PINs from this device: wait a minute."""

    code = "too_many_attempts"
    http_status = 429


class Forbidden(GateError):
    """The signed-in member of staff's role does not allow this."""

    code = "forbidden"
    http_status = 403


class UnknownScan(GateError):
    """No scan with this id in the replica."""

    code = "unknown_scan"
    http_status = 404


class NotAdmitted(GateError):
    """Only an accepted scan can be annulled."""

    code = "not_admitted"
    http_status = 409


class NotRejected(GateError):
    """Only a rejected scan can be overridden."""

    code = "not_rejected"
    http_status = 409


class AlreadyDone(GateError):
    """The scan was already annulled or overridden."""

    code = "already_done"
    http_status = 409


class TooLate(GateError):
    """The 15 minutes in which a scan can be annulled are over."""

    code = "too_late"
    http_status = 409


class InvalidQuery(GateError):
    """A query parameter is missing, empty, too long or holds characters it may not."""

    code = "invalid_query"
    http_status = 422


class UnknownTicket(GateError):
    """No ticket with this id in the replica."""

    code = "unknown_ticket"
    http_status = 404


class DeviceIdentityInvalid(GateError):
    """The data folder's device identity (device.key, device.json) is unreadable, damaged
    or readable by others: the gate will not serve with it (re-enrol, or fix the file)."""

    code = "device_identity_invalid"
    http_status = 500
