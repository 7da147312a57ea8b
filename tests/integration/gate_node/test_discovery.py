"""Gates find each other with real mDNS (python-zeroconf) bound to loopback only."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time

from gate_node.discovery import Advert, Discovery, Peer, is_compatible, parse_advert


def advert(gate: str, venue: str = "voelhuis", event: str = "e1") -> Advert:
    return Advert(venue=venue, event=event, site_id=secrets.token_hex(16), gate=gate)


class Watcher:
    def __init__(self) -> None:
        self.up: dict[str, Peer] = {}
        self.down: list[str] = []
        self.changed = asyncio.Event()

    def peer_up(self, peer: Peer) -> None:
        self.up[peer.advert.gate] = peer
        self.changed.set()

    def peer_down(self, peer: Peer) -> None:
        self.up.pop(peer.advert.gate, None)
        self.down.append(peer.advert.gate)
        self.changed.set()

    async def until(self, condition: object, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():  # type: ignore[operator]
            self.changed.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; up={list(self.up)} down={self.down}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), remaining)


def start(ad: Advert, port: int, watcher: Watcher) -> Discovery:
    return Discovery(
        ad,
        port=port,
        interfaces=["127.0.0.1"],
        on_peer_up=watcher.peer_up,
        on_peer_down=watcher.peer_down,
    )


def test_gates_of_one_venue_find_each_other_and_notice_one_leaving() -> None:
    async def scenario() -> None:
        north, south, other = Watcher(), Watcher(), Watcher()
        a = start(advert("north"), 9101, north)
        b = start(advert("south"), 9102, south)
        c = start(advert("east", venue="another-venue"), 9103, other)
        await asyncio.gather(a.start(), b.start(), c.start())
        await north.until(lambda: "south" in north.up)
        await south.until(lambda: "north" in south.up)
        assert north.up["south"].url == "http://127.0.0.1:9102"
        assert north.up["south"].advert.site_id == b.advert.site_id
        await asyncio.sleep(0.5)
        assert "east" not in north.up
        assert "north" not in other.up
        await b.stop()
        await north.until(lambda: "south" in north.down)
        await asyncio.gather(a.stop(), c.stop())

    asyncio.run(scenario())


def test_adverts_are_parsed_strictly() -> None:
    good = advert("north")
    props = {k.encode(): v.encode() for k, v in good.properties().items()}
    assert parse_advert(props) == good
    assert parse_advert({**props, b"site": b"zz"}) is None
    assert parse_advert({k: v for k, v in props.items() if k != b"venue"}) is None
    assert parse_advert({**props, b"gate": b"\xff"}) is None
    assert parse_advert({b"\xff": None}) is None
    assert not is_compatible(good, good)  # itself
    assert not is_compatible(good, Advert("voelhuis", "e2", "0" * 32, "x"))
    assert not is_compatible(good, Advert("voelhuis", "e1", "0" * 32, "x", protocol="2"))
    assert is_compatible(good, Advert("voelhuis", "e1", "0" * 32, "x"))
