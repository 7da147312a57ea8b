"""`voelgoed status` and `voelgoed doctor` on real data folders, with a real gate process
(and, for the hub checks, the stand-in hub of standin_hub.py). There is no camera on this
machine: the camera check fails, with its advice, unless pointed at a video file."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from hardware.synthetic_frames import clean_frame, write_video
from tests.integration.conftest import DemoFixture, GateFactory
from tests.integration.gate_node.conftest import Site, hub_link, wait_for
from voelgoed.processes import voelgoed_command


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voelgoed_command(*args), check=False, capture_output=True, text=True, timeout=120
    )


def lines_of(output: str) -> dict[str, str]:
    """Each check's outcome by name (`OK    decoder       zxing reads QR codes`)."""
    found = {}
    for line in output.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2 and parts[0] in ("OK", "FAIL", "SKIP"):
            found[line[6:20].strip()] = parts[0]
    return found


def camera_video(tmp_path: Path) -> Path:
    frames = [clean_frame("VG1:camera", seed=i).image for i in range(5)]
    return write_video(tmp_path / "camera.avi", frames)


def test_status_of_a_folder_and_of_its_running_gate(
    tmp_path: Path, start_gate: GateFactory, demo: DemoFixture
) -> None:
    data = tmp_path / "gate-1"
    assert run("gate", "load-package", "--data", str(data), str(demo.package_path)).returncode == 0
    idle = run("status", "--data", str(data))
    assert idle.returncode == 0, idle.stderr
    assert demo.event.package.event.name in idle.stdout
    assert f"tickets     {len(demo.event.tickets)} (" in idle.stdout
    assert "running     no" in idle.stdout
    assert "not enrolled" in idle.stdout

    gate = start_gate("gate-1", data_dir=data)
    gate.scan(demo.take().qr)
    gate.scan(demo.take(state="revoked").qr)
    shown = run("status", "--data", str(data))  # finds the gate from the data folder
    assert shown.returncode == 0, shown.stderr
    assert f"running     yes, at {gate.url}" in shown.stdout
    assert "1 admitted, 0 exits, 1 rejected (revoked 1)" in shown.stdout
    assert "peers       none" in shown.stdout

    missing = run("status", "--data", str(tmp_path / "nowhere"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_status_and_doctor_of_an_enrolled_gate(
    tmp_path: Path, site: Site, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate("north", data_dir=site.data)
    gate.scan(demo.take().qr)
    wait_for(lambda: hub_link(gate)["backlog"] == 0)
    shown = run("status", "--data", str(site.data))
    assert "device      Pi 1 (" in shown.stdout
    assert "venue       Demo Hall of demo-org" in shown.stdout
    assert f"hub         {site.url}/sync/events/" in shown.stdout
    assert ": reachable" in shown.stdout
    assert "backlog     0" in shown.stdout

    # Pointed at a video file for a camera, every check of this gate passes.
    well = run("doctor", "--data", str(site.data), "--camera", str(camera_video(tmp_path)))
    assert well.returncode == 0, well.stdout
    checks = lines_of(well.stdout)
    assert checks["camera"] == "OK"
    for name in ("decoder", "disk", "replica", "gate", "enrolment", "hub", "hub link"):
        assert checks[name] == "OK", (name, well.stdout)
    assert checks["hub clock"] == "OK"
    assert "all checks passed" in well.stdout

    # The real camera device is absent here: that check fails, honestly, with advice.
    no_camera = run("doctor", "--data", str(site.data))
    assert no_camera.returncode == 1
    assert lines_of(no_camera.stdout)["camera"] == "FAIL"
    assert "no camera device at /dev/video0" in no_camera.stdout
    assert "-> plug the camera in" in no_camera.stdout

    # The hub down: the hub and the link fail, each with what to do.
    site.stop_hub()
    wait_for(lambda: hub_link(gate)["reachable"] is False)
    down = run("doctor", "--data", str(site.data), "--camera", str(camera_video(tmp_path)))
    assert down.returncode == 1
    checks = lines_of(down.stdout)
    assert checks["hub"] == "FAIL"
    assert checks["hub link"] == "FAIL"
    assert "-> check the gate's network" in down.stdout


def test_doctor_of_a_damaged_folder(tmp_path: Path, site: Site) -> None:
    data = site.data
    os.chmod(data / "device.key", 0o644)
    (data / "replica.sqlite3").write_bytes(b"SQLite format 3\x00" + b"\x07" * 4096)
    result = run("doctor", "--data", str(data), "--camera", str(camera_video(tmp_path)))
    assert result.returncode == 1
    checks = lines_of(result.stdout)
    assert checks["replica"] == "FAIL"
    assert checks["enrolment"] == "FAIL"
    assert checks["gate"] == "FAIL"
    assert checks["peers"] == "SKIP"
    assert "device.key is mode 644" in result.stdout
    assert "-> `chmod 600" in result.stdout
    assert "-> stop the gate, move the data folder aside" in result.stdout
    assert "-> start it: `voelgoed gate serve" in result.stdout


def test_doctor_of_an_offline_venues_gate(
    tmp_path: Path, start_gate: GateFactory, demo: DemoFixture
) -> None:
    gate = start_gate("gate-1")
    camera = str(camera_video(tmp_path))
    enrolled = run("doctor", "--data", str(gate.data_dir), "--camera", camera)
    assert enrolled.returncode == 1
    assert lines_of(enrolled.stdout)["enrolment"] == "FAIL"
    assert "-> make a device and token in the organiser app" in enrolled.stdout
    offline = run("doctor", "--data", str(gate.data_dir), "--camera", camera, "--offline")
    assert offline.returncode == 0, offline.stdout
    lonely = run(
        "doctor",
        "--data",
        str(gate.data_dir),
        "--camera",
        camera,
        "--offline",
        "--expect-peers",
        "1",
    )
    assert lonely.returncode == 1
    assert lines_of(lonely.stdout)["peers"] == "FAIL"
