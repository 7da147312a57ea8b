"""A load generator fast enough not to be the bottleneck: raw keep-alive HTTP/1.1 sockets.

httpx tops out near 500 requests/s as a client on this kind of machine; a blocking socket
with a hand-written request costs a few microseconds. Run as a separate process:

    python -m bench.support.loadgen PLAN.json

The plan is {"mode": "interleaved", "targets": [{"port", "path", "bodies"}...]} or
{"mode": "throughput", "port", "path", "bodies", "conns"}. Interleaved mode keeps one
connection per target and sends request i to every target in turn before request i + 1, so
that every target sees the same moments of machine noise: the fair way to compare latencies
on a busy machine. The order rotates each round, so no target always follows another.
It prints one JSON object: per-target latencies in ms, or requests/s.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any


class Connection:
    """One keep-alive HTTP/1.1 connection that POSTs JSON bodies and reads whole answers."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.host = host
        self.buffer = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        self.sock.sendall(head + body)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        header, _, rest = self.buffer.partition(b"\r\n\r\n")
        status = int(header[9:12])
        length = 0
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            self.buffer = rest
            self._fill()
            rest = self.buffer
        self.buffer = rest[length:]
        return status, rest[:length]

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def interleaved(host: str, targets: list[dict[str, Any]]) -> dict[str, object]:
    """Request i to each target in turn, one keep-alive connection per target."""
    conns = [Connection(host, int(t["port"])) for t in targets]
    n = min(len(t["bodies"]) for t in targets)
    latencies: list[list[float]] = [[] for _ in targets]
    statuses: list[dict[str, int]] = [{} for _ in targets]
    for i in range(n):
        # Rotate who goes first, so that no target always follows another's fsync.
        for step in range(len(targets)):
            k = (i + step) % len(targets)
            conn, target = conns[k], targets[k]
            body = target["bodies"][i].encode()
            started = time.perf_counter()
            status, _ = conn.post(target["path"], body)
            latencies[k].append((time.perf_counter() - started) * 1000)
            statuses[k][str(status)] = statuses[k].get(str(status), 0) + 1
    for conn in conns:
        conn.close()
    return {
        "targets": [
            {"latencies_ms": lat, "http_statuses": st}
            for lat, st in zip(latencies, statuses, strict=True)
        ]
    }


def throughput(
    host: str, port: int, path: str, bodies: list[bytes], conns: int
) -> dict[str, object]:
    """All bodies spread over `conns` concurrent connections; requests per second."""
    shares = [bodies[i::conns] for i in range(conns)]
    errors: list[BaseException] = []
    connections = [Connection(host, port) for _ in range(conns)]
    barrier = threading.Barrier(conns + 1)

    def run(conn: Connection, share: list[bytes]) -> None:
        barrier.wait()
        try:
            for body in share:
                conn.post(path, body)
        except BaseException as exc:  # reported below, not swallowed
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(c, s)) for c, s in zip(connections, shares, strict=True)
    ]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for c in connections:
        c.close()
    if errors:
        raise errors[0]
    return {"requests": len(bodies), "seconds": elapsed, "per_s": len(bodies) / elapsed}


def main(argv: list[str]) -> None:
    plan = json.loads(Path(argv[0]).read_text())
    host = plan.get("host", "127.0.0.1")
    if plan["mode"] == "interleaved":
        result = interleaved(host, plan["targets"])
    else:
        bodies = [b.encode() for b in plan["bodies"]]
        result = throughput(host, int(plan["port"]), plan["path"], bodies, int(plan["conns"]))
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
