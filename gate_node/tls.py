"""HTTPS for the gate: phones only open the camera (and install the page) on a secure origin.

Browsers allow camera access and service workers on https:// or on localhost only, so a
handheld on the venue LAN needs the gate over HTTPS. A venue has no public name for a
certificate authority to vouch for, so the gate makes its own self-signed certificate,
naming its host names and addresses; each phone accepts it once. A tech can instead pass a
certificate the venue's IT issued.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

VALIDITY = dt.timedelta(days=825)  # the longest validity Apple devices accept


@dataclass(frozen=True)
class TlsFiles:
    """A certificate and its private key, as PEM files."""

    cert: Path
    key: Path


def self_signed(
    directory: Path, names: list[str], now: dt.datetime, *, renew: bool = False
) -> TlsFiles:
    """The gate's self-signed certificate in `directory`, made on first use.

    `names` are host names and IP addresses the certificate must cover (the first is its
    common name). An existing certificate is kept unless it misses a name, expires within a
    month, or `renew` is set.
    """
    files = TlsFiles(directory / "gate-cert.pem", directory / "gate-key.pem")
    if not renew and files.cert.exists() and files.key.exists():
        cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
        covered = _names(cert)
        if set(names) <= covered and cert.not_valid_after_utc - now > dt.timedelta(days=30):
            return files
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    alt: list[x509.GeneralName] = []
    for name in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt.append(x509.DNSName(name))
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # The key is written readable by its owner only, before any content lands in it.
    fd = os.open(files.key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return files


def _names(cert: x509.Certificate) -> set[str]:
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(n) for n in alt.get_values_for_type(x509.DNSName)} | {
        str(a) for a in alt.get_values_for_type(x509.IPAddress)
    }
