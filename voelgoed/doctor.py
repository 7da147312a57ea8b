"""`voelgoed doctor`: a gate's checks, each OK or FAIL with what a tech can do about it.

Hardware is checked for real: the camera check opens the device (``--camera``, default
/dev/video0) and reads a frame, and the decoder check decodes a QR code drawn here. Checks
that need the running gate (clocks, peers, the hub link) read its ``/api/v1/status``; when
it does not answer they are skipped, the gate check itself having failed.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import httpx

from gate_node.enrolment import IDENTITY_FILE, KEY_FILE, DamagedIdentity, file_mode, read_identity
from gate_node.gate_report import RunningGate, read_only_replica, running_gate
from gate_node.hlc import MAX_SKEW_MS
from gate_node.hub_link import date_offset_ms
from hardware.camera import Camera
from hardware.decoders import make_decoder
from hardware.errors import CameraUnavailable, HardwareError
from hardware.synthetic_frames import qr_image

Outcome = Literal["OK", "FAIL", "SKIP"]
MIN_FREE_BYTES: Final = 200 * 1024 * 1024
DEFAULT_CAMERA: Final = "/dev/video0"


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    action: str = ""


@dataclass(frozen=True)
class DoctorOptions:
    data_dir: Path
    url: str | None = None
    camera: str = DEFAULT_CAMERA
    decoder: str = "zxing"
    offline: bool = False
    expect_peers: int = 0


def check_camera(device: str) -> Check:
    action = (
        f"plug the camera in (USB) or enable the Pi camera, check `ls /dev/video*`, and name"
        f" it with --camera if it is not {DEFAULT_CAMERA}"
    )
    try:
        with Camera(device) as camera:
            frame = next(iter(camera.frames()), None)
    except CameraUnavailable as exc:
        return Check("camera", "FAIL", str(exc), action)
    if frame is None:
        return Check("camera", "FAIL", f"{device} gave no frame", action)
    height, width = frame.image.shape[:2]
    return Check("camera", "OK", f"{device} gives {width}x{height} frames")


def check_decoder(name: str) -> Check:
    text = "VG1:voelgoed-doctor"
    try:
        found = make_decoder(name).decode(qr_image(text))
    except HardwareError as exc:
        return Check("decoder", "FAIL", str(exc), "install what the message names")
    if text not in found:
        return Check(
            "decoder",
            "FAIL",
            f"{name} did not read a clean QR code (read {found!r})",
            "reinstall the decoder's library, or try `--decoder pyzbar`",
        )
    return Check("decoder", "OK", f"{name} reads QR codes")


def check_disk(data_dir: Path) -> Check:
    usage = shutil.disk_usage(data_dir)
    free_mb = usage.free // (1024 * 1024)
    if usage.free < MIN_FREE_BYTES:
        return Check(
            "disk",
            "FAIL",
            f"{free_mb} MB free on the data folder's disk",
            "free space on the card (old data folders, logs): the replica needs room for"
            " every scan",
        )
    return Check("disk", "OK", f"{free_mb} MB free")


def check_replica(data_dir: Path) -> Check:
    action = (
        "stop the gate, move the data folder aside and start from a fresh one (it refills"
        " from the hub or the venue's gates); keep the old folder for the scans it holds"
    )
    try:
        with read_only_replica(data_dir) as conn:
            if conn is None:
                return Check(
                    "replica",
                    "FAIL",
                    f"no replica in {data_dir}",
                    "load an event package (`voelgoed gate load-package`) or enrol and"
                    " start the gate",
                )
            result = [row[0] for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        return Check("replica", "FAIL", f"the replica cannot be read: {exc}", action)
    if result != ["ok"]:
        return Check("replica", "FAIL", "; ".join(map(str, result[:3])), action)
    return Check("replica", "OK", "quick_check ok")


def check_enrolment(data_dir: Path) -> Check:
    enrol = "run `voelgoed gate enrol --hub URL --token TOKEN --data DIR --force`"
    try:
        identity = read_identity(data_dir)
    except DamagedIdentity as exc:
        return Check("enrolment", "FAIL", str(exc), enrol)
    if identity is None:
        return Check(
            "enrolment",
            "FAIL",
            f"not enrolled (no {IDENTITY_FILE})",
            "make a device and token in the organiser app and run `voelgoed gate enrol`;"
            " a gate of an offline venue passes --offline",
        )
    key_mode = file_mode(data_dir / KEY_FILE)
    if key_mode is None:
        return Check("enrolment", "FAIL", f"{KEY_FILE} is missing", "re-key at the hub, " + enrol)
    loose = [
        f"{name} is mode {mode:o}"
        for name, mode in (
            (KEY_FILE, key_mode),
            (IDENTITY_FILE, file_mode(data_dir / IDENTITY_FILE)),
        )
        if mode is not None and mode & 0o077
    ]
    if loose:
        return Check(
            "enrolment",
            "FAIL",
            ", ".join(loose) + " (others can read it)",
            f"`chmod 600 {data_dir / KEY_FILE} {data_dir / IDENTITY_FILE}`, then re-key the"
            " device at the hub if others may have copied the key",
        )
    return Check(
        "enrolment", "OK", f"{identity.device_name} ({identity.device_id}) at {identity.hub_url}"
    )


def check_hub(data_dir: Path, gate: RunningGate, now_ms: Callable[[], int]) -> list[Check]:
    identity = read_identity(data_dir)
    if identity is None:
        return [Check("hub", "SKIP", "not enrolled")]
    url = identity.hub_url + "/api/v1/health"
    action = "check the gate's network (cable, Wi-Fi, DNS) and that the hub is up"
    try:
        response = httpx.get(url, timeout=5.0)
        healthy = response.status_code == 200 and response.json().get("status") == "ok"
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        found = [Check("hub", "FAIL", f"{url}: {exc or type(exc).__name__}", action)]
        healthy = False
    else:
        found = [
            Check("hub", "OK", f"{identity.hub_url} is up")
            if healthy
            else Check("hub", "FAIL", f"{url} answered {response.status_code}", action)
        ]
    link = gate.status.hub if gate.status is not None else None
    if gate.status is None:
        found.append(Check("hub link", "SKIP", "the gate is not running"))
    elif link is None:
        found.append(
            Check(
                "hub link",
                "FAIL",
                "the running gate has no hub link",
                "restart the gate (`voelgoed gate serve`) so it reads its enrolment",
            )
        )
    elif not link.reachable:
        found.append(Check("hub link", "FAIL", link.last_error or "not reached yet", action))
    else:
        found.append(Check("hub link", "OK", f"replicating, backlog {link.backlog}"))
    offset = link.clock_offset_ms if link is not None else None
    if offset is None and healthy:
        offset = date_offset_ms(response.headers.get("date"), now_ms())
    if offset is None:
        found.append(Check("hub clock", "SKIP", "no answer from the hub to measure"))
    elif abs(offset) > MAX_SKEW_MS:
        found.append(
            Check(
                "hub clock",
                "FAIL",
                f"this gate's clock is {-offset:+d} ms from the hub's",
                "set the clock (`timedatectl set-ntp true`, or an RTC module on a Pi)",
            )
        )
    else:
        found.append(Check("hub clock", "OK", f"{-offset:+d} ms from the hub"))
    return found


def check_peers(gate: RunningGate, expect: int) -> list[Check]:
    status = gate.status
    if status is None:
        return [Check("peers", "SKIP", "the gate is not running"), Check("peer clocks", "SKIP", "")]
    reachable = [p for p in status.peers if p.reachable]
    down = [p for p in status.peers if not p.reachable]
    names = ", ".join(p.gate or p.url for p in reachable) or "none"
    action = (
        "gates must share a network; start them with --mdns-interface <LAN address> (or"
        " --peer URL) and the same venue secret or hub"
    )
    if down:
        gone = ", ".join(f"{p.gate or p.url} ({p.error or 'not reached'})" for p in down)
        peers = Check("peers", "FAIL", f"unreachable: {gone}; reachable: {names}", action)
    elif len(reachable) < expect:
        peers = Check("peers", "FAIL", f"{len(reachable)} of {expect} found: {names}", action)
    else:
        peers = Check("peers", "OK", f"{len(reachable)} reachable: {names}")
    far = [p for p in reachable if p.skew_ms is not None and abs(p.skew_ms) > MAX_SKEW_MS]
    if far:
        shown = ", ".join(f"{p.gate or p.url} {p.skew_ms:+d} ms" for p in far)
        clocks = Check(
            "peer clocks",
            "FAIL",
            f"peers' clocks differ from this gate's: {shown}",
            "set the clocks (`timedatectl set-ntp true`) on the gate that is off",
        )
    else:
        clocks = Check("peer clocks", "OK", f"within {MAX_SKEW_MS} ms")
    return [peers, clocks]


def run_checks(options: DoctorOptions, now_ms: Callable[[], int]) -> list[Check]:
    """Every check, in the order a tech reads them."""
    data = options.data_dir
    if not data.is_dir():
        return [Check("data folder", "FAIL", f"{data} does not exist", "give the gate's --data")]
    gate = running_gate(data, options.url)
    checks = [
        check_camera(options.camera),
        check_decoder(options.decoder),
        check_disk(data),
        check_replica(data),
        Check("gate", "OK", f"running at {gate.url}")
        if gate.status is not None
        else Check(
            "gate",
            "FAIL",
            gate.error or "not running",
            "start it: `voelgoed gate serve --data DIR` (or give its address with --url)",
        ),
        *check_peers(gate, options.expect_peers),
    ]
    if options.offline:
        checks.append(Check("enrolment", "SKIP", "offline venue"))
    else:
        checks.append(check_enrolment(data))
        checks.extend(check_hub(data, gate, now_ms))
    return checks


def render_checks(checks: list[Check]) -> str:
    lines = []
    for check in checks:
        lines.append(f"{check.outcome:<4}  {check.name:<12}  {check.detail}".rstrip())
        if check.outcome == "FAIL" and check.action:
            lines.append(f"{'':<4}  {'':<12}  -> {check.action}")
    return "\n".join(lines)
