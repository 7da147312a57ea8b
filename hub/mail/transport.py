"""Handing a composed message over: to an SMTP server, or into the outbox folder.

A transport either returns a short note of what happened (the server's answer, the file
written) or raises `DeliveryFailed`, saying whether a retry could help. smtplib is
blocking, so it runs in a worker thread; the envelope recipient is always the one address
the message was queued for, never whatever its headers say.
"""

from __future__ import annotations

import asyncio
import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hub.mail.config import SmtpServer
from hub.mail.errors import DeliveryFailed


@dataclass(frozen=True)
class Outgoing:
    """What a transport needs of a queued message."""

    id: int
    sender: str
    to: str
    raw: str
    # For the outbox folder's file names: "20261202-101500".
    stamp: str


class Transport(Protocol):
    async def send(self, message: Outgoing) -> str:
        """Deliver `message`; a note of what happened, or DeliveryFailed."""
        ...


def _text(value: bytes | str) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return " ".join(text.split())[:300]


@dataclass(frozen=True)
class SmtpTransport:
    """Delivery through an SMTP server (plain, STARTTLS or TLS; optional login)."""

    server: SmtpServer
    timeout: float = 30.0
    # The name the hub gives itself in EHLO: without it smtplib looks the machine's name up.
    local_hostname: str = "localhost"
    tls_context: ssl.SSLContext | None = None

    async def send(self, message: Outgoing) -> str:
        return await asyncio.to_thread(self._send, message)

    def _context(self) -> ssl.SSLContext:
        return self.tls_context or ssl.create_default_context()

    def _send(self, message: Outgoing) -> str:
        server = self.server
        client: smtplib.SMTP | None = None
        try:
            if server.security == "tls":
                client = smtplib.SMTP_SSL(
                    server.host,
                    server.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                    context=self._context(),
                )
            else:
                client = smtplib.SMTP(
                    server.host,
                    server.port,
                    local_hostname=self.local_hostname,
                    timeout=self.timeout,
                )
            client.ehlo()
            if server.security == "starttls":
                client.starttls(context=self._context())
                client.ehlo()
            if server.username is not None and server.password is not None:
                client.login(server.username, server.password)
            client.sendmail(message.sender, [message.to], message.raw.encode("ascii"))
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = next(iter(exc.recipients.values()), (0, b""))
            raise DeliveryFailed(
                f"the server refused the recipient: {code} {_text(answer)}",
                permanent=code >= 500,
            ) from None
        except smtplib.SMTPDataError as exc:
            raise DeliveryFailed(
                f"the server refused the message: {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=exc.smtp_code >= 500,
            ) from None
        except smtplib.SMTPResponseException as exc:
            # Sign-in or sender refused: the hub's settings, which an operator can fix.
            raise DeliveryFailed(
                f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}", permanent=False
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(
                f"could not talk to {server.describe()}: {_text(str(exc)) or type(exc).__name__}",
                permanent=False,
            ) from None
        finally:
            if client is not None:
                _quit(client)
        return f"accepted by {server.describe()}"


def _quit(client: smtplib.SMTP) -> None:
    # The message is handed over once sendmail returns: a failed goodbye changes nothing.
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


@dataclass(frozen=True)
class FolderTransport:
    """No SMTP server: each message becomes an .eml file in `folder` (private to the hub's
    user), which any mail program opens."""

    folder: Path

    async def send(self, message: Outgoing) -> str:
        return await asyncio.to_thread(self._write, message)

    def path_of(self, message_id: int, stamp: str) -> Path:
        return self.folder / f"{stamp}-{message_id}.eml"

    def _write(self, message: Outgoing) -> str:
        path = self.path_of(message.id, message.stamp)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = path.with_suffix(".partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii", newline="") as out:
                out.write(message.raw)
            partial.replace(path)  # a reader never sees half a message
        except OSError as exc:
            raise DeliveryFailed(f"could not write {path}: {exc}", permanent=False) from None
        return f"written to {path}"
