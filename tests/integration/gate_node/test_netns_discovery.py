"""Two gates in two network namespaces joined by a veth pair: mDNS crosses a real
interface (not loopback), the gates find each other and replicate. Needs root (CI runs
as root here); only private addresses inside namespaces this test creates are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import DemoFixture, add_staff
from voelgoed.processes import voelgoed_command

SUBNET = "10.213.0"


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    tag = f"{os.getpid() % 100000}"
    a, b = f"vga{tag}", f"vgb{tag}"
    ip("netns", "add", a)
    ip("netns", "add", b)
    try:
        ip("link", "add", f"va{tag}", "type", "veth", "peer", "name", f"vb{tag}")
        ip("link", "set", f"va{tag}", "netns", a)
        ip("link", "set", f"vb{tag}", "netns", b)
        ip("-n", a, "addr", "add", f"{SUBNET}.2/24", "dev", f"va{tag}")
        ip("-n", b, "addr", "add", f"{SUBNET}.1/24", "dev", f"vb{tag}")
        for ns, dev in ((a, f"va{tag}"), (b, f"vb{tag}")):
            ip("-n", ns, "link", "set", "lo", "up")
            ip("-n", ns, "link", "set", dev, "up")
        yield a, b
    finally:
        ip("netns", "delete", a)  # deleting a namespace removes its end of the veth
        ip("netns", "delete", b)


def in_ns(ns: str, *argv: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("ab") if log else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            ["ip", "netns", "exec", ns, *argv], stdout=out, stderr=subprocess.STDOUT
        )
    finally:
        if log is not None and not isinstance(out, int):
            out.close()


def http(
    ns: str, method: str, url: str, body: dict[str, object] | None = None, token: str = ""
) -> dict[str, object]:
    """One HTTP request from inside a namespace (the gates are not reachable from outside)."""
    script = (
        "import httpx, json, sys\n"
        "headers = {'authorization': 'Bearer ' + sys.argv[4]} if sys.argv[4] else {}\n"
        "r = httpx.request(sys.argv[1], sys.argv[2], json=json.loads(sys.argv[3]),"
        " headers=headers, timeout=5)\n"
        "print(r.text)\n"
    )
    argv = [sys.executable, "-c", script, method, url, json.dumps(body), token]
    result = subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        check=False,
        capture_output=True,
        text=True,
        timeout=30,
    )
    if result.returncode != 0:
        raise ConnectionError(result.stderr[-300:])
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def peers_of(ns: str, url: str) -> list[object]:
    peers = http(ns, "GET", f"{url}/api/v1/status")["peers"]
    assert isinstance(peers, list)
    return [p["gate"] for p in peers]


def wait_for(fn: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if fn():
                return
        except ConnectionError:
            pass
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def test_gates_in_two_namespaces_find_each_other_over_a_veth_and_replicate(
    namespaces: tuple[str, str], demo: DemoFixture, tmp_path: Path
) -> None:
    a, b = namespaces
    secret = tmp_path / "venue.secret"
    secret.write_bytes(b"netns-venue-secret-0123456789")
    gates = []
    for name in ("north", "south"):
        # Scans from another machine need a signed-in steward (only loopback is trusted).
        add_staff(tmp_path / name, "Steward", "steward", "4321")
    for ns, name, host in ((a, "north", f"{SUBNET}.2"), (b, "south", f"{SUBNET}.1")):
        argv = voelgoed_command(
            "gate",
            "serve",
            "--data",
            str(tmp_path / name),
            "--event-package",
            str(demo.package_path),
            "--host",
            host,
            "--port",
            "8700",
            "--gate-name",
            name,
            "--venue-secret-file",
            str(secret),
            "--mdns-interface",
            host,
            "--log-level",
            "info",
        )
        gates.append(in_ns(ns, *argv, log=tmp_path / f"{name}.log"))
    try:
        north, south = f"http://{SUBNET}.2:8700", f"http://{SUBNET}.1:8700"
        # Each finds the other by mDNS over the veth: its status lists the other gate.
        wait_for(lambda: peers_of(a, north) == ["south"])
        wait_for(lambda: peers_of(b, south) == ["north"])
        tokens = {
            ns: str(http(ns, "POST", f"{url}/api/v1/staff/sign-in", {"pin": "4321"})["token"])
            for ns, url in ((a, north), (b, south))
        }
        scan: dict[str, object] = {"code": demo.take().qr}
        assert http(a, "POST", f"{north}/api/v1/scan", scan, tokens[a])["status"] == "ok"
        wait_for(lambda: http(b, "GET", f"{south}/api/v1/status")["inside"] == 1)
        again = http(b, "POST", f"{south}/api/v1/scan", scan, tokens[b])
        assert again["reason"] == "already_scanned"
        assert "north" in str(again["message"])
    finally:
        for gate in gates:
            gate.terminate()
            gate.wait(10)
