"""X-Forwarded-For is believed only from a proxy the tech names (`--trusted-proxy`).

uvicorn's default believes it from loopback: any process on the gate (or a proxy that passes
the client's header on) could then rotate the address the PIN throttle counts. Real gate
processes; the LAN client of the last test is a real non-loopback address in a network
namespace this test creates (needs root, as CI runs here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gate_node import replica
from tests.integration.conftest import DemoFixture, Gate, GateFactory, add_staff
from voelgoed.processes import voelgoed_command

WRONG_PIN = {"pin": "9999"}


def staffed(start_gate: GateFactory, tmp_path: Path, *args: str) -> Gate:
    data = tmp_path / "gate"
    replica.open_replica(data).close()
    add_staff(data, "Thandi", "steward", "1111")
    return start_gate("gate-1", data_dir=data, extra_args=args)


def sign_in_codes(gate: Gate, forwarded_for: list[str]) -> list[str]:
    codes = []
    for address in forwarded_for:
        response = gate.client.post(
            "/api/v1/staff/sign-in", json=WRONG_PIN, headers={"x-forwarded-for": address}
        )
        codes.append(response.json()["error"]["code"])
    return codes


def test_a_rotating_forwarded_for_does_not_escape_the_pin_throttle(
    start_gate: GateFactory, tmp_path: Path
) -> None:
    gate = staffed(start_gate, tmp_path)
    codes = sign_in_codes(gate, [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(50)])
    assert codes == ["bad_pin"] * 5 + ["too_many_attempts"] * 45


def test_behind_a_named_proxy_the_forwarded_address_is_throttled(
    start_gate: GateFactory, tmp_path: Path
) -> None:
    gate = staffed(start_gate, tmp_path, "--trusted-proxy", "127.0.0.1")
    # Fifty different clients behind the proxy: each has its own five tries.
    rotating = sign_in_codes(gate, [f"10.1.{i // 250}.{i % 250 + 1}" for i in range(50)])
    assert rotating == ["bad_pin"] * 50
    # One client guessing is stopped; the proxy's other clients are not.
    assert sign_in_codes(gate, ["10.9.0.7"] * 6) == ["bad_pin"] * 5 + ["too_many_attempts"]
    assert sign_in_codes(gate, ["10.9.0.8"]) == ["bad_pin"]
    # A client that forges the header in front of the proxy (which appends its own view)
    # is counted by the address the proxy saw.
    forged = [f"10.7.0.{i}, 10.9.0.7" for i in range(1, 4)]
    assert sign_in_codes(gate, forged) == ["too_many_attempts"] * 3


def test_forwarded_for_loopback_through_a_proxy_is_not_the_kiosk(
    start_gate: GateFactory, tmp_path: Path, demo: DemoFixture
) -> None:
    gate = staffed(start_gate, tmp_path, "--trusted-proxy", "127.0.0.1")
    code = demo.take().qr
    for forwarded in ("127.0.0.1", "::1", "127.0.0.1, 10.3.0.9", "10.3.0.9, 127.0.0.1"):
        response = gate.client.post(
            "/api/v1/scan", json={"code": code}, headers={"x-forwarded-for": forwarded}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (
            401,
            "not_signed_in",
        ), forwarded
        events = gate.client.get("/api/v1/alerts", headers={"x-forwarded-for": forwarded})
        assert events.status_code == 401, forwarded
    assert gate.status()["scans"]["total"] == 0  # type: ignore[index]
    assert gate.scan(code)["status"] == "ok"  # the kiosk itself, with no proxy's header


def test_refuses_a_proxy_that_is_not_an_address(tmp_path: Path) -> None:
    for value in ("*", "proxy.local", "10.0.0.0/33"):
        result = subprocess.run(
            voelgoed_command("gate", "serve", "--data", str(tmp_path), "--trusted-proxy", value),
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2, value
        assert "is not an IP address or network" in result.stderr, value


# A LAN client for real: inside a network namespace of its own, a client connecting to the
# namespace's 10.214.0.1 comes from 10.214.0.1, which is not a loopback address.
NS_ADDRESS = "10.214.0.1"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespace() -> Iterator[str]:
    ns = f"vgxff{os.getpid() % 100000}"
    ip("netns", "add", ns)
    try:
        # The namespace's own LAN-style address (this machine's kernel has no dummy
        # interfaces): traffic to it stays in the namespace, and comes from it.
        ip("-n", ns, "addr", "add", f"{NS_ADDRESS}/32", "dev", "lo")
        ip("-n", ns, "link", "set", "lo", "up")
        yield ns
    finally:
        ip("netns", "delete", ns)


CLIENT = """
import httpx, json, sys
out = []
for method, url, headers, body in json.loads(sys.argv[1]):
    r = httpx.request(method, url, headers=headers, json=body, timeout=10)
    error = r.json().get("error") if r.headers.get("content-type") == "application/json" else None
    out.append([r.status_code, error["code"] if isinstance(error, dict) else None])
print(json.dumps(out))
"""


def in_ns(
    ns: str, requests: Sequence[tuple[str, str, dict[str, str], object]]
) -> list[list[object]]:
    """Send `requests` from inside the namespace; (status, error code) of each."""
    result = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", CLIENT, json.dumps(requests)],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-500:]
    answers: list[list[object]] = json.loads(result.stdout)
    return answers


def test_a_lan_client_saying_it_is_loopback_is_still_a_lan_client(
    namespace: str, demo: DemoFixture, tmp_path: Path
) -> None:
    data = tmp_path / "gate"
    replica.open_replica(data).close()
    add_staff(data, "Thandi", "steward", "1111")
    argv = voelgoed_command(
        "gate",
        "serve",
        "--data",
        str(data),
        "--event-package",
        str(demo.package_path),
        "--host",
        "0.0.0.0",  # inside the test's own namespace
        "--port",
        "8700",
        "--log-level",
        "warning",
    )
    log = (tmp_path / "gate.log").open("ab")
    gate = subprocess.Popen(
        ["ip", "netns", "exec", namespace, *argv], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    lan, loopback = f"http://{NS_ADDRESS}:8700", "http://127.0.0.1:8700"
    try:
        _wait_until_serving(namespace, lan)
        code = demo.take().qr
        spoof = {"x-forwarded-for": "127.0.0.1"}
        answers = in_ns(
            namespace,
            [
                ("POST", f"{lan}/api/v1/scan", spoof, {"code": code}),
                ("GET", f"{lan}/api/v1/alerts", spoof, None),
                ("GET", f"{lan}/api/v1/dashboard", spoof, None),
                ("GET", f"{lan}/api/v1/status", spoof, None),
                ("POST", f"{loopback}/api/v1/scan", {}, {"code": code}),
            ],
        )
        assert answers == [
            [401, "not_signed_in"],
            [401, "not_signed_in"],
            [401, "not_signed_in"],
            [200, None],  # public, without names
            [200, None],  # the kiosk on the gate itself
        ]
        guesses = [
            ("POST", f"{lan}/api/v1/staff/sign-in", {"x-forwarded-for": f"10.5.0.{i}"}, WRONG_PIN)
            for i in range(1, 51)
        ]
        codes = [error for _, error in in_ns(namespace, guesses)]
        assert codes == ["bad_pin"] * 5 + ["too_many_attempts"] * 45
    finally:
        gate.terminate()
        gate.wait(10)


PROBE = """
import httpx, sys, time
for _ in range(300):
    try:
        httpx.get(sys.argv[1] + "/api/v1/status")
        break
    except httpx.HTTPError:
        time.sleep(0.1)
else:
    raise SystemExit("the gate did not start")
"""


def _wait_until_serving(ns: str, url: str) -> None:
    result = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", PROBE, url],
        check=False,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-500:]
