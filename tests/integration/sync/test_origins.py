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


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_what_changed_after_the_last_full_push_is_everything_missing(
    data: st.DataObject,
) -> None:
    """`changes_missing(..., changed_after=v)` (a push that only reads the tables written or
    merged since the asker last took everything, at version v) answers what the full query
    answers, whatever is written and merged here next."""
    a, b, c = new_replica(0), new_replica(1), new_replica(2)
    for replica in (a, c):
        for op in data.draw(st.lists(write_op, min_size=1, max_size=4), label="before"):
            run_op(replica.connection, op)
        replica.connection.commit()
    pull(a, c)
    pull(b, a)  # b takes everything a holds, at a's version v
    through = a.db_version()
    for _step in range(data.draw(st.integers(1, 4), label="steps")):
        if data.draw(st.booleans(), label="write here?"):
            for op in data.draw(st.lists(write_op, min_size=1, max_size=3), label="ops"):
                run_op(a.connection, op)
            a.connection.commit()
        else:
            for op in data.draw(st.lists(write_op, min_size=1, max_size=3), label="theirs"):
                run_op(c.connection, op)
            c.connection.commit()
            pull(a, c)
        known = b.origin_versions()
        assert a.changes_missing(known, changed_after=through) == a.changes_missing(known)
    for replica in (a, b, c):
        replica.connection.close()
