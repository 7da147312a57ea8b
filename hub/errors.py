"""The hub's exception tree; every error carries a stable code and an HTTP status."""

from __future__ import annotations


class HubError(Exception):
    """Base of the hub's errors. `code` is stable and machine-readable; clients switch on it."""

    code = "hub_error"
    http_status = 500


class InvalidJSON(HubError):
    """The request body is not JSON."""

    code = "invalid_json"
    http_status = 400


class InvalidBody(HubError):
    """The body is JSON but not of the expected shape (the message names the field)."""

    code = "invalid_body"
    http_status = 422


class BodyTooLarge(HubError):
    """The request body exceeds the hub's limit."""

    code = "body_too_large"
    http_status = 413


class NotSignedIn(HubError):
    """No valid session or API key came with the request."""

    code = "not_authenticated"
    http_status = 401


class Forbidden(HubError):
    """The caller's role in this organisation does not allow the action."""

    code = "forbidden"
    http_status = 403


class CsrfFailed(HubError):
    """A state-changing request from a browser session lacked the session's CSRF token."""

    code = "csrf_failed"
    http_status = 403


class NotFound(HubError):
    """No such object in the caller's organisation (also what another org's objects look
    like: existence is never disclosed across tenants)."""

    code = "not_found"
    http_status = 404


class Conflict(HubError):
    """The change clashes with existing data (a taken slug or email, a seat already sold)."""

    code = "conflict"
    http_status = 409


class ValidationFailed(HubError):
    """The request is well-formed but not acceptable (the message says why)."""

    code = "validation_failed"
    http_status = 422


class DateInPast(HubError):
    """A new date starts in the past: refused unless the request says it means it
    (`allow_past` in the API, the confirm box on the form)."""

    code = "date_in_past"
    http_status = 422


class InvalidRule(ValidationFailed):
    """An entry rule that gates cannot evaluate, or JSON that is not one (the message says
    where and what a rule may contain)."""

    code = "invalid_rule"


class PublishBlocked(HubError):
    """The event cannot be published yet; `problems` lists every reason."""

    code = "publish_blocked"
    http_status = 422

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the event cannot be published: " + "; ".join(problems))
        self.problems = problems


class InvalidTransition(HubError):
    """The event's status does not allow this change (e.g. editing a cancelled event)."""

    code = "invalid_transition"
    http_status = 409


class DatabaseUnavailable(HubError):
    """PostgreSQL could not be reached or started."""

    code = "database_unavailable"
    http_status = 503


class TooManyRequests(HubError):
    """Too many of one kind of request for now (emails to one address, say): wait."""

    code = "too_many_requests"
    http_status = 429


class LinkUnusable(HubError):
    """A one-time link from an email that cannot be used: unknown (or replaced by a newer
    one), already used, expired or withdrawn. `reason` says which."""

    code = "link_unusable"
    http_status = 410

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
        if reason == "unknown":
            self.http_status = 404


class UnknownGate(ValidationFailed):
    """A gate name that is not one of the event's gates (add it to the event first)."""

    code = "unknown_gate"


class GateInUse(Conflict):
    """The gate is named by a check-in list, an entry rule or a device: it stays."""

    code = "gate_in_use"


class EnrolmentRefused(HubError):
    """An enrolment token that cannot enrol a device; the subclass says why, in one sentence
    a tech at the gate can act on."""

    code = "enrolment_refused"
    http_status = 400


class TokenUnknown(EnrolmentRefused):
    code = "token_unknown"
    http_status = 404


class TokenUsed(EnrolmentRefused):
    code = "token_used"
    http_status = 409


class TokenExpired(EnrolmentRefused):
    code = "token_expired"
    http_status = 410


class DeviceRevoked(EnrolmentRefused):
    code = "device_revoked"
    http_status = 403


class TokenOtherHub(EnrolmentRefused):
    code = "token_other_hub"
    http_status = 400
