"""The gate serves its pages, their files and the frame decoder over plain HTTP."""

from __future__ import annotations

import cv2
import numpy as np

from tests.integration.conftest import DemoFixture, Gate
from tests.integration.kiosk_ui.fake_camera import qr_image


def test_pages_and_files_are_served(shared_gate: Gate) -> None:
    client = shared_gate.client
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (302, "/kiosk")
    for page in ("/kiosk", "/handheld", "/dashboard"):
        response = client.get(page)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert '<script type="module"' in response.text
    for name in ("result.js", "gate_api.js", "kiosk.js", "handheld.js", "dashboard.js", "door.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/static/icon-192.png").content.startswith(b"\x89PNG")
    worker = client.get("/sw.js")
    assert worker.headers["service-worker-allowed"] == "/"
    manifest = client.get("/manifest.webmanifest").json()
    assert manifest["start_url"] == "/handheld"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    missing = client.get("/static/nothing.js")
    assert missing.status_code == 404


def test_decode_finds_the_code_in_a_jpeg_frame(shared_gate: Gate, demo: DemoFixture) -> None:
    ticket = demo.take()
    frame = np.full((480, 640), 200, dtype=np.uint8)
    code = qr_image(ticket.qr, module_px=5)
    frame[40 : 40 + code.shape[0], 60 : 60 + code.shape[1]] = code
    ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    assert ok
    response = shared_gate.client.post(
        "/api/v1/decode", content=jpeg.tobytes(), headers={"content-type": "image/jpeg"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"codes": [ticket.qr]}
    # Decoding is not scanning: nothing was recorded.
    assert shared_gate.status()["scans"]["total"] == 0  # type: ignore[index]


def test_decode_refuses_what_is_not_a_frame(shared_gate: Gate) -> None:
    client = shared_gate.client
    garbage = client.post("/api/v1/decode", content=b"not a jpeg")
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (422, "invalid_image")
    empty = client.post("/api/v1/decode", content=b"")
    assert (empty.status_code, empty.json()["error"]["code"]) == (422, "invalid_body")
    huge = client.post("/api/v1/decode", content=b"\xff" * (512 * 1024 + 1))
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "body_too_large")


def test_dashboard_json_answers_with_this_gate(shared_gate: Gate) -> None:
    body = shared_gate.client.get("/api/v1/dashboard").json()
    assert body["gate"] == "gate-1"
    assert body["gates"][0]["gate"] == "gate-1"
    assert len(body["admissions"]) == body["chart_minutes"] == 30
