"""Where the hub's email goes: the SMTP server of `--smtp URL`, or the outbox folder.

URLs, one per way of talking to the server:

- ``smtp://host[:port]``: plain SMTP (port 25), for a relay on the same machine or network;
- ``smtp+starttls://user:password@host[:port]``: SMTP upgraded with STARTTLS (port 587);
- ``smtps://user:password@host[:port]``: SMTP over TLS from the first byte (port 465).

Credentials are percent-encoded in the URL and are refused on plain ``smtp://`` unless the
server is on loopback: a password must not cross a network in clear text. TLS certificates
are checked against the system's trust store (``SSL_CERT_FILE`` names another).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from starlette.requests import Request

from hub.mail.compose import address_problem
from hub.mail.errors import MailSettingsInvalid
from hub.settings import HubSettings

# Where messages go when no SMTP server is configured, inside the hub's data folder.
OUTBOX_FOLDER = "outbox"
Security = Literal["none", "starttls", "tls"]
SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("none", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server to hand messages to."""

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = None

    def describe(self) -> str:
        """The server as logs and messages may show it: no credentials (delivery errors
        are shown to organisations' members)."""
        scheme = next(s for s, (sec, _) in SCHEMES.items() if sec == self.security)
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server of an ``smtp://``, ``smtp+starttls://`` or ``smtps://`` URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise MailSettingsInvalid(f"the SMTP URL is not valid: {exc}") from None
    if parts.scheme not in SCHEMES:
        raise MailSettingsInvalid(
            "the SMTP URL must start smtp://, smtp+starttls:// or smtps://"
            f" (not {parts.scheme or 'nothing'}://)"
        )
    security, default_port = SCHEMES[parts.scheme]
    host = parts.hostname
    if not host:
        raise MailSettingsInvalid("the SMTP URL names no server: smtp://host:port")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise MailSettingsInvalid("the SMTP URL takes no path or query: smtp://host:port")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if (username is None) != (password is None):
        raise MailSettingsInvalid("the SMTP URL needs both a user name and a password, or neither")
    if username is not None and security == "none" and not _is_loopback(host):
        raise MailSettingsInvalid(
            "credentials are sent only over TLS: use smtp+starttls:// or smtps://"
        )
    return SmtpServer(host, port or default_port, security, username, password)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class MailSettings:
    """How the delivery loop works. `smtp` None: messages are written to `outbox_dir`."""

    sender: str
    outbox_dir: Path
    smtp: SmtpServer | None = None
    # The first retry waits this long; each later one twice as long, up to `max_wait`.
    retry_after: float = 30.0
    max_wait: float = 3600.0
    # A message still undelivered this long after it was queued is marked failed.
    give_up_after: dt.timedelta = dt.timedelta(hours=24)
    # How often the loop looks for due messages when no NOTIFY wakes it.
    poll_seconds: float = 5.0
    timeout: float = 30.0
    batch: int = 20

    @property
    def delivers(self) -> bool:
        """Whether messages leave the machine (an SMTP server is configured)."""
        return self.smtp is not None


def default_sender(base_url: str) -> str:
    """noreply@ the hub's host name (noreply@localhost for an address or a bare name)."""
    host = urlsplit(base_url).hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        host = "localhost"
    except ValueError:
        pass
    return f"noreply@{host}"


def check_sender(sender: str) -> str:
    """`sender` if messages can be sent from it; MailSettingsInvalid otherwise."""
    problem = address_problem(sender)
    if problem:
        raise MailSettingsInvalid(f"the sender address cannot be used: {problem}")
    return sender.strip()


@dataclass(frozen=True)
class Mailing:
    """What a service that sends email needs to know of the hub: where links point, who
    sends, whether email leaves the machine (if not, a link is handed to the admin
    instead), and how long an invitation lasts."""

    base_url: str
    sender: str
    delivers: bool
    invitation_days: int = 7


def mailing(hub: HubSettings) -> Mailing:
    """The services' view of a hub's mail settings."""
    mail = mail_settings(hub)
    return Mailing(hub.base_url, mail.sender, mail.delivers, hub.invitation_days)


def mailing_of(request: Request) -> Mailing:
    """The Mailing that `create_app` keeps in the app's state."""
    found = getattr(request.app.state, "mailing", None)
    if not isinstance(found, Mailing):
        raise RuntimeError("the hub app was made without its mail settings")
    return found


def mail_settings(hub: HubSettings) -> MailSettings:
    """The mail settings of a hub's settings (checked: MailSettingsInvalid)."""
    smtp = parse_smtp_url(hub.smtp_url) if hub.smtp_url else None
    sender = check_sender(hub.mail_from or default_sender(hub.base_url))
    if hub.mail_retry_after <= 0:
        raise MailSettingsInvalid("the first retry of an email must wait more than 0 seconds")
    return MailSettings(
        sender=sender,
        outbox_dir=hub.data_dir / OUTBOX_FOLDER,
        smtp=smtp,
        retry_after=hub.mail_retry_after,
        max_wait=max(3600.0, hub.mail_retry_after),
    )
