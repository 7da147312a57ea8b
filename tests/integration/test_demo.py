"""`make demo` as a newcomer meets it: a gate, sample codes, and QR images that scan."""

from __future__ import annotations

from pathlib import Path

import httpx
import zxingcpp
from PIL import Image

from voelgoed.demo import PACKAGE_NAME, prepare
from voelgoed.processes import ServerProcess, free_port, voelgoed_command


def test_demo_serves_a_gate_and_its_sample_codes_get_the_promised_answers(tmp_path: Path) -> None:
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
        output = log.read_text()
        assert f"http://127.0.0.1:{port}" in output
        _, samples = prepare(tmp_path, tickets=200)
        for sample in samples:
            assert sample.code in output
            answer = client.post("/api/v1/scan", json={"code": sample.code}).json()
            expected = sample.expect.split(",")[0].split(" ")[0]
            assert expected in (answer["status"], answer["reason"]), (sample, answer)
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
