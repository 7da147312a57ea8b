"""Fixtures of the gate's integration tests: a stand-in hub with a data folder enrolled at it."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import DemoFixture, Gate
from tests.integration.gate_node.standin_hub import StandInHub, hub_replica, serve_on, token
from voelgoed.processes import free_port, voelgoed_command


@dataclass
class Site:
    hub: StandInHub
    port: int
    url: str
    data: Path
    serving: contextlib.ExitStack

    def stop_hub(self) -> None:
        self.serving.close()

    def start_hub(self) -> None:
        self.serving.enter_context(serve_on(self.hub.app(), self.port))


@pytest.fixture
def site(tmp_path: Path, demo: DemoFixture) -> Iterator[Site]:
    """A running stand-in hub and a data folder enrolled at it (not serving yet)."""
    hub = StandInHub(str(demo.event.package.event.id), hub_replica(tmp_path / "hub.sqlite3"))
    port = free_port()
    hub.tokens[token("gate")] = None
    data = tmp_path / "north"
    with contextlib.ExitStack() as serving:
        url = serving.enter_context(serve_on(hub.app(), port))
        enrolled = subprocess.run(
            voelgoed_command(
                "gate", "enrol", "--hub", url, "--token", token("gate"), "--data", str(data)
            ),
            check=False,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert enrolled.returncode == 0, enrolled.stderr
        yield Site(hub, port, url, data, serving)


def wait_for(condition: Callable[[], bool], seconds: float = 8.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def hub_scans(hub: StandInHub) -> set[str]:
    with hub.lock:
        rows = hub.replica.connection.execute("SELECT id FROM scans").fetchall()
    return {r[0] for r in rows}


def hub_link(gate: Gate) -> dict[str, object]:
    link = gate.status()["hub"]
    assert isinstance(link, dict)
    return link
