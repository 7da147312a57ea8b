"""Server-sent events: a kiosk or dashboard subscribed to the gate sees each scan live."""

from __future__ import annotations

import json
import threading

import httpx

from tests.integration.conftest import DemoFixture, Gate


def test_each_scan_is_pushed_to_subscribers(shared_gate: Gate, demo: DemoFixture) -> None:
    events: list[tuple[str, dict[str, object]]] = []
    subscribed = threading.Event()

    def listen() -> None:
        with (
            httpx.Client(base_url=shared_gate.url, timeout=10) as client,
            client.stream("GET", "/api/v1/events") as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            kind = ""
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    subscribed.set()
                elif line.startswith("event: "):
                    kind = line.removeprefix("event: ")
                elif line.startswith("data: "):
                    events.append((kind, json.loads(line.removeprefix("data: "))))
                    if len(events) == 2:
                        return

    listener = threading.Thread(target=listen)
    listener.start()
    assert subscribed.wait(10)
    code = demo.take().qr
    first = shared_gate.scan(code)
    second = shared_gate.scan(code)
    listener.join(10)
    assert [kind for kind, _ in events] == ["scan", "scan"]
    assert [e["answer"]["scan_id"] for _, e in events] == [first["scan_id"], second["scan_id"]]  # type: ignore[index]
    assert events[1][1]["answer"]["reason"] == "already_scanned"  # type: ignore[index]
    assert events[0][1]["gate"] == "gate-1"


def test_head_on_the_live_feed_answers_and_frees_the_connection(shared_gate: Gate) -> None:
    # HEAD has no body: the feed's endless stream must not start, or the connection stays
    # busy and the client's next request on it waits forever.
    with httpx.Client(base_url=shared_gate.url, timeout=5) as client:
        head = client.head("/api/v1/events")
        assert head.status_code == 200
        assert head.headers["content-type"].startswith("text/event-stream")
        assert client.get("/api/v1/status").status_code == 200
