"""The mail package's errors, part of the hub's one exception tree."""

from __future__ import annotations

from hub.errors import HubError


class MailError(HubError):
    """Base of the mail package's errors."""

    code = "mail_error"
    http_status = 500


class MailSettingsInvalid(MailError):
    """The hub's mail settings (the SMTP URL, the sender address) cannot be used."""

    code = "mail_settings_invalid"
    http_status = 500


class UnusableAddress(MailError):
    """An address no message can be written to (the message says why)."""

    code = "validation_failed"
    http_status = 422


class DeliveryFailed(MailError):
    """A transport could not hand a message over. `permanent` failures (the server refused
    the recipient or the message) are not retried; the others are, after a wait."""

    code = "delivery_failed"
    http_status = 502

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent
