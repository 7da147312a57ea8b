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


class ReplicaMismatch(GateError):
    """The package is for another event than the one this replica holds."""

    code = "replica_mismatch"
    http_status = 409
