"""The scan reason codes: why a gate rejected a scan, declared once for every part.

Gates answer these in `ScanAnswer.reason`, store them in `scans.reason` (replicated, and
ingested by the hub), and UIs switch on them, never on the message. The kiosk's result
screen (kiosk_ui/static/result.js `OUTCOMES`), the LAN dashboard (dashboard.js
`REASON_WORDS`), docs/api.md and docs/architecture.md's order of checks list them too; a
test keeps every copy in step with this one.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Reason = Literal[
    "invalid",
    "forged",
    "wrong_event",
    "revoked",
    "blocked",
    "invalid_time",
    "product",
    "already_scanned",
    "rules",
]
REASONS: Final[tuple[Reason, ...]] = get_args(Reason)
