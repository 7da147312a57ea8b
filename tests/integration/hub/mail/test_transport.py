"""The SMTP transport against a real server: STARTTLS, TLS from the start, logins, refusals,
and the outbox folder when no server is configured."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hub.mail.compose import Letter, compose
from hub.mail.config import parse_smtp_url
from hub.mail.errors import DeliveryFailed
from hub.mail.transport import FolderTransport, Outgoing, SmtpTransport
from tests.integration.hub.mail.smtp_server import MailServer
from voelgoed.processes import free_port

SENDER = "noreply@hub.test"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def trusting(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def outgoing(to: str = "someone@example.org") -> Outgoing:
    now = dt.datetime.now(dt.UTC)
    composed = compose(
        Letter(to=to, subject="Hello", text="Hello ö", html="<p>Hello ö</p>", sender_name="Hub"),
        SENDER,
        now,
    )
    return Outgoing(1, SENDER, composed.to, composed.raw, now.strftime("%Y%m%d-%H%M%S"))


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[MailServer]:
    server = MailServer(tls=server_context(certificate), login=("hub", "s3cret pass")).start()
    yield server
    server.stop()


def test_starttls_with_a_login_delivers(
    starttls_server: MailServer, certificate: tuple[Path, Path]
) -> None:
    server = parse_smtp_url(f"smtp+starttls://hub:s3cret%20pass@127.0.0.1:{starttls_server.port}")
    transport = SmtpTransport(server, tls_context=trusting(certificate))
    note = asyncio.run(transport.send(outgoing()))
    assert note == f"accepted by smtp+starttls://127.0.0.1:{starttls_server.port}"
    (received,) = starttls_server.messages_to("someone@example.org")
    assert received.body("plain").splitlines() == ["Hello ö"]


def test_a_wrong_password_is_a_failure_to_retry(
    starttls_server: MailServer, certificate: tuple[Path, Path]
) -> None:
    server = parse_smtp_url(f"smtp+starttls://hub:wrong@127.0.0.1:{starttls_server.port}")
    transport = SmtpTransport(server, tls_context=trusting(certificate))
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(transport.send(outgoing()))
    assert not failed.value.permanent  # the operator fixes the settings; the message waits
    assert "535" in str(failed.value)
    assert not starttls_server.received


def test_an_untrusted_certificate_is_refused(starttls_server: MailServer) -> None:
    server = parse_smtp_url(f"smtp+starttls://hub:s3cret%20pass@127.0.0.1:{starttls_server.port}")
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(SmtpTransport(server).send(outgoing()))  # the system's trust store
    assert "certificate verify failed" in str(failed.value)
    assert not starttls_server.received


def test_tls_from_the_first_byte(certificate: tuple[Path, Path]) -> None:
    tls = MailServer(tls=server_context(certificate), implicit_tls=True).start()
    try:
        server = parse_smtp_url(f"smtps://127.0.0.1:{tls.port}")
        asyncio.run(SmtpTransport(server, tls_context=trusting(certificate)).send(outgoing()))
        assert len(tls.messages_to("someone@example.org")) == 1
    finally:
        tls.stop()


def test_a_server_that_is_not_there_is_a_failure_to_retry() -> None:
    server = parse_smtp_url(f"smtp://127.0.0.1:{free_port()}")
    with pytest.raises(DeliveryFailed) as failed:
        asyncio.run(SmtpTransport(server, timeout=5).send(outgoing()))
    assert not failed.value.permanent
    assert "could not talk to smtp://127.0.0.1" in str(failed.value)


def test_a_refused_recipient_is_final() -> None:
    plain = MailServer(refuse={"gone@example.org"}).start()
    try:
        transport = SmtpTransport(parse_smtp_url(plain.url))
        with pytest.raises(DeliveryFailed) as failed:
            asyncio.run(transport.send(outgoing("gone@example.org")))
        assert failed.value.permanent
        assert str(failed.value).startswith("the server refused the recipient: 550")
    finally:
        plain.stop()


def test_without_a_server_messages_become_private_eml_files(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    message = outgoing()
    note = asyncio.run(FolderTransport(folder).send(message))
    (written,) = folder.iterdir()
    assert note == f"written to {written}"
    assert written.name == f"{message.stamp}-1.eml"
    assert written.read_bytes() == message.raw.encode()
    assert written.stat().st_mode & 0o077 == 0  # it may hold a one-time link
    assert folder.stat().st_mode & 0o077 == 0
