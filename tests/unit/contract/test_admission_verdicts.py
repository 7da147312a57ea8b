"""Double-admission verdicts: every node derives the same ones, whatever order scans came in."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from hypothesis import given
from hypothesis import strategies as st

from contract.admission_verdicts import double_admissions, ticket_verdicts
from gate_node.decision import Passage, TicketTypeRules

T0 = dt.datetime(2026, 11, 25, 18, 0, tzinfo=dt.UTC)
SINGLE = TicketTypeRules(uuid.uuid4(), "General admission")
NO_REENTRY = TicketTypeRules(uuid.uuid4(), "One shot", reentry=False)
MULTI3 = TicketTypeRules(uuid.uuid4(), "Pass", entry_mode="multi", max_entries=3)


def passage(direction: str, gate: str, hlc: int, site: str = "") -> Passage:
    site = site or gate
    return Passage(
        "out" if direction == "out" else "in",
        gate,
        T0 + dt.timedelta(seconds=hlc),
        f"{site}-{hlc}",
        hlc,
        site,
    )


def test_two_gates_admitting_one_ticket_during_a_partition() -> None:
    north = passage("in", "north", 10)
    south = passage("in", "south", 12)
    [verdict] = ticket_verdicts("t", [south, north], SINGLE)
    assert (verdict.stands, verdict.double) == (north, south)


def test_equal_clocks_are_broken_by_site_id() -> None:
    a = passage("in", "north", 10, site="0a")
    b = passage("in", "south", 10, site="0b")
    [verdict] = ticket_verdicts("t", [b, a], SINGLE)
    assert verdict.stands == a


def test_entry_exit_entry_is_no_double_admission() -> None:
    history = [passage("in", "n", 1), passage("out", "n", 2), passage("in", "s", 3)]
    assert ticket_verdicts("t", history, SINGLE) == []
    assert len(ticket_verdicts("t", history, NO_REENTRY)) == 1


def test_multi_entry_is_double_only_beyond_its_limit() -> None:
    history = [passage("in", "n", i) for i in range(1, 6)]
    verdicts = ticket_verdicts("t", history, MULTI3)
    assert [v.double.hlc for v in verdicts] == [4, 5]


SCANS = st.lists(
    st.tuples(st.sampled_from(["in", "out"]), st.sampled_from(["n", "s", "e"]), st.integers(0, 50)),
    max_size=12,
    unique_by=lambda s: (s[1], s[2]),
)


@given(SCANS, st.randoms())
def test_every_node_derives_the_same_verdicts(
    scans: list[tuple[str, str, int]], rng: random.Random
) -> None:
    history = [passage(d, g, h) for d, g, h in scans]
    shuffled = list(history)
    rng.shuffle(shuffled)
    for rules in (SINGLE, NO_REENTRY, MULTI3, None):
        assert ticket_verdicts("t", history, rules) == ticket_verdicts("t", shuffled, rules)
    together = double_admissions({"t": history, "u": shuffled}, {"t": SINGLE, "u": SINGLE})
    assert len(together) == 2 * len(ticket_verdicts("t", history, SINGLE))


@given(SCANS)
def test_without_doubles_nobody_was_inside_twice(scans: list[tuple[str, str, int]]) -> None:
    history = sorted((passage(d, g, h) for d, g, h in scans), key=lambda p: (p.hlc, p.site))
    doubles = {v.double.scan_id for v in ticket_verdicts("t", history, SINGLE)}
    inside = False
    for p in history:
        if p.scan_id in doubles:
            continue
        if p.direction == "in":
            assert not inside
            inside = True
        else:
            inside = False
