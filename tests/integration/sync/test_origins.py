"""Per-origin bookkeeping: a replica asks any peer for exactly what it lacks, per origin
site, including what the peer only relayed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.replica import Replica

from .test_convergence import new_replica, run_op, snapshot, write_op


def pull(target: Replica, source: Replica) -> int:
    """One per-origin pull; returns how many rows crossed."""
    missing = source.changes_missing(target.origin_versions())
    target.apply_changes(missing)
    return len(missing)


def test_relayed_changes_are_not_asked_for_again() -> None:
    a, b, c = new_replica(0), new_replica(1), new_replica(2)
    a.connection.execute("INSERT INTO t (id, a) VALUES (1, 'from a')")
    a.connection.commit()
    assert pull(b, a) == 3
    assert pull(c, b) == 3
    assert c.origin_versions()[a.site_id] == 1
    assert pull(c, a) == 0
    a.connection.execute("UPDATE t SET a = 'again' WHERE id = 1")
    a.connection.commit()
    assert pull(c, b) == 0
    assert pull(c, a) == 1
    assert pull(b, c) == 1
    assert snapshot(a) == snapshot(b) == snapshot(c)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(replica_count=st.integers(min_value=2, max_value=4), data=st.data())
def test_per_origin_pulls_converge_and_then_send_nothing(
    replica_count: int, data: st.DataObject
) -> None:
    replicas = [new_replica(i) for i in range(replica_count)]
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        pair = data.draw(
            st.lists(st.integers(0, replica_count - 1), min_size=2, max_size=2, unique=True)
        )
        if data.draw(st.booleans(), label="write?"):
            conn = replicas[pair[0]].connection
            ops: list[tuple[Any, ...]] = data.draw(st.lists(write_op, min_size=1, max_size=3))
            for op in ops:
                run_op(conn, op)
            conn.commit()
        else:
            pull(replicas[pair[1]], replicas[pair[0]])
    for _round in range(3):
        for source in replicas:
            for target in replicas:
                if source is not target:
                    pull(target, source)
    first = snapshot(replicas[0])
    for replica in replicas:
        assert snapshot(replica) == first
    for source in replicas:
        for target in replicas:
            if source is not target:
                assert source.changes_missing(target.origin_versions()) == []
    for replica in replicas:
        replica.connection.close()
