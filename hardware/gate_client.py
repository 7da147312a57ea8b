"""Sending decoded codes to the gate's scan API (`POST /api/v1/scan`).

Each scan gets a fresh nonce; a retry after a connection error or timeout reuses it, so
the gate records the scan once even when the first request did reach it and only its answer
was lost.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from hardware.errors import GateAnswerInvalid, GateUnreachable

log = logging.getLogger(__name__)

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class GateAnswer:
    """What the gate decided: `ok`, `rejected` (with a reason code), or `error`.

    `error` means the gate did not decide: it refused the request (the reason is its error
    code) or could not be reached (reason `gate_unreachable`).
    """

    status: str
    reason: str | None
    message: str
    holder: str | None = None


class ScanPoster(Protocol):
    """Sends one decoded code to the gate and returns its answer."""

    def post(self, code: str) -> GateAnswer:
        """The gate's answer for `code`. Raises GateUnreachable, GateAnswerInvalid."""
        ...


def parse_answer(status_code: int, body: object) -> GateAnswer:
    """The gate's answer from an HTTP status and decoded JSON body.

    Raises GateAnswerInvalid for anything that is neither a scan answer nor the gate's
    error shape.
    """
    if isinstance(body, dict):
        error = body.get("error")
        if status_code >= 400 and isinstance(error, dict):
            return GateAnswer(
                "error", str(error.get("code", "http_error")), str(error.get("message", ""))
            )
        status = body.get("status")
        if status_code == 200 and status in ("ok", "rejected"):
            reason = body.get("reason")
            ticket = body.get("ticket")
            holder = ticket.get("holder") if isinstance(ticket, dict) else None
            return GateAnswer(
                str(status),
                None if reason is None else str(reason),
                str(body.get("message", "")),
                None if holder is None else str(holder),
            )
    raise GateAnswerInvalid(f"the gate answered HTTP {status_code} with an unknown body")


class HttpScanPoster:
    """Posts scans to a gate over HTTP with httpx, retrying with the same nonce."""

    def __init__(
        self,
        gate_url: str,
        *,
        direction: Direction = "in",
        gate: str | None = None,
        attempts: int = 3,
        retry_delay: float = 0.2,
        timeout: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.direction: Direction = direction
        self.gate = gate
        self.attempts = attempts
        self.retry_delay = retry_delay
        self._sleep = sleep
        self._client = httpx.Client(base_url=gate_url, timeout=timeout, transport=transport)

    def post(self, code: str) -> GateAnswer:
        """The gate's answer for `code`. Raises GateUnreachable after the last attempt."""
        body: dict[str, str] = {"code": code, "direction": self.direction}
        body["nonce"] = uuid.uuid4().hex
        if self.gate is not None:
            body["gate"] = self.gate
        for attempt in range(1, self.attempts + 1):
            try:
                response = self._client.post("/api/v1/scan", json=body)
            except httpx.TransportError as exc:
                if attempt == self.attempts:
                    raise GateUnreachable(
                        f"no answer from {self._client.base_url} after {attempt} attempts: {exc}"
                    ) from exc
                log.warning("scan attempt %d failed (%s); retrying, same nonce", attempt, exc)
                self._sleep(self.retry_delay * attempt)
                continue
            try:
                decoded = response.json()
            except ValueError as exc:
                raise GateAnswerInvalid(
                    f"the gate answered HTTP {response.status_code} with a body that is not JSON"
                ) from exc
            return parse_answer(response.status_code, decoded)
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
