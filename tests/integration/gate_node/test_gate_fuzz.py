"""Generated requests to every route of real gate processes, as every kind of caller: no
answer is ever a 5xx. And peers' changesets with any values in the replicated columns: the
gate refuses what it does not replicate, and answers every route afterwards.

Two gates: one that replicates (so /sync/* is served, and peers' signed requests reach the
sync code) and one that does not. Requests come from the routes the app really serves
(`served_routes`), with bodies of every shape (garbage bytes, JSON of wrong types, NUL,
deep nesting, bodies over the limits), odd methods, odd path parameters and files, and odd
headers and cookies. Derandomised and bounded: the same cases on every run, in seconds. The
number of cases is printed and written to test-output/fuzz/gate-routes.json (and
gate-peer-changes.json).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import quote

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.routing import BaseRoute, Mount, Route

from contract.replica_schema import DDL
from gate_node.replicated_values import COLUMNS
from gate_node.timestamps import format_time
from gate_node.venue import REPLICATED_TABLES
from sync.auth import sign_request
from sync.replica import Replica
from sync.transport import encode_versions
from sync.wire import encode_changeset_bytes
from tests.integration.conftest import DemoFixture
from tests.integration.gate_node.guarded_gate import (
    CALLERS,
    SECRET,
    CallerKind,
    GuardedGate,
    route_methods,
    served_routes,
    start_guarded_gate,
)

EXAMPLES: Final = 1500
OUTPUT: Final = Path(__file__).resolve().parents[3] / "test-output" / "fuzz" / "gate-routes.json"
PATH_PARAM: Final = re.compile(r"{(\w+)(?::\w+)?}")
ODD_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "PROPFIND")

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(["\x00", "a\x00b", "\ud7ff", "🎫", "x" * 300]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)
# Fields the gate's bodies have, with values of any type: past the JSON parser, into checks.
FIELDS: Final = ("code", "direction", "nonce", "gate", "device", "pin", "reason")
SHAPED = st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=5)
PLAUSIBLE = st.fixed_dictionaries(
    {"code": st.text(min_size=1, max_size=60)},
    optional={
        "direction": st.sampled_from(["in", "out", "sideways"]),
        "nonce": st.text(min_size=1, max_size=20),
        "gate": st.text(min_size=1, max_size=20),
        "device": st.text(min_size=1, max_size=20),
    },
)
BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=512),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    SHAPED.map(lambda v: json.dumps(v).encode()),
    PLAUSIBLE.map(lambda v: json.dumps(v).encode()),
    st.builds(lambda pin: json.dumps({"pin": pin}).encode(), st.text(max_size=70)),
    st.builds(lambda r: json.dumps({"reason": r}).encode(), st.text(max_size=600)),
    st.integers(1, 20000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(1, 5000).map(lambda n: b'{"a":' * n + b"1" + b"}" * n),
    st.sampled_from([8 * 1024 + 1, 512 * 1024 + 1, 3 * 1024 * 1024]).map(lambda n: b"\x00" * n),
    st.just(encode_versions({})),
    st.dictionaries(st.binary(min_size=0, max_size=20), st.integers(-5, 2**64 - 1)).map(
        msgspec.msgpack.encode
    ),
)
HEADER_TEXT = st.binary(max_size=80).map(
    lambda b: bytes(c for c in b if c == 0x09 or 0x20 <= c <= 0x7E or c >= 0x80)
)
CONTENT_TYPES = (
    st.sampled_from(
        [
            b"application/json",
            b"image/jpeg",
            b"application/msgpack",
            b"application/vnd.voelgoed.changeset",
            b"text/plain; charset=utf-7",
            b"multipart/form-data; boundary=",
        ]
    )
    | HEADER_TEXT
)
# A few forwarded addresses only: each new address has its own five PIN tries (40 ms each).
FORWARDED = st.sampled_from(
    [b"127.0.0.1", b"::1", b"10.50.0.1", b"not-an-address", b"", b"1.2.3.4, 127.0.0.1"]
)
EXTRA_HEADERS = st.lists(
    st.one_of(
        st.tuples(st.just(b"content-type"), CONTENT_TYPES),
        st.tuples(st.just(b"cookie"), HEADER_TEXT.map(lambda v: b"vg_session=" + v)),
        st.tuples(st.just(b"cookie"), HEADER_TEXT),
        st.tuples(st.just(b"authorization"), HEADER_TEXT.map(lambda v: b"Bearer " + v)),
        st.tuples(st.just(b"authorization"), HEADER_TEXT),
        st.tuples(st.just(b"x-forwarded-for"), FORWARDED),
        st.tuples(st.just(b"forwarded"), HEADER_TEXT),
        st.tuples(st.just(b"x-sync-time"), HEADER_TEXT),
        st.tuples(st.just(b"x-sync-mac"), HEADER_TEXT),
        st.tuples(st.just(b"accept"), HEADER_TEXT),
        st.tuples(st.just(b"range"), st.sampled_from([b"bytes=0-0", b"bytes=5-1", b"bytes=-"])),
        st.tuples(st.sampled_from([b"x-odd", b"x-" + b"h" * 200]), HEADER_TEXT),
    ),
    max_size=4,
)
SEGMENT = st.one_of(
    st.text(max_size=30).map(lambda t: quote(t, safe="")),
    st.sampled_from(["..", ".", "%00", "%", "%2e%2e", "door.css", "a" * 300, "%ff", ""]),
)


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory, demo: DemoFixture) -> list[BaseRoute]:
    return served_routes(tmp_path_factory.mktemp("fuzz-routes"), demo.package_path)


@pytest.fixture(scope="module")
def gates(
    tmp_path_factory: pytest.TempPathFactory, demo: DemoFixture
) -> Iterator[list[GuardedGate]]:
    tmp = tmp_path_factory.mktemp("fuzz")
    replicating = start_guarded_gate(tmp, demo.package_path, "replicating")
    lone = start_guarded_gate(tmp, demo.package_path, "lone", replicating=False)
    gates = [next(replicating), next(lone)]
    yield gates
    for started in (replicating, lone):
        next(started, None)  # stop the gate


@st.composite
def requests(draw: st.DrawFn, routes: list[BaseRoute]) -> tuple[str, str, str, bytes]:
    """(caller, method, path with query, body) for one route."""
    route = draw(st.sampled_from(routes))
    assert isinstance(route, Route | Mount)
    if isinstance(route, Mount):
        path = route.path + "/" + "/".join(draw(st.lists(SEGMENT, min_size=1, max_size=3)))
    else:
        path = PATH_PARAM.sub(lambda _: draw(SEGMENT) or "x", route.path)
    if draw(st.integers(0, 9)) == 0:
        path += "?" + draw(st.text(max_size=30).map(lambda t: quote(t, safe="=&")))
    method = draw(st.sampled_from(route_methods(route)) | st.sampled_from(ODD_METHODS))
    caller = draw(st.sampled_from(CALLERS))
    return caller, method, path, draw(BODIES)


# The sweep's bodies, one per case in turn: every combination gets a hard one.
SWEEP_BODIES: Final = (
    b"",
    b"\x00\xff garbage \x00",
    b'{"code": "\\u0000", "pin": "\\u0000", "reason": "\\u0000"}',
    b"[" * 10000 + b"]" * 10000,
    b"\x00" * (600 * 1024),
    b'{"code": "NOT-A-TICKET", "direction": "out", "nonce": "n", "device": "d"}',
    b"[]",
    encode_versions({}),
)


def sweep_paths(route: BaseRoute) -> list[str]:
    """Odd paths for a route: its parameters (or a Mount's file) as NUL, dots, long text."""
    assert isinstance(route, Route | Mount)
    odd = ["%00", "..", "a" * 300, "%ff%fe", "walk-nope"]
    if isinstance(route, Mount):
        return [f"{route.path}/{name}" for name in (*odd, "door.css", "../app.py")]
    if not PATH_PARAM.search(route.path):
        return [route.path, route.path + "?x=%00&y"]
    return [PATH_PARAM.sub(name, route.path) for name in odd]


def test_no_request_to_any_route_gets_a_5xx(
    gates: list[GuardedGate], routes: list[BaseRoute]
) -> None:
    cases: Counter[str] = Counter()
    failures: list[str] = []

    # First a sweep: every gate, route, method (its own and odd ones), odd path and caller,
    # so that no combination is left to chance; then generated cases on top.
    swept = 0
    for gate in gates:
        for route in routes:
            methods = sorted({*route_methods(route), *ODD_METHODS})
            for method in methods:
                for path in sweep_paths(route):
                    for caller in CALLERS:
                        body = SWEEP_BODIES[swept % len(SWEEP_BODIES)]
                        status = send(gate, caller, method, path, body, [], "signed")
                        swept += 1
                        if status >= 500:
                            failures.append(f"{status} {caller} {method} {path} body={body[:80]!r}")
    assert failures == [], failures

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        st.sampled_from(gates),
        requests(routes),
        EXTRA_HEADERS,
        st.sampled_from(["signed", "corrupt", "none"]),
    )
    def one_case(
        gate: GuardedGate,
        request: tuple[str, str, str, bytes],
        extra: list[tuple[bytes, bytes]],
        signature: str,
    ) -> None:
        caller, method, path, body = request
        status = send(gate, caller, method, path, body, extra, signature)
        cases[f"{gate.process.port} {caller}"] += 1
        if status >= 500:
            failures.append(f"{status} {caller} {method} {path} body={body[:80]!r}")
        assert status < 500, failures[-1]

    one_case()
    generated = sum(cases.values())
    total = swept + generated
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(
        json.dumps(
            {
                "cases": total,
                "swept": swept,
                "generated": generated,
                "responses_5xx": len(failures),
                "routes": len(routes),
                "gates": len(gates),
            }
        )
    )
    print(
        f"gate fuzz: {total} requests ({swept} swept, {generated} generated) over"
        f" {len(routes)} routes of {len(gates)} gates, {len(failures)} with a 5xx"
    )
    assert failures == []
    # The gates are still there, answering.
    for gate in gates:
        assert gate.client.get("/api/v1/status").status_code == 200


def send(
    gate: GuardedGate,
    caller: str,
    method: str,
    path: str,
    body: bytes,
    extra: list[tuple[bytes, bytes]],
    signature: str,
) -> int:
    """Send one case as `caller`; its HTTP status."""
    kind: CallerKind = caller  # type: ignore[assignment]
    own = gate.headers(kind, method, path.split("?", maxsplit=1)[0], body)
    if kind == "peer":
        if signature == "corrupt":
            own["x-sync-mac"] = own["x-sync-mac"][::-1]
        elif signature == "none":
            own.pop("x-sync-mac")
    elif signature == "signed":  # anyone may sign: only the venue secret makes a peer
        own.update(sign_request(SECRET, method, path.split("?", maxsplit=1)[0], body))
    # HTTP allows no space around a header value: the client would refuse to send one.
    headers = [(k.encode(), v.encode()) for k, v in own.items()]
    headers += [(k, v.strip(b" \t")) for k, v in extra]
    gate.client.cookies.clear()
    request = gate.client.build_request(method, path, content=body, headers=headers)
    response = gate.client.send(request, stream=True)
    try:
        # The live feed never ends: its answer is taken at the headers. Anything else is read
        # whole (a HEAD's empty body too), so the connection goes back to the pool for the
        # next case: a server that left it busy shows as that case's timeout.
        feed = response.headers.get("content-type", "").startswith("text/event-stream")
        if method == "HEAD" or not feed:
            response.read()
        return response.status_code
    finally:
        response.close()
        if path.startswith("/api/v1/staff/sign-out") and kind in ("steward", "supervisor"):
            gate.sign_in()  # that case may have ended the caller's session


SQL_VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.binary(max_size=20),
    st.sampled_from(["in", "out", "ok", "rejected", "\x00", "2026-11-25T20:15:03.120Z"]),
    st.sampled_from(["2026-11-25T20:15:03Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z"]),
)
PEER_EXAMPLES: Final = 300
TICKET_0: Final = "00000000-0000-7000-8000-000000000000"
# Values a gate would write, so that many rows get merged and reach the readers; the cases
# mix them with any value at all.
TICKETS = st.sampled_from([f"00000000-0000-7000-8000-00000000000{i}" for i in range(4)])
TIMES = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)
).map(format_time)
GATE_VALUES: Final = {
    "ticket_id": TICKETS,
    "gate": st.sampled_from(["north", "south", "vip"]),
    "direction": st.sampled_from(["in", "out"]),
    "status": st.sampled_from(["ok", "rejected"]),
    "reason": st.sampled_from(["already_scanned", "invalid", "forged"]),
    "at": TIMES,
    "hlc": st.integers(0, 2**62),
    "site": st.binary(min_size=16, max_size=16).map(bytes.hex),
    "timezone": st.sampled_from(["UTC", "Africa/Johannesburg", "Mars/Olympus"]),
    "door_policy": st.sampled_from(["warn", "reject", "off"]),
    "door_opens_minutes": st.integers(-5, 20_000),
    "public_key": st.binary(min_size=31, max_size=33),
    "state": st.sampled_from(["active", "revoked"]),
    "entry_mode": st.sampled_from(["single", "multi"]),
    "rule": st.sampled_from(["true", '{"<": [{"var": "entries"}, 3]}', '{"nope": []}']),
    "gates": st.sampled_from(['["north"]', "[]", '"north"', "null"]),
}


@st.composite
def peer_rows(draw: st.DrawFn) -> list[tuple[str, dict[str, object]]]:
    """Rows a peer's replica could hold, with any value in any replicated column."""
    rows = []
    for _ in range(draw(st.integers(1, 4))):
        table = draw(st.sampled_from(sorted(COLUMNS)))
        columns = draw(st.lists(st.sampled_from(sorted(COLUMNS[table])), unique=True))
        key: object = draw(st.text(min_size=1, max_size=36) | TICKETS | st.uuids().map(str))
        if table == "event_keys":
            key = draw(st.integers(-1, 2**16))
        values = {c: draw(GATE_VALUES.get(c, SQL_VALUES) | SQL_VALUES) for c in columns}
        rows.append((table, {"key": key, **values}))
    return rows


# A gate must cope with a merged scan that lacks columns (rows may arrive a column at a
# time): an admission with no time yet, a rejection with no reason.
AT_MISSING: Final = [
    (
        "scans",
        {"key": "scan-without-time", "ticket_id": TICKET_0, "status": "ok", "direction": "in"},
    ),
    ("scans", {"key": "rejection-without-reason", "status": "rejected"}),
]


def peer_changeset(rows: list[tuple[str, dict[str, object]]]) -> bytes:
    """A changeset signed with the venue secret, made by a real replica holding `rows`."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.executescript(DDL)
    peer = Replica(conn, site_id=os.urandom(16))
    for table in REPLICATED_TABLES:
        peer.make_replicated(table)
    for table, values in rows:
        key_column = KEY_COLUMNS[table]
        row = {key_column: values["key"], **{k: v for k, v in values.items() if k != "key"}}
        marks = ", ".join("?" * len(row))
        conn.execute(
            f"INSERT OR REPLACE INTO {table} ({', '.join(row)}) VALUES ({marks})",
            list(row.values()),
        )
    body = encode_changeset_bytes(peer.changes_missing({}), secret=SECRET, sender=peer.site_id)
    peer.close()
    conn.close()
    return body


KEY_COLUMNS: Final = {
    "event": "id",
    "event_keys": "key_id",
    "ticket_types": "id",
    "gate_rules": "id",
    "gates": "id",
    "tickets": "id",
    "devices": "id",
    "scans": "id",
    "annulments": "scan_id",
    "audit_log": "id",
    "revocations": "ticket_id",
    "blocks": "ticket_id",
}


def test_peer_changes_with_any_values_never_break_a_gate(gates: list[GuardedGate]) -> None:
    gate = gates[0]  # the replicating one
    assert set(KEY_COLUMNS) == set(REPLICATED_TABLES) == set(COLUMNS)
    answers: Counter[int] = Counter()

    @settings(max_examples=PEER_EXAMPLES, derandomize=True, database=None, deadline=None)
    @given(peer_rows())
    @example(AT_MISSING)
    def one_push(rows: list[tuple[str, dict[str, object]]]) -> None:
        body = peer_changeset(rows)
        status = send(gate, "peer", "POST", "/sync/push", body, [], "signed")
        answers[status] += 1
        assert status in (200, 400), f"{status} for {rows!r}"
        # Whatever was merged, every reader of the replicated rows still answers.
        for method, path in READERS:
            after = send(gate, "loopback", method, path, b'{"code": "NOT-A-TICKET"}', [], "none")
            assert after < 500, f"{method} {path}: {after} after {rows!r}"

    one_push()
    total = sum(answers.values())
    (OUTPUT.parent / "gate-peer-changes.json").write_text(
        json.dumps({"changesets": total, "accepted": answers[200], "refused": answers[400]})
    )
    print(f"peer changesets: {total} ({answers[200]} merged, {answers[400]} refused), no 5xx")
    # And the gate starts again over what it merged (its in-memory index is rebuilt).
    gate.process.stop()
    gate.process.start()
    gate.sign_in()
    for method, path in READERS:
        after = send(gate, "loopback", method, path, b'{"code": "NOT-A-TICKET"}', [], "none")
        assert after < 500, f"{method} {path}: {after} after a restart"
    assert answers[200], "no changeset was merged: the cases test too little"
    assert answers[400], "no changeset was refused: the cases test too little"


READERS: Final = (
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/alerts"),
    ("GET", "/api/v1/dashboard"),
    ("POST", "/api/v1/scan"),
    ("POST", "/sync/pull"),
)
