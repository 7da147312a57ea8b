"""Whether names are gates of an event: check-in lists, entry rules and devices ask here."""

from __future__ import annotations

from collections.abc import Iterable

from hub.errors import UnknownGate
from hub.models import EventGate


async def gate_names(event_id: object) -> list[str]:
    """The event's gate names, sorted (the caller has loaded the event for its org)."""
    rows = await EventGate.filter(event_id=event_id).order_by("name").values_list("name", flat=True)
    return [str(name) for name in rows]


async def require_gates(event_id: object, names: Iterable[str], where: str = "gate") -> None:
    """UnknownGate unless every name is one of the event's gates."""
    known = await gate_names(event_id)
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        offered = ", ".join(known) if known else "none yet"
        raise UnknownGate(
            f"{where}: {', '.join(repr(n) for n in unknown)} is not a gate of this event "
            f"(its gates: {offered}); add the gate under Gates first"
        )
