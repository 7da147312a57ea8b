"""`make demo` as a newcomer meets it: a gate, sample codes, and QR images that scan."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image

from contract.event_package import read_package
from gate_node.timestamps import parse_time
from hub.demo_data import DEMO_EMAIL, DEMO_PASSWORD, DEMO_SLUG
from voelgoed.demo import PACKAGE_NAME, prepare
from voelgoed.demo_event import build_demo_event, write_demo_event
from voelgoed.processes import ServerProcess, free_port, voelgoed_command


def test_demo_serves_three_gates_and_its_sample_codes_get_the_promised_answers(
    tmp_path: Path,
) -> None:
    port = free_port()
    log = tmp_path / "demo.log"
    demo = ServerProcess(
        voelgoed_command("demo", "--data", str(tmp_path), "--port", str(port)),
        port,
        log_path=log,
    )
    with demo, httpx.Client(base_url=demo.url) as client:
        status = client.get("/api/v1/status").json()
        assert status["event"]["name"] == "Voelgoed Demo Night"
        # gate-1 answers first; the demo prints once all three gates are up.
        deadline = time.monotonic() + 30
        while "Ctrl-C stops the hub and the gates." not in (output := log.read_text()):
            assert time.monotonic() < deadline, output
            time.sleep(0.1)
        assert f"http://127.0.0.1:{port}" in output
        _, samples = prepare(tmp_path, tickets=200)
        for sample in samples:
            assert sample.code in output
            answer = client.post("/api/v1/scan", json={"code": sample.code}).json()
            expected = sample.expect.split(",")[0].split(" ")[0]
            assert expected in (answer["status"], answer["reason"]), (sample, answer)
        # The demo's other gates replicate with gate-1: its admission is refused there.
        other = re.search(r"gate-2  kiosk (http://\S+)/kiosk", output)
        assert other is not None, output
        deadline = time.monotonic() + 15
        while True:
            inside = httpx.get(f"{other.group(1)}/api/v1/status").json()["inside"]
            if inside >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        again = httpx.post(f"{other.group(1)}/api/v1/scan", json={"code": samples[0].code})
        assert again.json()["reason"] == "already_scanned"
        assert "gate-1" in again.json()["message"]
        # The hub runs beside the gates, on an embedded PostgreSQL unless DATABASE_URL is set.
        hub = re.search(r"organiser app\): (http://\S+)/signin", output)
        assert hub is not None, output
        assert httpx.get(f"{hub.group(1)}/api/v1/health").json()["status"] == "ok"
        assert f"sign in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in output
        with httpx.Client(base_url=hub.group(1), follow_redirects=True) as browser:
            signed_in = browser.post(
                "/signin", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            )
            assert signed_in.status_code == 200, signed_in.text
            assert "Opening Night" in browser.get(f"/o/{DEMO_SLUG}").text
            # The demo sends no email: an invitation's link is shown to the admin, and works.
            assert "invitation links show on the team page" in output
            team = browser.get(f"/o/{DEMO_SLUG}/team").text
            csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', team)
            assert csrf is not None
            invited = browser.post(
                f"/o/{DEMO_SLUG}/invitations",
                data={"csrf": csrf.group(1), "email": "crew@demo.example", "role": "door_staff"},
            )
            link = re.search(r'id="invite-link">(http://[^<]+)</code>', invited.text)
            assert link is not None, invited.text
        with httpx.Client(follow_redirects=True) as invitee:
            joined = invitee.post(
                link.group(1) + "/signup", data={"name": "Crew", "password": "crew-pass-2026"}
            )
            assert joined.status_code == 200, joined.text
            assert "Welcome: you are now a member of this organisation." in joined.text
            assert list((tmp_path / "hub" / "outbox").glob("*.eml"))
    assert (tmp_path / PACKAGE_NAME).exists()


def test_demo_qr_images_decode_to_the_printed_codes(tmp_path: Path) -> None:
    _, samples = prepare(tmp_path, tickets=50)
    images = sorted((tmp_path / "qr").glob("*.png"))
    assert len(images) == len(samples)
    decoded = set()
    for image in images:
        results = zxingcpp.read_barcodes(Image.open(image))
        assert len(results) == 1
        decoded.add(results[0].text)
    assert decoded == {s.code for s in samples}


def test_an_ended_demo_event_is_made_again_for_today(tmp_path: Path) -> None:
    """A demo run weeks later scans its codes inside the door window, not with warnings."""
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    write_demo_event(build_demo_event(50, now=long_ago), tmp_path / PACKAGE_NAME)
    stale = read_package(tmp_path / PACKAGE_NAME).event
    package_path, _ = prepare(tmp_path, tickets=50)
    fresh = read_package(package_path).event
    assert fresh.id == stale.id  # the same event: a gate's replica of it still loads it
    assert fresh.starts_at is not None
    assert fresh.ends_at is not None
    now = dt.datetime.now(dt.UTC)
    opens = parse_time(fresh.starts_at) - dt.timedelta(minutes=fresh.door_opens_minutes)
    assert opens <= now <= parse_time(fresh.ends_at)
    # While it runs, it is kept as it is.
    prepare(tmp_path, tickets=50)
    assert read_package(package_path).event.starts_at == fresh.starts_at
