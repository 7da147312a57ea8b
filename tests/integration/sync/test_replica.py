"""The replica API on real SQLite files: refusing tables, the persisted site id, the clock
shared by a transaction, reading changes, and refusing malformed batches whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync import txn
from sync.changes import Change
from sync.errors import MalformedChangeError, NotReplicatedError, SchemaRefusedError, SyncError
from sync.pk_codec import pack_pk
from sync.replica import Replica

TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL, v ANY, w TEXT DEFAULT 'd')"


def open_replica(path: Path, *ddl: str, site_id: bytes | None = None) -> Replica:
    conn = sqlite3.connect(path)
    for statement in ddl:
        conn.execute(statement)
    conn.commit()
    return Replica(conn, site_id=site_id)


@pytest.mark.parametrize(
    ("ddl", "complaint"),
    [
        ("CREATE TABLE x (id INTEGER PRIMARY KEY NOT NULL, email TEXT UNIQUE)", "unique"),
        ("CREATE TABLE x (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, v)", "AUTOINCREMENT"),
        ("CREATE TABLE x (id INTEGER PRIMARY KEY NOT NULL, v TEXT NOT NULL)", "NOT NULL"),
        ("CREATE TABLE x (id INTEGER PRIMARY KEY, v)", "nullable"),
        ("CREATE TABLE x (a, b)", "no primary key"),
        ("CREATE TABLE x (id TEXT PRIMARY KEY NOT NULL, p REFERENCES y(id))", "foreign key"),
    ],
)
def test_refuses_tables_cr_sqlite_refuses(tmp_path: Path, ddl: str, complaint: str) -> None:
    replica = open_replica(tmp_path / "r.db", ddl)
    with pytest.raises(SchemaRefusedError, match=complaint) as caught:
        replica.make_replicated("x")
    assert caught.value.code == "schema_refused"
    assert "'x'" in str(caught.value)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE x (pk TEXT PRIMARY KEY NOT NULL, key BLOB, v)",
        "CREATE TABLE x (key TEXT NOT NULL, pk BLOB NOT NULL, seq, db_version, col_name,"
        " site_ordinal, origin_version, kv, dbv, PRIMARY KEY (key, pk))",
    ],
)
def test_key_and_column_names_never_clash_with_the_clock(tmp_path: Path, ddl: str) -> None:
    """The clock table holds the key columns next to its own: those are all prefixed, so a
    table may use any name the engine uses internally (the prefix itself is refused)."""
    a = open_replica(tmp_path / "a.db", ddl)
    b = open_replica(tmp_path / "b.db", ddl)
    for replica in (a, b):
        replica.make_replicated("x")
    info = a.connection.execute("PRAGMA table_info(x)").fetchall()
    columns = [row[1] for row in info]
    non_pks = sum(1 for row in info if not row[5])
    values = {1: ("k1", b"p1"), 2: ("k2", b"p2")}
    for n, (first, second) in values.items():
        row = (first, second, *range(n, n + len(columns) - 2))
        a.connection.execute(f"INSERT INTO x VALUES ({', '.join('?' * len(columns))})", row)
    a.connection.commit()
    a.connection.execute(f"UPDATE x SET {columns[0]} = 'moved' WHERE {columns[1]} = ?", (b"p1",))
    a.connection.execute(f"DELETE FROM x WHERE {columns[1]} = ?", (b"p2",))
    a.connection.commit()
    b.apply_changes(a.changes_since(0))
    dump = "SELECT * FROM x ORDER BY 1, 2"
    assert b.connection.execute(dump).fetchall() == a.connection.execute(dump).fetchall()

    def cells(replica: Replica) -> set[tuple[object, ...]]:
        return {
            (c.pk, c.cid, c.val, c.col_version, c.site_id, c.cl, c.seq)
            for c in replica.changes_since(0)
        }

    # b never stores the moved row's marker of cl 1: its columns arrived first (cr-sqlite).
    assert cells(b) == {c for c in cells(a) if c[1] != "-1" or c[5] != 1}
    assert len(cells(b)) == non_pks + 2  # the moved row, the old key's and p2's markers


def test_refuses_a_column_with_the_engines_prefix(tmp_path: Path) -> None:
    replica = open_replica(
        tmp_path / "r.db", "CREATE TABLE x (id INTEGER PRIMARY KEY NOT NULL, __sync_v1)"
    )
    with pytest.raises(SchemaRefusedError, match="reserved"):
        replica.make_replicated("x")


def test_refuses_a_replica_made_with_the_old_clock_layout(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    replica.connection.execute("CREATE TABLE t__sync_pks (key INTEGER PRIMARY KEY)")
    replica.connection.commit()
    with pytest.raises(SyncError, match="older version"):
        Replica(replica.connection)


def test_refuses_a_unique_index_added_separately(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE, "CREATE UNIQUE INDEX t_v ON t (v)")
    with pytest.raises(SchemaRefusedError, match="t_v"):
        replica.make_replicated("t")


def test_refuses_a_missing_table(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db")
    with pytest.raises(SchemaRefusedError, match="does not exist"):
        replica.make_replicated("nope")


def test_site_id_is_persisted(tmp_path: Path) -> None:
    first = open_replica(tmp_path / "r.db", TABLE)
    site = first.site_id
    assert len(site) == 16
    first.connection.close()
    again = Replica(sqlite3.connect(tmp_path / "r.db"), site_id=b"\x00" * 16)
    assert again.site_id == site


def test_a_transaction_shares_one_db_version_and_counts_seq(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    conn = replica.connection
    conn.execute("INSERT INTO t (id, v) VALUES (1, 'a')")
    conn.execute("INSERT INTO t (id, v) VALUES (2, 'b')")
    conn.commit()
    conn.execute("UPDATE t SET v = 'c' WHERE id = 1")
    conn.commit()
    rows = [(c.pk, c.cid, c.db_version, c.seq) for c in replica.changes_since(0)]
    assert rows == [
        (pack_pk((1,)), "w", 1, 1),
        (pack_pk((2,)), "v", 1, 2),
        (pack_pk((2,)), "w", 1, 3),
        (pack_pk((1,)), "v", 2, 0),
    ]
    assert replica.db_version() == 2
    assert [c.cid for c in replica.changes_since(1)] == ["v"]
    assert replica.changes_since(0, exclude_site=replica.site_id) == []


def test_existing_rows_are_recorded_when_a_table_becomes_replicated(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE, "INSERT INTO t (id, v) VALUES (7, 1)")
    replica.make_replicated("t")
    replica.make_replicated("t")
    assert {(c.cid, c.val) for c in replica.changes_since(0)} == {("v", 1), ("w", "d")}
    assert replica.db_version() == 1


def test_a_reopened_database_keeps_replicating(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    replica.connection.close()
    again = Replica(sqlite3.connect(tmp_path / "r.db"))
    again.connection.execute("INSERT INTO t (id) VALUES (1)")
    again.connection.commit()
    assert again.tables == ("t",)
    assert again.db_version() == 1


def test_an_unattached_connection_cannot_write_unrecorded(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    other = sqlite3.connect(tmp_path / "r.db")
    with pytest.raises(sqlite3.OperationalError, match="sync_"):
        other.execute("INSERT INTO t (id) VALUES (1)")
    other.close()


def _good(site: bytes = b"\x01" * 16) -> Change:
    return Change("t", pack_pk((1,)), "v", "x", 1, 1, site, 1, 0)


@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (("u", pack_pk((1,)), "v", "x", 1, 1, b"\x01" * 16, 1, 0), NotReplicatedError),
        (("t", pack_pk((1,)), "nope", "x", 1, 1, b"\x01" * 16, 1, 0), NotReplicatedError),
        (("t", b"\xff", "v", "x", 1, 1, b"\x01" * 16, 1, 0), MalformedChangeError),
        (("t", pack_pk((1, 2)), "v", "x", 1, 1, b"\x01" * 16, 1, 0), MalformedChangeError),
        # t's key is its rowid: a text key (even of a delete) has no row to be.
        (("t", pack_pk(("1",)), "-1", None, 2, 1, b"\x01" * 16, 2, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "v", "x", 1, 1, b"\x01" * 15, 1, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "v", "x", -1, 1, b"\x01" * 16, 1, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "v", "x", 1, 1, b"\x01" * 16, 0, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "v", [1], 1, 1, b"\x01" * 16, 1, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "-1", None, 2, 1, b"\x01" * 16, 3, 0), MalformedChangeError),
        (("t", pack_pk((1,)), "v"), MalformedChangeError),
    ],
)
def test_a_malformed_row_refuses_the_whole_batch(
    tmp_path: Path, bad: tuple[object, ...], error: type[SyncError]
) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    with pytest.raises(error):
        replica.apply_changes([_good(), bad])
    assert replica.connection.execute("SELECT count(*) FROM t").fetchone() == (0,)
    assert replica.db_version() == 0


def test_apply_inside_an_open_transaction_joins_it(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    conn = replica.connection
    conn.execute("INSERT INTO t (id, v) VALUES (2, 'local')")
    replica.apply_changes([_good()])
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_compacting_tombstones_forgets_acknowledged_deletes_only(tmp_path: Path) -> None:
    replica = open_replica(tmp_path / "r.db", TABLE)
    replica.make_replicated("t")
    conn = replica.connection
    for statement in (
        "INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
        "DELETE FROM t WHERE id = 1",
        "DELETE FROM t WHERE id = 2",
    ):
        conn.execute(statement)
        conn.commit()
    assert replica.db_version() == 3
    assert replica.compact_tombstones(acknowledged=2) == 1
    markers = [c.pk for c in replica.changes_since(0) if c.cid == "-1"]
    assert markers == [pack_pk((2,))]
    assert replica.compact_tombstones(acknowledged=3) == 1
    assert replica.db_version() == 3
    assert {c.pk for c in replica.changes_since(0)} == {pack_pk((3,))}
    conn.execute("INSERT INTO t (id, v) VALUES (2, 'back')")
    conn.commit()
    assert replica.db_version() == 4
    assert conn.execute("SELECT v FROM t ORDER BY id").fetchall() == [("back",), ("c",)]


@pytest.mark.parametrize("commit_hooks", [True, False], ids=["hooks", "trace"])
def test_writes_through_another_connection_are_never_given_the_same_version(
    tmp_path: Path, commit_hooks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transaction usually takes its version without reading the stored one (the pager's
    data version shows that only this connection committed since): commits by another
    connection must still be seen, one or several, whichever connection writes next."""
    if not commit_hooks:
        monkeypatch.setattr(txn, "_LIB", None)
    a = open_replica(tmp_path / "r.db", TABLE)
    a.make_replicated("t")
    b = Replica(sqlite3.connect(tmp_path / "r.db"))
    writers = [a, a, b, a, b, b, b, a, a, b, a]
    for n, replica in enumerate(writers, start=1):
        replica.connection.execute("INSERT INTO t (id, v) VALUES (?, ?)", (n, n))
        replica.connection.commit()
        assert replica.db_version() == n
    # An update that changes nothing takes a version and keeps it in memory (cr-sqlite).
    a.connection.execute("UPDATE t SET v = v WHERE id = 1")
    a.connection.commit()
    b.connection.execute("UPDATE t SET v = 0 WHERE id = 2")
    b.connection.commit()
    a.connection.execute("UPDATE t SET v = 0 WHERE id = 3")
    a.connection.commit()
    # b read the stored 11 (a's 12 stays in a's memory), a then read b's 12.
    versions = {pack_pk((n,)): n for n in range(1, 12)} | {pack_pk((2,)): 12, pack_pk((3,)): 13}
    assert {c.pk: c.db_version for c in a.changes_since(0) if c.cid == "v"} == versions
    assert a.db_version() == b.db_version() == 13
    b.connection.close()


def test_autocommit_statements_never_share_a_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    conn.execute(TABLE)
    replica = Replica(conn)
    replica.make_replicated("t")
    conn.execute("INSERT INTO t (id, v) VALUES (1, 'a')")
    first = replica.db_version()
    conn.execute("INSERT INTO t (id, v) VALUES (2, 'b')")
    assert replica.db_version() > first
    assert {c.pk for c in replica.changes_since(first)} == {pack_pk((2,))}
    conn.execute("BEGIN")
    conn.execute("UPDATE t SET v = 'c' WHERE id = 1")
    conn.execute("UPDATE t SET w = 'e' WHERE id = 2")
    conn.execute("COMMIT")
    assert len({c.db_version for c in replica.changes_since(first + 1)}) == 1


def test_the_commit_hooks_follow_transactions_as_cr_sqlite_does(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    conn.execute(TABLE)
    replica = Replica(conn)
    replica.make_replicated("t")
    assert replica._on_statement is None  # the hooks, not the trace fallback
    conn.execute("INSERT INTO t (id, v) VALUES (1, 'a')")
    conn.execute("INSERT INTO t (id, v) VALUES (2, 'b'), (3, 'c')")
    assert replica.db_version() == 2  # each autocommit statement is one transaction
    conn.execute("UPDATE t SET v = 'a' WHERE id = 1")  # changes nothing, takes a version
    assert replica.db_version() == 3
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t (id, v) VALUES (4, 'd')")
    conn.execute("ROLLBACK")
    assert replica.db_version() == 3
    # A write transaction opened by SAVEPOINT that takes no version: cr-sqlite's commit
    # hook reads the version from storage again.
    conn.execute("SAVEPOINT s")
    conn.execute("DELETE FROM t WHERE id = 99")
    conn.execute("RELEASE s")
    assert replica.db_version() == 2
    replica.close()
    conn.execute("INSERT INTO t (id, v) VALUES (5, 'e')")  # the hooks are gone, not dangling
    conn.close()


def test_changing_a_key_reaches_a_peer_that_pulled_before(tmp_path: Path) -> None:
    source = open_replica(tmp_path / "a.db", TABLE, site_id=b"\x01" * 16)
    peer = open_replica(tmp_path / "b.db", TABLE, site_id=b"\x02" * 16)
    source.make_replicated("t")
    peer.make_replicated("t")
    source.connection.execute("INSERT INTO t (id, v, w) VALUES (1, 'x', 'y')")
    source.connection.commit()
    peer.apply_changes(source.changes_since(0))
    seen = source.db_version()
    source.connection.execute("UPDATE t SET id = 5, v = 'z' WHERE id = 1")
    source.connection.commit()
    peer.apply_changes(source.changes_since(seen, exclude_site=peer.site_id))
    rows = "SELECT * FROM t ORDER BY id"
    assert peer.connection.execute(rows).fetchall() == [(5, "z", "y")]
    assert source.connection.execute(rows).fetchall() == [(5, "z", "y")]
