"""HTTPS on the gate, so that phones on the venue LAN may open the camera."""

from __future__ import annotations

import datetime as dt
import ssl
from pathlib import Path

import httpx
from cryptography import x509

from gate_node.tls import self_signed
from tests.integration.conftest import DemoFixture, GateFactory


def test_gate_serves_https_with_its_own_certificate(
    start_gate: GateFactory, demo: DemoFixture, tmp_path: Path
) -> None:
    gate = start_gate(
        data_dir=tmp_path / "tls-gate", extra_args=("--tls", "--tls-name", "gate-1.local")
    )
    cert = tmp_path / "tls-gate" / "tls" / "gate-cert.pem"
    context = ssl.create_default_context(cafile=str(cert))
    url = gate.url.replace("http://", "https://")
    with httpx.Client(base_url=url, verify=context) as client:
        assert client.get("/api/v1/status").json()["gate"] == "gate-1"
        answer = client.post("/api/v1/scan", json={"code": demo.take().qr}).json()
        assert answer["status"] == "ok"
    names = (
        x509.load_pem_x509_certificate(cert.read_bytes())
        .extensions.get_extension_for_class(x509.SubjectAlternativeName)
        .value
    )
    assert "gate-1.local" in names.get_values_for_type(x509.DNSName)


def test_certificate_is_kept_until_a_name_is_missing(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    first = self_signed(tmp_path, ["gate-1", "127.0.0.1"], now)
    pem = first.cert.read_bytes()
    assert first.key.stat().st_mode & 0o077 == 0  # the key is the owner's alone
    assert self_signed(tmp_path, ["gate-1"], now).cert.read_bytes() == pem
    assert self_signed(tmp_path, ["gate-1", "10.0.0.7"], now).cert.read_bytes() != pem
    renewed_soon = now + dt.timedelta(days=820)
    assert self_signed(tmp_path, ["gate-1", "10.0.0.7"], renewed_soon).cert.read_bytes() != pem
