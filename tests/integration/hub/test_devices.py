"""Gate devices at the hub over real HTTP and PostgreSQL: adding one, enrolling with its
token (good, reused, expired, revoked, another hub's, malformed), re-keying, revoking, who
may do it, and what the sync routes ask (keys, last seen, roster, nonces)."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import subprocess
import sys
import uuid
from typing import Any

import asyncpg
import httpx
import hypothesis.strategies as st
import nacl.signing
import pytest
from hypothesis import given, settings

from hub import database
from hub.roles import Role
from hub.services import devices
from hub.services.device_nonces import WINDOW_MS, admit_nonce, prune_nonces
from sync.device_auth import SignedRequest
from sync.errors import AuthenticationError
from tests.integration.hub.conftest import Hub, Org, OrgFactory
from tests.integration.hub.seated_event import SeatedEvent, build_seated_event, ok

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def org(make_org: OrgFactory) -> Org:
    return make_org("Devices org")


@pytest.fixture(scope="module")
def event(org: Org) -> SeatedEvent:
    return build_seated_event(org.api)


def add_device(org: Org, event: SeatedEvent, gate: str = "north", **extra: Any) -> Any:
    body = {
        "name": f"Pi {uuid.uuid4().hex[:6]}",
        "venue_id": event.venue_id,
        "event_ids": [event.event_id],
        "gate": gate,
        **extra,
    }
    return ok(org.api.post("/api/v1/devices", json=body), 201)


def enrol_body(token: str, key: nacl.signing.SigningKey | None = None) -> dict[str, str]:
    key = key or nacl.signing.SigningKey.generate()
    return {
        "token": token,
        "public_key": key.verify_key.encode().hex(),
        "host_name": "gate-north-1",
        "software_version": "0.1.0",
    }


def enrol(hub: Hub, body: dict[str, Any]) -> httpx.Response:
    return hub.client().post("/api/v1/enrol", json=body)


def refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    message: str = error["message"]
    assert message.endswith("."), message  # one clear sentence
    assert message[0].isupper(), message
    return message


def sql(hub: Hub, query: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(database.asyncpg_dsn(hub.database_url))
        try:
            return list(await conn.fetch(query, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_a_device_enrols_once_with_its_token(hub: Hub, org: Org, event: SeatedEvent) -> None:
    made = add_device(org, event)
    device, enrolment = made["device"], made["enrolment"]
    assert device["state"] == "pending"
    assert device["public_key"] is None
    assert device["gate"] == "north"
    assert device["event_ids"] == [event.event_id]
    token = enrolment["token"]
    prefix, hub_id, secret = token.split(".")
    assert prefix == "vgt1"
    assert len(secret) == 43
    assert base64.b64decode(enrolment["qr_png_base64"]).startswith(PNG_MAGIC)
    expires = dt.datetime.fromisoformat(enrolment["expires_at"])
    assert dt.timedelta(hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(hours=24)
    # Only the token's SHA-256 is stored.
    stored = sql(
        hub,
        "SELECT token_sha256 FROM enrolment_token WHERE device_id = $1",
        uuid.UUID(device["id"]),
    )
    assert [r["token_sha256"] for r in stored] != [token]
    assert len(stored[0]["token_sha256"]) == 64

    key = nacl.signing.SigningKey.generate()
    answer = ok(enrol(hub, enrol_body(token, key)))
    venue_secret = sql(
        hub, "SELECT sync_secret FROM venue WHERE id = $1", uuid.UUID(event.venue_id)
    )[0]["sync_secret"]
    assert answer == {
        "hub_id": hub_id,
        "device_id": device["id"],
        "device_name": device["name"],
        "org": org.slug,
        "venue": "Civic Hall",
        "venue_id": event.venue_id,
        "gate": "north",
        "events": [
            {
                "id": event.event_id,
                "name": "Opening night",
                "sync_path": f"/sync/events/{event.event_id}",
            }
        ],
        "venue_secret": bytes(venue_secret).hex(),
    }
    assert len(bytes(venue_secret)) == 32
    listed = ok(org.api.get(f"/api/v1/devices/{device['id']}"))
    assert listed["state"] == "active"
    assert listed["public_key"] == key.verify_key.encode().hex()
    assert (listed["host_name"], listed["software_version"]) == ("gate-north-1", "0.1.0")
    assert listed["enrolled_at"] is not None

    again = enrol(hub, enrol_body(token))
    assert "already used" in refused(again, 409, "token_used")
    # The second try changed nothing: the first key stays.
    assert ok(org.api.get(f"/api/v1/devices/{device['id']}"))["public_key"] == listed["public_key"]
    actions = [e["action"] for e in ok(org.api.get("/api/v1/audit"))]
    assert {"device.created", "device.enrolled"} <= set(actions)


def test_an_expired_token_is_refused(hub: Hub, org: Org, event: SeatedEvent) -> None:
    made = add_device(org, event)
    sql(
        hub,
        "UPDATE enrolment_token SET expires_at = now() - interval '1 second' WHERE device_id = $1",
        uuid.UUID(made["device"]["id"]),
    )
    response = enrol(hub, enrol_body(made["enrolment"]["token"]))
    assert "expired" in refused(response, 410, "token_expired")
    assert ok(org.api.get(f"/api/v1/devices/{made['device']['id']}"))["state"] == "pending"


def test_a_revoked_device_cannot_enrol(hub: Hub, org: Org, event: SeatedEvent) -> None:
    made = add_device(org, event)
    device_id = made["device"]["id"]
    revoked = ok(org.api.post(f"/api/v1/devices/{device_id}/revoke"))
    assert revoked["state"] == "revoked"
    assert revoked["revoked_at"] is not None
    # The unused token went with it: the hub no longer knows it.
    response = enrol(hub, enrol_body(made["enrolment"]["token"]))
    refused(response, 404, "token_unknown")
    # An enrolled device, revoked, cannot come back with its old token either.
    other = add_device(org, event)
    ok(enrol(hub, enrol_body(other["enrolment"]["token"])))
    ok(org.api.post(f"/api/v1/devices/{other['device']['id']}/revoke"))
    response = enrol(hub, enrol_body(other["enrolment"]["token"]))
    assert "revoked" in refused(response, 403, "device_revoked")
    # Revoking is final.
    again = org.api.post(f"/api/v1/devices/{device_id}/revoke")
    assert again.status_code == 409
    rekey = org.api.post(f"/api/v1/devices/{device_id}/rekey")
    assert rekey.status_code == 409
    assert "add a new device" in rekey.json()["error"]["message"]


def test_tokens_of_another_hub_and_unknown_tokens_are_told_apart(
    hub: Hub, org: Org, event: SeatedEvent
) -> None:
    made = add_device(org, event)
    _, hub_id, secret = made["enrolment"]["token"].split(".")
    other_hub = "0123456789abcdef" if hub_id != "0123456789abcdef" else "fedcba9876543210"
    message = refused(enrol(hub, enrol_body(f"vgt1.{other_hub}.{secret}")), 400, "token_other_hub")
    assert other_hub in message
    assert hub_id in message
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    refused(enrol(hub, enrol_body(f"vgt1.{hub_id}.{flipped}")), 404, "token_unknown")
    refused(enrol(hub, enrol_body("not a token")), 404, "token_unknown")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"", 422),
        (b"{not json", 400),
        (b"[]", 422),
        (b'{"token": "x"}', 422),
        (b'{"token": "x", "public_key": "zz", "host_name": "h", "software_version": "1"}', 422),
        (
            b'{"token": "x", "public_key": "' + b"ab" * 32 + b'", "host_name": "h",'
            b' "software_version": "1", "extra": 1}',
            422,
        ),
        (b'{"token": "' + b"x" * 400_000 + b'"}', 413),
    ],
    ids=["empty", "not JSON", "a list", "missing fields", "bad key", "unknown field", "huge"],
)
def test_malformed_enrolment_bodies_get_a_clear_error(hub: Hub, raw: bytes, status: int) -> None:
    response = hub.client().post(
        "/api/v1/enrol", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"]["message"]


def test_rekey_stops_the_old_key_at_once(hub: Hub, org: Org, event: SeatedEvent) -> None:
    made = add_device(org, event)
    device_id = made["device"]["id"]
    old = nacl.signing.SigningKey.generate()
    ok(enrol(hub, enrol_body(made["enrolment"]["token"], old)))
    assert _sync_key(hub, event.event_id, device_id) == old.verify_key.encode()
    rekeyed = ok(org.api.post(f"/api/v1/devices/{device_id}/rekey"))
    assert rekeyed["device"]["state"] == "pending"
    assert rekeyed["device"]["public_key"] is None
    assert _sync_key(hub, event.event_id, device_id) is None
    new = nacl.signing.SigningKey.generate()
    ok(enrol(hub, enrol_body(rekeyed["enrolment"]["token"], new)))
    assert _sync_key(hub, event.event_id, device_id) == new.verify_key.encode()
    # Another event's sync does not take this device, nor does a malformed id.
    assert _sync_key(hub, str(uuid.uuid4()), device_id) is None
    assert _sync_key(hub, event.event_id, "not-a-uuid") is None


def _sync_key(hub: Hub, event_id: str, device_id: str) -> bytes | None:
    async def run() -> bytes | None:
        async with database.connected(hub.database_url):
            return await devices.sync_key(uuid.UUID(event_id), device_id)

    return asyncio.run(run())


def test_seen_and_the_roster(hub: Hub, org: Org, event: SeatedEvent) -> None:
    active = add_device(org, event, gate="south")
    key = nacl.signing.SigningKey.generate()
    ok(enrol(hub, enrol_body(active["enrolment"]["token"], key)))
    gone = add_device(org, event, gate="east")
    ok(enrol(hub, enrol_body(gone["enrolment"]["token"])))
    ok(org.api.post(f"/api/v1/devices/{gone['device']['id']}/revoke"))
    moment = dt.datetime(2031, 3, 1, 18, 0, tzinfo=dt.UTC)

    async def run() -> list[devices.RosterEntry]:
        async with database.connected(hub.database_url):
            await devices.seen(
                active["device"]["id"],
                clock_offset_ms=-250,
                software_version="0.2.0",
                backlog=17,
                now=moment,
            )
            await devices.seen(
                "junk", clock_offset_ms=1, software_version=None, backlog=None, now=moment
            )
            return await devices.roster(uuid.UUID(event.event_id))

    roster = {entry.id: entry for entry in asyncio.run(run())}
    assert asyncio.run(_roster_of_nothing(hub)) == []
    shown = ok(org.api.get(f"/api/v1/devices/{active['device']['id']}"))
    assert (shown["clock_offset_ms"], shown["software_version"], shown["backlog"]) == (
        -250,
        "0.2.0",
        17,
    )
    assert dt.datetime.fromisoformat(shown["last_seen_at"]) == moment
    mine = roster[active["device"]["id"]]
    assert (mine.gate, mine.state, mine.public_key) == ("south", "active", key.verify_key.encode())
    revoked = roster[gone["device"]["id"]]
    assert revoked.state == "revoked"
    assert revoked.revoked_at is not None
    assert revoked.public_key is not None  # gates learn which key to refuse


async def _roster_of_nothing(hub: Hub) -> list[devices.RosterEntry]:
    async with database.connected(hub.database_url):
        return await devices.roster(uuid.uuid4())


def test_a_sync_request_reports_the_clock_version_and_backlog(
    hub: Hub, org: Org, event: SeatedEvent
) -> None:
    made = add_device(org, event)
    ok(enrol(hub, enrol_body(made["enrolment"]["token"])))
    device_id = made["device"]["id"]
    now = dt.datetime(2031, 3, 1, 18, 0, tzinfo=dt.UTC)
    ahead = int(now.timestamp() * 1000) + 1500  # the gate's clock is 1.5 s ahead
    signed = SignedRequest(device_id, ahead, uuid.uuid4().hex, 0, "0" * 64)

    async def run(headers: dict[str, str]) -> None:
        async with database.connected(hub.database_url):
            await devices.seen_request(signed, headers, now=now)

    asyncio.run(run({"x-software-version": "0.3.1", "x-replication-backlog": "42"}))
    shown = ok(org.api.get(f"/api/v1/devices/{device_id}"))
    assert (shown["clock_offset_ms"], shown["software_version"], shown["backlog"]) == (
        1500,
        "0.3.1",
        42,
    )
    # Malformed reports are ignored, not stored; the sighting still counts.
    asyncio.run(run({"x-software-version": "bad\x00", "x-replication-backlog": "-3"}))
    again = ok(org.api.get(f"/api/v1/devices/{device_id}"))
    assert (again["software_version"], again["backlog"]) == ("0.3.1", 42)


def test_the_device_list_pages_and_filters(hub: Hub, org: Org, event: SeatedEvent) -> None:
    for _ in range(3):
        add_device(org, event)
    everything = org.api.get("/api/v1/devices", params={"event_id": event.event_id})
    total = int(everything.headers["x-total-count"])
    assert total >= 3
    assert len(everything.json()) == total
    page = org.api.get("/api/v1/devices", params={"limit": 2, "offset": 1})
    assert page.status_code == 200
    assert len(page.json()) == 2
    assert page.headers["x-total-count"] == str(total)
    unknown = org.api.get("/api/v1/devices", params={"event_id": str(uuid.uuid4())})
    assert unknown.status_code == 404


def test_who_may_manage_devices(
    hub: Hub, org: Org, event: SeatedEvent, make_org: OrgFactory
) -> None:
    body = {
        "name": "Pi x",
        "venue_id": event.venue_id,
        "event_ids": [event.event_id],
        "gate": "north",
    }
    for role in (Role.DOOR_STAFF, Role.READ_ONLY, Role.FINANCE):
        response = org.client(role).post("/api/v1/devices", json=body)
        assert response.status_code == 403, (role, response.text)
    made = add_device(org, event)
    device_id = made["device"]["id"]
    assert org.client(Role.DOOR_STAFF).get(f"/api/v1/devices/{device_id}").status_code == 200
    assert org.client(Role.READ_ONLY).get("/api/v1/devices").status_code == 403
    manager = org.client(Role.EVENT_MANAGER)
    assert manager.post(f"/api/v1/devices/{device_id}/rekey").status_code == 200
    # Another org neither sees nor revokes it.
    other = make_org("Other devices org")
    assert other.api.get(f"/api/v1/devices/{device_id}").status_code == 404
    assert other.api.post(f"/api/v1/devices/{device_id}/revoke").status_code == 404
    assert device_id not in other.api.get("/api/v1/devices").text
    assert ok(org.api.get(f"/api/v1/devices/{device_id}"))["state"] == "pending"


def test_gate_names_come_from_the_event(hub: Hub, org: Org) -> None:
    ev = build_seated_event(org.api, publish=False)
    base = f"/api/v1/events/{ev.event_id}"
    gates = ok(org.api.get(f"{base}/gates"))
    assert [g["name"] for g in gates] == ["east", "north", "south"]
    assert org.api.post(f"{base}/gates", json={"name": "north"}).status_code == 409
    assert org.api.post(f"{base}/gates", json={"name": "a, b"}).status_code == 422
    unknown_list = org.api.post(
        f"{base}/check-in-lists",
        json={"name": "Side", "gates": ["north", "west"], "ticket_type_ids": [ev.ticket_type_id]},
    )
    assert unknown_list.status_code == 422
    assert unknown_list.json()["error"]["code"] == "unknown_gate"
    assert "'west' is not a gate of this event" in unknown_list.json()["error"]["message"]
    unknown_rule = org.api.post(
        f"{base}/gate-rules", json={"description": "West only", "rule": True, "gate": "west"}
    )
    assert unknown_rule.status_code == 422
    unknown_device = org.api.post(
        "/api/v1/devices",
        json={"name": "Pi w", "venue_id": ev.venue_id, "event_ids": [ev.event_id], "gate": "west"},
    )
    assert unknown_device.status_code == 422
    west = ok(org.api.post(f"{base}/gates", json={"name": "west"}), 201)
    listed = ok(
        org.api.post(
            f"{base}/check-in-lists",
            json={"name": "Side", "gates": ["west"], "ticket_type_ids": [ev.ticket_type_id]},
        ),
        201,
    )
    in_use = org.api.delete(f"{base}/gates/{west['id']}")
    assert in_use.status_code == 409
    assert in_use.json()["error"]["code"] == "gate_in_use"
    assert "check-in list Side" in in_use.json()["error"]["message"]
    ok(org.api.delete(f"{base}/check-in-lists/{listed['id']}"), 204)
    device = ok(
        org.api.post(
            "/api/v1/devices",
            json={
                "name": "Pi w",
                "venue_id": ev.venue_id,
                "event_ids": [ev.event_id],
                "gate": "west",
            },
        ),
        201,
    )["device"]
    in_use = org.api.delete(f"{base}/gates/{west['id']}")
    assert in_use.status_code == 409
    assert "device Pi w" in in_use.json()["error"]["message"]
    ok(org.api.post(f"/api/v1/devices/{device['id']}/revoke"))
    ok(org.api.delete(f"{base}/gates/{west['id']}"), 204)
    assert "west" not in [g["name"] for g in ok(org.api.get(f"{base}/gates"))]


def test_a_device_serves_only_events_of_its_venue(hub: Hub, org: Org, event: SeatedEvent) -> None:
    elsewhere = build_seated_event(org.api, publish=False)
    response = org.api.post(
        "/api/v1/devices",
        json={
            "name": "Pi both",
            "venue_id": event.venue_id,
            "event_ids": [event.event_id, elsewhere.event_id],
            "gate": "north",
        },
    )
    assert response.status_code == 422
    assert "is not held at" in response.text
    first = add_device(org, event)
    same_name = org.api.post(
        "/api/v1/devices",
        json={
            "name": first["device"]["name"],
            "venue_id": event.venue_id,
            "event_ids": [event.event_id],
            "gate": "north",
        },
    )
    assert same_name.status_code == 409


# Nonces: every hub worker refuses a request another accepted.

NONCE_SCRIPT = """
import asyncio, sys
from hub import database
from hub.services.device_nonces import admit_nonce
from sync.device_auth import SignedRequest
from sync.errors import AuthenticationError

async def main() -> None:
    url, device, nonce, stamp = sys.argv[1:5]
    async with database.connected(url):
        try:
            await admit_nonce(SignedRequest(device, int(stamp), nonce, 0, "0" * 64), int(stamp))
        except AuthenticationError as exc:
            print("refused:", exc)
            return
    print("admitted")

asyncio.run(main())
"""


def _admit_elsewhere(hub: Hub, device: str, nonce: str, stamp: int) -> subprocess.Popen[str]:
    """admit_nonce in another process (as another hub worker would)."""
    return subprocess.Popen(
        [sys.executable, "-c", NONCE_SCRIPT, hub.database_url, device, nonce, str(stamp)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_nonce_is_admitted_once_across_worker_processes(hub: Hub) -> None:
    device = str(uuid.uuid4())
    now_ms = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    nonce = uuid.uuid4().hex
    racing = [_admit_elsewhere(hub, device, nonce, now_ms) for _ in range(4)]
    answers = sorted(p.communicate(timeout=60)[0].strip().split(":")[0] for p in racing)
    assert answers == ["admitted", "refused", "refused", "refused"]

    async def in_this_process() -> tuple[str, int]:
        async with database.connected(hub.database_url):
            with pytest.raises(AuthenticationError, match="replayed"):
                await admit_nonce(SignedRequest(device, now_ms, nonce, 0, "0" * 64), now_ms)
            # Too old to be remembered: refused whatever its nonce.
            old = SignedRequest(device, now_ms - WINDOW_MS - 1, uuid.uuid4().hex, 0, "0" * 64)
            old = SignedRequest(device, now_ms - WINDOW_MS - 1, uuid.uuid4().hex, 0, "0" * 64)
            with pytest.raises(AuthenticationError, match="older"):
                await admit_nonce(old, now_ms)
            # Pruning forgets what is past the window, and only that.
            await admit_nonce(SignedRequest(device, now_ms, uuid.uuid4().hex, 0, "0" * 64), now_ms)
            forgotten = await prune_nonces(now_ms + WINDOW_MS + 1)
            return "ok", forgotten

    assert asyncio.run(in_this_process())[1] >= 2


def test_a_venue_keeps_its_devices_until_they_are_revoked(org: Org) -> None:
    venue = ok(org.api.post("/api/v1/venues", json={"name": "Pop-up"}), 201)
    show = ok(org.api.post("/api/v1/events", json={"name": "Pop", "venue_id": venue["id"]}), 201)
    ok(org.api.post(f"/api/v1/events/{show['id']}/gates", json={"name": "door"}), 201)
    device = ok(
        org.api.post(
            "/api/v1/devices",
            json={"name": "Pi", "venue_id": venue["id"], "event_ids": [show["id"]], "gate": "door"},
        ),
        201,
    )["device"]
    ok(org.api.delete(f"/api/v1/events/{show['id']}"), 204)
    kept = org.api.delete(f"/api/v1/venues/{venue['id']}")
    assert kept.status_code == 409
    assert "revoke them first" in kept.json()["error"]["message"]
    ok(org.api.post(f"/api/v1/devices/{device['id']}/revoke"))
    ok(org.api.delete(f"/api/v1/venues/{venue['id']}"), 204)
    assert org.api.get(f"/api/v1/devices/{device['id']}").status_code == 404


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "token": st.text(max_size=80) | st.just("vgt1.0123456789abcdef." + "A" * 43),
        "public_key": st.text(max_size=70) | st.just("ab" * 32),
        "host_name": st.text(max_size=30),
        "software_version": st.text(max_size=30),
    },
)


def test_any_bytes_or_json_sent_to_enrol_get_an_answer_not_a_crash(hub: Hub) -> None:
    client = hub.client()

    @settings(max_examples=60, deadline=None, database=None, derandomize=True)
    @given(body=st.binary(max_size=200) | (JSON | FIELDS).map(lambda v: json.dumps(v).encode()))
    def send(body: bytes) -> None:
        response = client.post(
            "/api/v1/enrol", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code in (400, 404, 413, 422), (body, response.text)
        assert set(response.json()["error"]) >= {"code", "message"}

    send()
