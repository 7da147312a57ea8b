"""A real SMTP server for the tests (aiosmtpd on loopback) that keeps what it receives.

It can be stopped and started again on the same port (the hub's server going away and
coming back), answer slowly, refuse chosen recipients with a 550, speak STARTTLS or TLS and
ask for a login, as real servers do.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, TypeVar

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from voelgoed.processes import free_port

T = TypeVar("T")


@dataclass(frozen=True)
class Received:
    """One message as the server took it: the envelope and the bytes."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def body(self, subtype: str) -> str:
        """The text/`subtype` part, decoded."""
        part = self.message.get_body(preferencelist=(subtype,))
        assert part is not None
        assert part.get_content_type() == f"text/{subtype}"
        content = part.get_content()
        assert isinstance(content, str)
        return content


class _Handler:
    def __init__(self, server: MailServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.server.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        with self.server.lock:
            self.server.received.append(
                Received(envelope.mail_from, tuple(envelope.rcpt_tos), content)
            )
        return "250 2.0.0 OK: queued"


@dataclass
class MailServer:
    """aiosmtpd on 127.0.0.1:`port`; `received` holds every message taken."""

    port: int = field(default_factory=free_port)
    delay: float = 0.0
    refuse: set[str] = field(default_factory=set)
    # STARTTLS (`starttls`) or TLS from the start (`implicit_tls`) with this context.
    tls: ssl.SSLContext | None = None
    implicit_tls: bool = False
    login: tuple[str, str] | None = None
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> MailServer:
        kwargs: dict[str, Any] = {}
        if self.tls is not None and not self.implicit_tls:
            kwargs.update(tls_context=self.tls, require_starttls=True)
        if self.login is not None:
            kwargs.update(authenticator=self._authenticate, auth_required=True)
        self._controller = Controller(
            _Handler(self),
            hostname="127.0.0.1",
            port=self.port,
            # Named, so the server never looks the machine's own name up.
            server_hostname="mail.test",
            ssl_context=self.tls if self.implicit_tls else None,
            **kwargs,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and self.login == (
            auth_data.login.decode(),
            auth_data.password.decode(),
        )
        return AuthResult(success=ok, handled=False)

    def messages_to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> list[Received]:
        """The first `count` messages to `address`, waiting up to `timeout` seconds."""
        return wait_until(
            lambda: found if len(found := self.messages_to(address)) >= count else None,
            timeout,
            f"{count} message(s) to {address}",
        )


def wait_until(probe: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `probe` until it returns something, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(0.05)
