"""Fixtures for integration tests: real event packages, real gate processes on loopback."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import httpx
import pytest

from voelgoed.demo_event import DemoEvent, DemoTicket, build_demo_event, write_demo_event
from voelgoed.processes import ServerProcess, free_port, voelgoed_command


def add_staff(data_dir: Path, name: str, role: str, pin: str) -> None:
    """Add a member of staff to a gate's data folder with the `voelgoed` command."""
    result = subprocess.run(
        voelgoed_command(
            "gate",
            "staff",
            "add",
            "--data",
            str(data_dir),
            "--name",
            name,
            "--role",
            role,
            "--pin",
            pin,
        ),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@dataclass
class DemoFixture:
    """A demo event written to disk, handing out tickets that no other test has used."""

    event: DemoEvent
    package_path: Path
    used: set[str] = field(default_factory=set)

    def take(self, ticket_type: str = "General admission", state: str = "valid") -> DemoTicket:
        for ticket in self.event.tickets:
            if (
                ticket.ticket_type == ticket_type
                and ticket.state == state
                and ticket.qr not in self.used
            ):
                self.used.add(ticket.qr)
                return ticket
        raise LookupError(f"no unused {state} {ticket_type} ticket left in the demo event")


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFixture:
    event = build_demo_event(600, now=dt.datetime.now(dt.UTC), seed=3)
    path = tmp_path_factory.mktemp("event") / "event.vgpkg"
    write_demo_event(event, path)
    return DemoFixture(event, path)


@dataclass
class Gate:
    """A gate node running in its own process, and an HTTP client for it."""

    process: ServerProcess
    data_dir: Path
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.process.url

    def scan(self, code: str, **fields: object) -> dict[str, object]:
        response = self.client.post("/api/v1/scan", json={"code": code, **fields})
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        return body

    def status(self) -> dict[str, object]:
        body: dict[str, object] = self.client.get("/api/v1/status").json()
        return body

    def restart(self) -> None:
        self.process.start()


GateFactory = Callable[..., Gate]
# Pass as `package` to start a gate with no event package (it gets its event by sync).
NO_PACKAGE: Final = Path("/no-package")


@pytest.fixture
def start_gate(tmp_path: Path, demo: DemoFixture) -> Iterator[GateFactory]:
    """Start gate processes over the demo event; all are stopped after the test."""
    gates: list[Gate] = []

    def start(
        name: str = "gate-1",
        data_dir: Path | None = None,
        package: Path | None = None,
        extra_args: tuple[str, ...] = (),
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> Gate:
        data = data_dir or tmp_path / name
        port = port or free_port()
        args = [
            "gate",
            "serve",
            "--data",
            str(data),
            "--port",
            str(port),
            "--gate-name",
            name,
            "--log-level",
            "warning",
        ]
        if package != NO_PACKAGE:
            args += ["--event-package", str(package or demo.package_path)]
        args += extra_args
        process = ServerProcess(
            voelgoed_command(*args), port, log_path=tmp_path / f"{name}.log", env=env
        ).start()
        gate = Gate(process, data, httpx.Client(base_url=process.url, timeout=10))
        gates.append(gate)
        return gate

    yield start
    for gate in gates:
        gate.client.close()
        gate.process.stop()


@pytest.fixture(scope="module")
def shared_gate(tmp_path_factory: pytest.TempPathFactory, demo: DemoFixture) -> Iterator[Gate]:
    """One gate for a whole module, for tests that each use their own tickets."""
    tmp = tmp_path_factory.mktemp("shared-gate")
    port = free_port()
    process = ServerProcess(
        voelgoed_command(
            "gate",
            "serve",
            "--data",
            str(tmp / "data"),
            "--port",
            str(port),
            "--event-package",
            str(demo.package_path),
            "--log-level",
            "warning",
        ),
        port,
        log_path=tmp / "gate.log",
    ).start()
    client = httpx.Client(base_url=process.url, timeout=10)
    yield Gate(process, tmp / "data", client)
    client.close()
    process.stop()
