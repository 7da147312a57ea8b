"""`voelgoed gate enrol` against a stand-in for the hub's enrolment endpoint (standin_hub.py,
which can answer every refusal on demand; tests/integration/hub/test_one_system.py enrols
at the real hub): the key and identity files, and one clear sentence with its own exit
status for each way enrolment fails."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import nacl.signing
import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse
from starlette.routing import Route

from gate_node import replica
from tests.integration.gate_node.standin_hub import (
    SECRET,
    StandInHub,
    hub_replica,
    serve_on,
    token,
)
from voelgoed.processes import free_port, serve_in_thread, voelgoed_command

EVENT_ID = "0f0e0d0c-0b0a-4909-8807-060504030201"


def enrol(hub: str, tok: str, data: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voelgoed_command(
            "gate", "enrol", "--hub", hub, "--token", tok, "--data", str(data), *extra
        ),
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[tuple[StandInHub, str]]:
    hub = StandInHub(EVENT_ID, hub_replica(tmp_path / "hub.sqlite3"))
    with serve_on(hub.app(), free_port()) as url:
        yield hub, url


def test_a_good_token_enrols_the_gate(tmp_path: Path, standin: tuple[StandInHub, str]) -> None:
    hub, url = standin
    hub.tokens[token("good")] = None
    data = tmp_path / "gate"
    result = enrol(url + "/", token("good"), data)
    assert result.returncode == 0, result.stderr
    assert "enrolled" in result.stdout
    assert "Pi 1" in result.stdout

    seed = (data / "device.key").read_bytes()
    assert len(seed) == 32
    assert (data / "device.key").stat().st_mode & 0o777 == 0o600
    assert (data / "device.json").stat().st_mode & 0o777 == 0o600
    public = nacl.signing.SigningKey(seed).verify_key.encode()
    [sent] = hub.enrol_bodies
    assert sent["public_key"] == public.hex()
    assert sent["token"] == token("good")
    assert sent["host_name"]
    assert sent["software_version"] == "0.1.0"
    # The private key never leaves the gate, nor is it shown.
    assert seed.hex() not in json.dumps(sent)
    assert seed.hex() not in result.stdout

    identity = json.loads((data / "device.json").read_text())
    assert identity["device_id"] == next(iter(hub.devices))
    assert identity["hub_url"] == url
    assert identity["gate"] == "north"
    assert identity["venue"] == "Demo Hall"
    assert identity["org"] == "demo-org"
    assert identity["hub_id"] == "hub0standin"
    assert identity["events"] == [
        {"id": EVENT_ID, "name": "Demo night", "sync_path": f"/sync/events/{EVENT_ID}"}
    ]
    assert bytes.fromhex(identity["venue_secret"]) == SECRET
    assert sorted(p.name for p in data.iterdir()) == ["device.json", "device.key"]


@pytest.mark.parametrize(
    ("fate", "status", "words"),
    [
        ("unknown", 10, "does not know this enrolment token"),
        ("token_used", 11, "already used"),
        ("token_expired", 12, "expired"),
        ("device_revoked", 13, "revoked"),
        ("other_hub", 14, "another hub"),
    ],
)
def test_each_refusal_is_one_sentence_and_leaves_no_key(
    tmp_path: Path, standin: tuple[StandInHub, str], fate: str, status: int, words: str
) -> None:
    hub, url = standin
    tok = token(fate)
    if fate == "other_hub":
        tok = "vgt1.someotherhub." + "y" * 40
    elif fate != "unknown":
        hub.tokens[tok] = fate
    data = tmp_path / "gate"
    result = enrol(url, tok, data)
    assert result.returncode == status, result.stderr
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert list(data.iterdir()) == []


def test_a_refused_request_names_the_hubs_reason(tmp_path: Path) -> None:
    def refuse(request: object) -> PlainTextResponse:
        body = json.dumps({"error": {"code": "invalid_body", "message": "public_key: bad"}})
        return PlainTextResponse(body, 422, media_type="application/json")

    app = Starlette(routes=[Route("/api/v1/enrol", refuse, methods=["POST"])])
    with serve_in_thread(app) as url:
        result = enrol(url, token("x"), tmp_path / "gate")
    assert result.returncode == 15
    assert "malformed: public_key: bad" in result.stderr
    assert not (tmp_path / "gate" / "device.key").exists()


def test_a_hub_that_cannot_be_reached(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = enrol(url, token("x"), tmp_path / "gate")
    assert result.returncode == 4
    assert f"The hub at {url} cannot be reached:" in result.stderr
    assert "Check the address and the network." in result.stderr
    assert list((tmp_path / "gate").iterdir()) == []


@pytest.mark.parametrize(
    "answer",
    [
        HTMLResponse("<html>a router's page</html>"),
        PlainTextResponse("Not Found", 404),
        PlainTextResponse('{"hello": "world"}', 200, media_type="application/json"),
    ],
)
def test_an_address_that_is_not_a_hub(tmp_path: Path, answer: PlainTextResponse) -> None:
    async def anything(request: object) -> PlainTextResponse:
        return answer

    app = Starlette(routes=[Route("/api/v1/enrol", anything, methods=["POST"])])
    with serve_in_thread(app) as url:
        result = enrol(url, token("x"), tmp_path / "gate")
    assert result.returncode == 5, result.stderr
    assert "is not a Voelgoed hub" in result.stderr
    assert list((tmp_path / "gate").iterdir()) == []


def test_bad_token_text_and_bad_address(tmp_path: Path) -> None:
    assert enrol("http://127.0.0.1:9", "hello", tmp_path / "g").returncode == 6
    result = enrol("ftp://hub", token("x"), tmp_path / "g")
    assert result.returncode == 5
    assert "not a hub address" in result.stderr


def test_an_enrolled_folder_is_enrolled_again_only_with_force(
    tmp_path: Path, standin: tuple[StandInHub, str]
) -> None:
    hub, url = standin
    data = tmp_path / "gate"
    hub.tokens[token("first")] = None
    assert enrol(url, token("first"), data).returncode == 0
    conn = replica.open_replica(data)
    conn.execute("INSERT INTO tickets (id) VALUES ('t-1')")
    conn.close()
    first_key = (data / "device.key").read_bytes()
    first_identity = (data / "device.json").read_bytes()

    hub.tokens[token("second")] = None
    refused = enrol(url, token("second"), data)
    assert refused.returncode == 3
    assert "already enrolled" in refused.stderr
    assert "--force" in refused.stderr

    # A failed re-enrolment leaves the earlier identity as it was.
    failed = enrol(url, token("first"), data, "--force")
    assert failed.returncode == 11
    assert (data / "device.key").read_bytes() == first_key
    assert (data / "device.json").read_bytes() == first_identity

    again = enrol(url, token("second"), data, "--force")
    assert again.returncode == 0, again.stderr
    assert (data / "device.key").read_bytes() != first_key
    assert (data / "device.key").stat().st_mode & 0o777 == 0o600
    assert json.loads((data / "device.json").read_text())["device_name"] == "Pi 2"
    conn = replica.open_replica(data)
    assert conn.execute("SELECT id FROM tickets").fetchall() == [("t-1",)]
    conn.close()
    assert not any(p.name.endswith(".pending") for p in data.iterdir())
