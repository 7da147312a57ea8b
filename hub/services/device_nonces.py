"""Nonces of device-signed sync requests, in PostgreSQL, so that every hub worker refuses a
request another worker has already accepted.

A nonce is remembered for the window in which `sync.device_auth.verify_signed_headers`
accepts its timestamp (5 minutes either way of this clock, so 10 minutes in all); a request
stamped before that window is refused by the skew check, and here too, since its nonce may
already be forgotten. Old rows are pruned by the admitting requests themselves, at most
once a minute per worker: one cheap indexed DELETE.
"""

from __future__ import annotations

import time
from typing import Final

from tortoise import Tortoise

from sync.device_auth import MAX_SKEW_MS, SignedRequest
from sync.errors import AuthenticationError

WINDOW_MS: Final = 2 * MAX_SKEW_MS
PRUNE_EVERY_S: Final = 60.0


class _Pruning:
    """When this worker last pruned (each worker prunes on its own; a DELETE is idempotent)."""

    last = float("-inf")


_pruning = _Pruning()


async def admit_nonce(signed: SignedRequest, now_ms: int) -> None:
    """Record the request's nonce, or raise AuthenticationError: a replay (any worker saw
    the nonce), or a request older than the nonces remembered."""
    if signed.stamp_ms < now_ms - WINDOW_MS:
        raise AuthenticationError("the request is older than the hub remembers (check the clocks)")
    await _prune(now_ms)
    connection = Tortoise.get_connection("default")
    # ON CONFLICT rather than catching the unique violation: inside a caller's transaction
    # a failed INSERT would abort the whole transaction. (As a CTE, because the ORM's
    # execute_query reads a plain INSERT's row count from the wrong part of its status.)
    inserted, _ = await connection.execute_query(
        "WITH admitted AS (INSERT INTO device_nonce (device_id, nonce, stamp)"
        " VALUES ($1, $2, $3) ON CONFLICT (device_id, nonce) DO NOTHING RETURNING 1)"
        " SELECT 1 FROM admitted",
        [signed.device, signed.nonce, signed.stamp_ms],
    )
    if inserted != 1:
        raise AuthenticationError("the request was replayed (its nonce was seen)")


async def prune_nonces(now_ms: int) -> int:
    """Forget nonces older than the window; how many were forgotten."""
    connection = Tortoise.get_connection("default")
    count, _ = await connection.execute_query(
        "DELETE FROM device_nonce WHERE stamp < $1", [now_ms - WINDOW_MS]
    )
    return int(count)


async def _prune(now_ms: int) -> None:
    moment = time.monotonic()
    if moment - _pruning.last >= PRUNE_EVERY_S:
        _pruning.last = moment
        await prune_nonces(now_ms)
