"""Running services as child processes: start, wait until they answer, stop.

Used by the demo, the benchmarks and the integration tests, which all run gates as real
processes on loopback.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

import uvicorn
from starlette.types import ASGIApp


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on `port` (default: a free one) in a thread; yields its
    URL.

    For tests and benchmarks that need a real HTTP server in-process (a given port lets a
    test stop a server and start it again where its clients expect it).
    """
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the in-thread server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join()
        sock.close()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago on `host`."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def voelgoed_command(*args: str) -> list[str]:
    """The argv that runs `voelgoed ARGS` with this interpreter."""
    return [sys.executable, "-m", "voelgoed", *args]


class ServerProcess:
    """A child process serving TCP on host:port; a context manager that stops it on exit."""

    def __init__(
        self,
        argv: Sequence[str],
        port: int,
        *,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.host = host
        self.port = port
        self.log_path = log_path
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 30.0) -> ServerProcess:
        """Start the process and wait until its port accepts connections."""
        log = self.log_path.open("ab") if self.log_path else None
        try:
            self.process = subprocess.Popen(  # noqa: S603 (argv built by our own callers)
                self.argv,
                stdout=log or subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                cwd=self.cwd,
                env={**os.environ, **(self.env or {})},
            )
        finally:
            if log is not None:
                log.close()  # the child holds its own copy
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.argv} exited with {self.process.returncode} before serving"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError(f"{self.argv} did not serve on port {self.port} in {timeout} s")

    def stop(self, timeout: float = 10.0) -> int | None:
        """Ask the process to stop (SIGINT, as Ctrl-C), kill it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        """Stop the process abruptly (SIGKILL), as a power cut would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
