"""`make demo` as a newcomer meets it: one system. The hub with its demo organisation, three
gates enrolled at it that serve its event, sample codes, QR images that scan, and a ticket
issued or revoked in the organiser app that the gates answer for at once."""

from __future__ import annotations

import contextlib
import functools
import json
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image

from hub.demo_data import DEMO_EMAIL, DEMO_EVENT, DEMO_PASSWORD, DEMO_SLUG
from voelgoed.demo import SampleCode, write_sample_images
from voelgoed.processes import ServerProcess, free_port, voelgoed_command

READY = "Ctrl-C stops the hub and the gates."


def _until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def _start(tmp_path: Path, port: int) -> tuple[ServerProcess, str]:
    log = tmp_path / "demo.log"
    log.write_text("")
    demo = ServerProcess(
        voelgoed_command("demo", "--data", str(tmp_path), "--port", str(port)),
        port,
        log_path=log,
    ).start(timeout=120)
    _until(lambda: READY in log.read_text(), "the demo prints its guide", timeout=90)
    return demo, log.read_text()


def _gate_urls(output: str) -> dict[str, str]:
    return dict(re.findall(r"(gate-\d)  kiosk (http://\S+)/kiosk", output))


def _scan(url: str, code: str) -> dict[str, object]:
    answer: dict[str, object] = httpx.post(f"{url}/api/v1/scan", json={"code": code}).json()
    return answer


def _answers(url: str, code: str, reason: str) -> bool:
    return _scan(url, code)["reason"] == reason


def _serving(url: str) -> bool:
    event = httpx.get(f"{url}/api/v1/status").json().get("event")
    return isinstance(event, dict) and event.get("name") == DEMO_EVENT


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_demo_is_one_system_from_the_organiser_app_to_every_gate(tmp_path: Path) -> None:
    port = free_port()
    demo, output = _start(tmp_path, port)
    try:
        gates = _gate_urls(output)
        assert list(gates) == ["gate-1", "gate-2", "gate-3"], output
        assert gates["gate-1"] == f"http://127.0.0.1:{port}"
        for url in gates.values():  # enrolled at the hub, each fills from it
            _until(functools.partial(_serving, url), f"{url} serves {DEMO_EVENT}")
            assert httpx.get(f"{url}/api/v1/status").json()["hub"]["reachable"] is True
        samples = [SampleCode(**s) for s in json.loads((tmp_path / "samples.json").read_text())]
        for sample in samples:
            assert sample.code in output
            answer = _scan(gates["gate-1"], sample.code)
            expected = sample.expect.split(",")[0].split(" ")[0]
            assert expected in (answer["status"], answer["reason"]), (sample, answer)
        # The gates replicate with each other: gate-1's admission is refused at gate-2.
        _until(
            lambda: httpx.get(f"{gates['gate-2']}/api/v1/status").json()["inside"] >= 1,
            "gate-1's admission reaches gate-2",
        )
        again = _scan(gates["gate-2"], samples[0].code)
        assert again["reason"] == "already_scanned"
        assert "gate-1" in str(again["message"])

        hub = re.search(r"organiser app\): (http://\S+)/signin", output)
        assert hub is not None, output
        assert f"sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in output
        with (
            contextlib.ExitStack() as stack,
            httpx.Client(base_url=hub.group(1), follow_redirects=True) as browser,
        ):
            signed_in = browser.post(
                "/signin", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            org_page = browser.get(f"/o/{DEMO_SLUG}").text
            event_link = re.search(r'href="(/o/[^"]+/events/([0-9a-f-]{36}))"', org_page)
            assert event_link is not None
            assert DEMO_EVENT in org_page
            event_url, event_id = event_link.group(1), event_link.group(2)
            # A complimentary ticket issued in the app scans at a gate within a second or so.
            tickets_page = browser.get(f"{event_url}/tickets").text
            standing = re.search(r'<option value="([0-9a-f-]{36})"[^>]*>Standing', tickets_page)
            assert standing is not None, tickets_page
            issued = browser.post(
                f"{event_url}/tickets",
                data={
                    "csrf": _csrf(tickets_page),
                    "ticket_type_id": standing.group(1),
                    "holder": "Walk-up guest",
                    "quantity": "1",
                },
            )
            assert issued.status_code == 200, issued.text
            api = stack.enter_context(_api_client(browser, hub.group(1)))
            ticket = next(
                t
                for t in api.get(f"/api/v1/events/{event_id}/tickets?limit=200").json()
                if t["holder"] == "Walk-up guest"
            )
            _until(
                lambda: _scan(gates["gate-3"], ticket["token"])["status"] == "ok",
                "the issued ticket scans at gate-3",
            )
            # Revoked in the app: refused at every gate.
            revoked = api.put(
                f"/api/v1/events/{event_id}/tickets/{ticket['id']}/status",
                json={"status": "revoked", "reason": "refunded"},
            )
            assert revoked.status_code == 200, revoked.text
            for url in gates.values():
                _until(
                    functools.partial(_answers, url, ticket["token"], "revoked"),
                    f"the revocation reaches {url}",
                )
            # The gates' scans appear at the hub.
            _until(
                lambda: api.get(f"/api/v1/events/{event_id}/live").json()["admitted"] >= 2,
                "the gates' admissions reach the hub",
            )
            live = api.get(f"/api/v1/events/{event_id}/live").json()
            assert {d["name"] for d in live["devices"]} == set(gates)
            assert all(d["state"] == "active" for d in live["devices"])
    finally:
        assert demo.process is not None
        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(timeout=60) == 0
    # Everything it started stopped: its ports and the embedded PostgreSQL are free again.
    pid_file = tmp_path / "hub" / "postgres" / "postmaster.pid"
    _until(lambda: not pid_file.exists(), "the embedded PostgreSQL stops", timeout=30)
    for url in gates.values():
        try:
            httpx.get(f"{url}/api/v1/status", timeout=1)
        except httpx.TransportError:
            continue
        raise AssertionError(f"{url} still answers after Ctrl-C")
    # A restart keeps the ports, the enrolment and what was scanned.
    demo, output = _start(tmp_path, port)
    try:
        assert _gate_urls(output) == gates
        _until(lambda: _serving(gates["gate-2"]), "gate-2 serves again")
        assert _scan(gates["gate-2"], samples[0].code)["reason"] == "already_scanned"
    finally:
        assert demo.process is not None
        demo.process.send_signal(signal.SIGINT)
        assert demo.process.wait(timeout=60) == 0


def _api_client(browser: httpx.Client, hub_url: str) -> httpx.Client:
    """An admin API key made in the app's API keys page, for the JSON API."""
    keys_page = browser.get(f"/o/{DEMO_SLUG}/api-keys").text
    made = browser.post(
        f"/o/{DEMO_SLUG}/api-keys",
        data={"csrf": _csrf(keys_page), "name": "demo test", "role": "admin"},
    )
    key = re.search(r"(vgk_[0-9a-f]{12}_[A-Za-z0-9_\-]+)", made.text)
    assert key is not None, made.text
    return httpx.Client(base_url=hub_url, headers={"authorization": f"Bearer {key.group(1)}"})


def test_demo_qr_images_decode_to_the_printed_codes(tmp_path: Path) -> None:
    samples = [SampleCode(f"code {i}", "ok", f"VG1-{i:04d}-DEMO-CODE") for i in range(4)]
    qr_dir = write_sample_images(tmp_path, samples)
    decoded = set()
    for image in sorted(qr_dir.glob("*.png")):
        results = zxingcpp.read_barcodes(Image.open(image))
        assert len(results) == 1
        decoded.add(results[0].text)
    assert decoded == {s.code for s in samples}
