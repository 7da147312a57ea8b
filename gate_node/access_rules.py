"""Who may call each route of a gate: the one table, read by the guard (`gate_node.guard`).

Every route a gate serves is declared here by its path, with one rule for all its methods.
`create_app` refuses to start with a route missing from the table, and the guard checks the
rule before any handler runs, so a handler never decides access itself (it may ask the guard
who was admitted: `gate_node.guard.caller_of`).

The rules, from the most open:

- `PUBLIC`: anyone on the venue LAN. Such routes answer nothing personal: pages and their
  static files, the PIN sign-in and sign-out, and `/api/v1/status` (the gate's name, the
  event's name, counts and peer health; peers read it for each other's clocks).
- `KIOSK_OR_STAFF`: the anonymous kiosk on the gate itself (the kiosk browser and the camera
  loop, connecting over loopback without a forwarding proxy's headers; not at all when the
  gate runs with `--require-sign-in`), or any signed-in member of staff. Everything that
  names ticket holders or seats, or costs the scan path CPU time: scanning, decoding frames,
  the live feed, alerts (double admissions by name) and the dashboard's figures.
- `STAFF`: a signed-in steward or supervisor, whatever the device.
- `SUPERVISOR`: a signed-in supervisor (a steward gets 403 `forbidden`).
- `PEER`: another gate of the venue: the request is signed with the venue secret (HMAC over
  method, path, time and body, `sync.auth`). Only gates that replicate serve these routes.

Refusals use the gate's error shape and stable codes: 401 `not_signed_in` (no session and
not the kiosk), 403 `forbidden` (a steward on a supervisor's route), 401 `not_a_peer` (a
sync request without a valid venue signature).

To add a route: serve it, and add one line here with its path and rule.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Rule(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"
    KIOSK_OR_STAFF = "kiosk_or_staff"
    STAFF = "staff"
    SUPERVISOR = "supervisor"
    PEER = "peer"


ROUTE_RULES: Final[dict[str, Rule]] = {
    # Pages and their files: no data in them; the pages ask the API, which checks.
    "/": Rule.PUBLIC,
    "/kiosk": Rule.PUBLIC,
    "/handheld": Rule.PUBLIC,
    "/dashboard": Rule.PUBLIC,
    "/sw.js": Rule.PUBLIC,
    "/manifest.webmanifest": Rule.PUBLIC,
    "/static": Rule.PUBLIC,
    # Health without names, read by peers and by every page's header.
    "/api/v1/status": Rule.PUBLIC,
    # Signing in and out: the throttle guards the PIN, a sign-out ends only its own session.
    "/api/v1/staff/sign-in": Rule.PUBLIC,
    "/api/v1/staff/sign-out": Rule.PUBLIC,
    "/api/v1/staff/me": Rule.STAFF,
    # The scan path and what shows its answers (holders, seats, ticket ids).
    "/api/v1/scan": Rule.KIOSK_OR_STAFF,
    "/api/v1/decode": Rule.KIOSK_OR_STAFF,
    "/api/v1/events": Rule.KIOSK_OR_STAFF,
    "/api/v1/alerts": Rule.KIOSK_OR_STAFF,
    "/api/v1/dashboard": Rule.KIOSK_OR_STAFF,
    # Supervisors' actions on recorded scans.
    "/api/v1/scans/{scan_id}/annul": Rule.SUPERVISOR,
    "/api/v1/scans/{scan_id}/override": Rule.SUPERVISOR,
    # Finding a ticket by holder, seat or id, and admitting it without its code.
    "/api/v1/supervision/search": Rule.SUPERVISOR,
    "/api/v1/supervision/tickets/{ticket_id}/admit": Rule.SUPERVISOR,
    # Replication between the venue's gates.
    "/sync/versions": Rule.PEER,
    "/sync/pull": Rule.PEER,
    "/sync/push": Rule.PEER,
}
