"""TCP proxies the venue benchmark puts on the links between gates, to cut and heal them.

They run in a process of their own (so that forwarding does not compete with the load
generator for one interpreter): ``python -m bench.support.proxy NAME=PORT:TARGET ...``,
then commands on stdin, one a line: ``block NAME ...`` closes every open connection of
those links and refuses new ones, as a pulled cable would; ``unblock NAME ...`` lets
traffic through again. Each command is acknowledged with ``ok`` on stdout.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections.abc import Mapping


class Link:
    """Forwards 127.0.0.1:`port` to 127.0.0.1:`target` unless blocked."""

    def __init__(self, port: int, target: int) -> None:
        self.port = port
        self.target = target
        self.blocked = False
        self.writers: set[asyncio.StreamWriter] = set()

    async def serve(self) -> None:
        await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.blocked:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.close()
            return
        pair = {writer, up_writer}
        self.writers |= pair

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self.writers -= pair

    def set_blocked(self, blocked: bool) -> None:
        self.blocked = blocked
        if blocked:
            for w in list(self.writers):
                w.close()


async def _main(specs: list[str]) -> None:
    links: dict[str, Link] = {}
    for spec in specs:
        name, _, ports = spec.partition("=")
        port, _, target = ports.partition(":")
        links[name] = Link(int(port), int(target))
    for link in links.values():
        await link.serve()
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command, *names = line.split()
        for name in names:
            links[name].set_blocked(command == "block")
        print("ok", flush=True)


class Proxies:
    """The proxy process, seen from the benchmark."""

    def __init__(self, links: Mapping[str, tuple[int, int]]) -> None:
        specs = [f"{name}={port}:{target}" for name, (port, target) in links.items()]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.support.proxy", *specs],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        assert self.process.stdout.readline().strip() == "ready"

    def command(self, verb: str, names: list[str]) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{verb} {' '.join(names)}\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().strip() == "ok"

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.terminate()
        self.process.wait(5)


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1:]))
