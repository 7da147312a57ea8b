"""Baseline endpoints for the scan benchmark, served the same way as the gate.

`/bare` does no work; `/durable` appends the request body to a SQLite table with the gate's
durability settings (WAL, synchronous=FULL, autocommit) and answers: the least a durably
recorded scan can cost. Run: python -m bench.support.baselines DATA_DIR PORT
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def create_app(data_dir: Path) -> Starlette:
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(data_dir / "baseline.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS appended (id INTEGER PRIMARY KEY, body BLOB)")

    async def bare(request: Request) -> Response:
        await request.body()
        return Response(b'{"status":"ok"}', media_type="application/json")

    async def durable(request: Request) -> Response:
        conn.execute("INSERT INTO appended (body) VALUES (?)", (await request.body(),))
        return Response(b'{"status":"ok"}', media_type="application/json")

    return Starlette(
        routes=[
            Route("/bare", bare, methods=["POST"]),
            Route("/durable", durable, methods=["POST"]),
        ]
    )


if __name__ == "__main__":
    uvicorn.run(
        create_app(Path(sys.argv[1])),
        host="127.0.0.1",
        port=int(sys.argv[2]),
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )
