"""The dashboard's figures, from plain rows and a fixed `now`."""

from __future__ import annotations

import datetime as dt

from gate_node.dashboard import (
    DashboardSettings,
    GateCount,
    PeerLink,
    ScanRow,
    admissions_by_minute,
    build_dashboard,
    gate_states,
    invalid_bursts,
)
from gate_node.timestamps import format_time

NOW = dt.datetime(2026, 11, 25, 20, 30, 30, tzinfo=dt.UTC)


def ago(seconds: float) -> str:
    return format_time(NOW - dt.timedelta(seconds=seconds))


def row(
    seconds_ago: float,
    *,
    gate: str = "gate-1",
    status: str = "ok",
    reason: str | None = None,
    direction: str = "in",
    device: str | None = None,
) -> ScanRow:
    return ScanRow(
        f"id-{seconds_ago}-{gate}", gate, direction, status, reason, ago(seconds_ago), device
    )


def test_totals_and_per_gate_figures() -> None:
    counts = [
        GateCount("gate-1", "in", "ok", None, 40, ago(10)),
        GateCount("gate-1", "out", "ok", None, 5, ago(20)),
        GateCount("gate-1", "in", "rejected", "already_scanned", 3, ago(30)),
        GateCount("gate-2", "in", "ok", None, 12, ago(5)),
        GateCount("gate-2", "in", "rejected", "forged", 2, ago(50)),
    ]
    recent = [row(10), row(70), row(200), row(5, gate="gate-2"), row(40, direction="out")]
    view = build_dashboard(counts, recent, now=NOW, this_gate="gate-1", inside=47)

    assert view.inside == 47
    assert (view.totals.admitted, view.totals.exits, view.totals.rejected) == (52, 5, 5)
    assert view.totals.by_reason == {"already_scanned": 3, "forged": 2}
    first, second = view.gates
    assert (first.gate, first.this_gate, second.gate) == ("gate-1", True, "gate-2")
    assert (first.admitted, first.exits, first.rejected) == (40, 5, 3)
    assert first.rejected_by_reason == {"already_scanned": 3}
    # Entries only: the exit 40 s ago is not an admission.
    assert first.admitted_last_minute == 1
    assert first.admissions_per_minute == 0.6  # 3 admissions in the last 5 minutes
    assert first.last_scan_at == ago(10)
    assert second.admitted_last_minute == 1
    assert [p.name for p in view.peers] == ["gate-1", "gate-2"]  # every gate in the scans


def test_this_gate_is_listed_before_it_has_scanned() -> None:
    view = build_dashboard([], [], now=NOW, this_gate="north", inside=0)
    assert [(g.gate, g.admitted, g.last_scan_at) for g in view.gates] == [("north", 0, None)]
    assert view.alerts == []
    assert (view.peers[0].state, view.peers[0].last_scan_at) == ("idle", None)


def test_admissions_by_minute_buckets_entries_by_gate() -> None:
    recent = [row(5), row(20), row(25, gate="gate-2"), row(95), row(40, status="rejected")]
    buckets = admissions_by_minute(recent, NOW, minutes=3)
    assert [b.at for b in buckets] == [
        "2026-11-25T20:28:00.000Z",
        "2026-11-25T20:29:00.000Z",
        "2026-11-25T20:30:00.000Z",
    ]
    assert [b.admitted for b in buckets] == [1, 0, 3]
    assert buckets[2].by_gate == {"gate-1": 2, "gate-2": 1}


def test_a_burst_of_invalid_codes_from_one_device_raises_one_alert() -> None:
    burst = [
        row(100 - i * 10, status="rejected", reason="invalid", device="hh-1") for i in range(5)
    ]
    spread = [row(i * 100, status="rejected", reason="forged", device="hh-2") for i in range(5)]
    others = [
        row(30 + i, status="rejected", reason="already_scanned", device="hh-3") for i in range(9)
    ]
    alerts = invalid_bursts(burst + spread + others, NOW, DashboardSettings())
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.kind, alert.device, alert.count) == ("invalid_burst", "hh-1", 5)
    assert (alert.first_at, alert.last_at) == (ago(100), ago(60))
    assert "device hh-1" in alert.message


def test_four_invalid_codes_are_not_a_burst_and_old_bursts_are_forgotten() -> None:
    four = [row(10 + i, status="rejected", reason="forged") for i in range(4)]
    old = [row(3600 + i, status="rejected", reason="invalid", gate="gate-2") for i in range(8)]
    assert invalid_bursts(four + old, NOW, DashboardSettings()) == []


def test_a_gate_gone_quiet_while_others_scan() -> None:
    counts = [
        GateCount("gate-1", "in", "ok", None, 10, ago(30)),
        GateCount("gate-2", "in", "ok", None, 10, ago(600)),
    ]
    view = build_dashboard(counts, [], now=NOW, this_gate="gate-2", inside=20)
    assert [(a.kind, a.gate, a.last_at) for a in view.alerts] == [
        ("gate_quiet", "gate-2", ago(600))
    ]
    assert view.peers[0].state == "quiet"


def test_no_gate_is_quiet_when_every_gate_is() -> None:
    counts = [
        GateCount("gate-1", "in", "ok", None, 10, ago(900)),
        GateCount("gate-2", "in", "ok", None, 10, ago(600)),
    ]
    assert build_dashboard(counts, [], now=NOW, this_gate="gate-1", inside=20).alerts == []


def test_every_gate_says_the_same_of_each_gate_from_the_same_scans() -> None:
    # north scanned just now, south ten minutes ago, east never: each gate's own dashboard
    # and its peers' must agree (they once said "quiet" of east on east, "unknown" elsewhere).
    counts = [
        GateCount("north", "in", "ok", None, 10, ago(30)),
        GateCount("south", "in", "ok", None, 4, ago(600)),
    ]
    names = ("north", "south", "east")

    def panel(this: str) -> dict[str, tuple[str | None, str | None]]:
        links = [PeerLink(n, f"http://{n}:8700", True, 0) for n in names if n != this]
        view = build_dashboard(counts, [], now=NOW, this_gate=this, inside=14, peer_links=links)
        assert {g.gate for g in view.gates} == set(names)
        quiet = sorted(a.gate for a in view.alerts if a.kind == "gate_quiet")
        assert quiet == ["east", "south"]
        return {p.name: (p.state, p.last_scan_at) for p in view.peers}

    panels = [panel(this) for this in names]
    assert panels[0] == panels[1] == panels[2]
    assert panels[0] == {
        "north": ("scanning", ago(30)),
        "south": ("quiet", ago(600)),
        "east": ("quiet", None),
    }


def test_the_sync_column_is_the_viewing_gates_own() -> None:
    counts = [GateCount("north", "in", "ok", None, 1, ago(30))]
    links = [
        PeerLink("south", "http://south:8700", False, None),
        PeerLink(None, "http://10.0.0.9:8700", False, None),
    ]
    view = build_dashboard(counts, [], now=NOW, this_gate="north", inside=1, peer_links=links)
    sync = {p.name: (p.sync, p.state) for p in view.peers}
    assert sync == {
        "north": ("this gate", "scanning"),
        "south": ("unreachable", "quiet"),
        # Not reached yet: known by its address only, so no state is claimed for it.
        "http://10.0.0.9:8700": ("unreachable", None),
    }


def test_a_gate_known_only_from_scans_has_no_link() -> None:
    counts = [GateCount("vip", "in", "ok", None, 1, ago(30))]
    view = build_dashboard(counts, [], now=NOW, this_gate="north", inside=1)
    assert [(p.name, p.sync, p.state) for p in view.peers] == [
        ("north", "this gate", "quiet"),
        ("vip", "no link", "scanning"),
    ]


def test_gate_states_before_doors_and_after_they_close() -> None:
    assert gate_states({"a": None, "b": None}, NOW, 5) == {"a": "idle", "b": "idle"}
    assert gate_states({"a": ago(900), "b": ago(600)}, NOW, 5) == {"a": "idle", "b": "idle"}
    assert gate_states({"a": ago(10), "b": None}, NOW, 5) == {"a": "scanning", "b": "quiet"}
