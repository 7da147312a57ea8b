"""The engine's API over one ``sqlite3.Connection``: a replica of a set of tables.

``Replica(conn)`` attaches to a connection: it creates the bookkeeping tables on first use,
registers the SQL functions the triggers call and follows the connection's transactions so
that all writes of one transaction share one db_version, as in cr-sqlite.

Every connection that writes a replicated table must be attached: the triggers call
functions that only an attached connection has, so an unattached write fails loudly instead
of going unrecorded.
"""

# ruff: noqa: S608 - identifiers are quoted by quote_ident (read from the schema); values are bound.

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from sync import bulk
from sync.changes import (
    SITE_ID_LEN,
    WHERE_SINCE,
    Change,
    changes_select,
    check_changes,
)
from sync.errors import SyncError
from sync.merge import VersionClock, merge_change
from sync.pk_codec import pack_pk, pack_single
from sync.schema import (
    KEY_NUMBER,
    KEY_STEP,
    KEY_VERSION,
    PK,
    ROW_VERSION,
    TableInfo,
    cell_columns,
    inspect_table,
    metadata_ddl,
    origin_indexes,
    quote_ident,
    trigger_ddl,
)
from sync.store import load_rows, persist_rows, record_origins
from sync.txn import TransactionClock, install_hooks, remove_hooks, statement_watcher
from sync.values import SqlValue

_BOOTSTRAP = (
    "CREATE TABLE IF NOT EXISTS sync_site_ids (ordinal INTEGER PRIMARY KEY,"
    " site_id BLOB NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS sync_state (id INTEGER PRIMARY KEY CHECK (id = 0),"
    " db_version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_tables (name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE IF NOT EXISTS sync_origins (site_id BLOB PRIMARY KEY,"
    " version INTEGER NOT NULL) WITHOUT ROWID",
)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What one ``apply_changes`` call did."""

    received: int
    """Change rows in the batch."""
    rows_changed: int
    """Rows whose clocks the batch changed."""
    db_version: int
    """The replica's db_version after the batch."""


class Replica:
    """A replica of the replicated tables of one SQLite database, through one connection."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        site_id: bytes | None = None,
        merge_equal_values: bool = False,
        bulk: bool = True,
        accept: Callable[[Sequence[Change]], None] | None = None,
    ) -> None:
        """Attach to ``conn``; ``site_id`` only applies when the database is new to sync.

        ``accept(batch)``, when given, sees every well-formed batch before it is merged and
        raises ``RefusedChangeError`` to refuse it whole: the service's own rules for the
        values it replicates (sync itself takes any SQLite value).

        ``merge_equal_values=True`` breaks ties of equal col_version and equal value by site
        id (cr-sqlite's option; its default, and ours, is off). Every replica of a network
        must use the same setting. ``bulk=False`` turns off the set-based path for batches
        of new rows (``sync.bulk``), so tests and benchmarks can compare the two paths.
        """
        self._conn = conn
        self._bulk = bulk
        self._accept = accept
        self._merge_equal_values = merge_equal_values
        self._txn = TransactionClock()
        self._merging = 0
        conn.create_function("sync_pack", -1, self._pack, deterministic=True)
        # One-column keys (most tables) call this one: no argument tuple to unpack.
        conn.create_function("sync_pack", 1, pack_single, deterministic=True)
        conn.create_function("sync_db_version", 0, self._write_db_version)
        conn.create_function("sync_take_seq", 1, self._take_seq)
        conn.create_function("sync_merging", 0, self._is_merging)
        # Python's sqlite3 exposes no commit hook: SQLite's own is installed through its C
        # API when that can be done safely, else the statement trace stands in (sync.txn).
        self._on_statement: Callable[[str], None] | None = None
        self._data_version = install_hooks(conn, self._txn)
        if self._data_version is None:
            self._on_statement = statement_watcher(conn, self._txn)
            conn.set_trace_callback(self._on_statement)
        with self._transaction():
            for ddl in _BOOTSTRAP:
                conn.execute(ddl)
            row = conn.execute("SELECT site_id FROM sync_site_ids WHERE ordinal = 0").fetchone()
            if row is None:
                new_id = site_id if site_id is not None else os.urandom(SITE_ID_LEN)
                if len(new_id) != SITE_ID_LEN:
                    raise SyncError(f"a site id is {SITE_ID_LEN} bytes")
                conn.execute(
                    "INSERT INTO sync_site_ids (ordinal, site_id) VALUES (0, ?)", (new_id,)
                )
                conn.execute("INSERT OR IGNORE INTO sync_state (id, db_version) VALUES (0, 0)")
                row = (new_id,)
        self._site_id = bytes(row[0])
        self._tables: dict[str, TableInfo] = {}
        self._indexed_schema: int | None = None
        self._version_sql = ""
        for (name,) in conn.execute("SELECT name FROM sync_tables ORDER BY rowid").fetchall():
            self._check_layout(name)
            self._tables[name] = inspect_table(conn, name)
        self._tables_changed()

    def _tables_changed(self) -> None:
        # Scalar max() over one scalar subquery per table, each answered by the table's
        # db_version index.
        parts = ["coalesce((SELECT db_version FROM sync_state), 0)"] + [
            f"coalesce((SELECT max({ROW_VERSION}) FROM {info.clock}), 0)"
            for info in self._tables.values()
        ]
        expr = parts[0] if len(parts) == 1 else f"max({', '.join(parts)})"
        self._version_sql = f"SELECT {expr}"

    # -- transaction tracking -------------------------------------------------------------

    def close(self) -> None:
        """Detach from the connection (its commit hooks or trace callback); the connection
        stays open."""
        if self._on_statement is None:
            remove_hooks(self._conn)
            self._data_version = None
            self._txn.expect = None
        else:
            self._conn.set_trace_callback(None)

    def _next_db_version(self, stored: int) -> int:
        # The first write of a transaction takes the next version, later ones share it.
        txn = self._txn
        if txn.pending is None:
            txn.pending = max(stored, txn.memory or 0) + 1
        return txn.pending

    def _write_db_version(self) -> int | None:
        # The triggers' version function (NULL while merging: the insert trigger then
        # writes nothing). The first write of a transaction needs the stored version; it is
        # read with a query, unless the pager's data version shows that nothing but this
        # connection's own last transaction (whose version ``memory`` holds) committed
        # since it was last read: the usual single-row transaction reads no clock table.
        if self._merging:
            return None
        txn = self._txn
        if txn.pending is not None:
            return txn.pending
        read = self._data_version
        if read is None:
            stored = int(self._conn.execute(self._version_sql).fetchone()[0])
        else:
            # Inside the write transaction: no other connection commits from here on.
            current = read()
            if current == txn.expect and txn.known is not None:
                stored = txn.known
            else:
                stored = int(self._conn.execute(self._version_sql).fetchone()[0])
                txn.known = stored
            txn.anchor = current
        txn.pending = max(stored, txn.memory or 0) + 1
        return txn.pending

    def _next_seq(self) -> int:
        txn = self._txn
        seq = txn.seq
        txn.seq += 1
        return seq

    def _take_seq(self, count: int) -> int:
        txn = self._txn
        first = txn.seq
        if not self._merging:  # the insert trigger runs (and writes nothing) in a merge
            txn.seq += count
        return first

    def _take_keys(self, count: int) -> int:
        # Key numbers for ``count`` keys a merge registers: after every key registered by a
        # seq number taken so far in this transaction, before any registered by the next.
        txn = self._txn
        first = txn.seq * KEY_STEP - KEY_STEP // 2 + txn.keys
        txn.keys += count
        return first

    def _check_layout(self, table: str) -> None:
        # Replicas made before the one-row-per-key clock kept a separate key table; their
        # clocks cannot be read by this version (there are no deployed databases).
        old = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = ?", (table + "__sync_pks",)
        ).fetchone()
        if old is not None:
            raise SyncError(
                f"table {table!r} was replicated by an older version of sync (clock layout"
                " with a key table): recreate the replica"
            )

    def _is_merging(self) -> int:
        return self._merging

    @staticmethod
    def _pack(*values: SqlValue) -> bytes:
        return pack_pk(values)

    class _Txn:
        def __init__(self, replica: Replica) -> None:
            self.replica = replica
            self.own = False

        def __enter__(self) -> None:
            conn = self.replica._conn
            if conn.in_transaction:
                conn.execute("SAVEPOINT sync_txn")
            else:
                self.own = True
                conn.execute("BEGIN IMMEDIATE")

        def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
            conn = self.replica._conn
            if self.own:
                replica = self.replica
                if exc_type is None:
                    conn.execute("COMMIT")
                    if replica._on_statement is not None:  # the commit hook did it otherwise
                        replica._txn.committed()
                else:
                    conn.execute("ROLLBACK")
                    replica._txn.reset()
            elif exc_type is None:
                conn.execute("RELEASE sync_txn")
            else:
                conn.execute("ROLLBACK TO sync_txn")
                conn.execute("RELEASE sync_txn")

    def _transaction(self) -> Replica._Txn:
        return Replica._Txn(self)

    # -- public API -----------------------------------------------------------------------

    @property
    def connection(self) -> sqlite3.Connection:
        """The attached connection."""
        return self._conn

    @property
    def site_id(self) -> bytes:
        """This database's persisted 16-byte site id."""
        return self._site_id

    @property
    def tables(self) -> tuple[str, ...]:
        """Names of the replicated tables."""
        return tuple(sorted(self._tables))

    def db_version(self) -> int:
        """The database's db_version: the clock of its latest recorded or merged write."""
        return self._stored_version()

    def _stored_version(self) -> int:
        # As cr-sqlite: the highest db_version of any clock (each clock table's index answers
        # that at once), never below a floor kept for clocks that were dropped.
        stored = int(self._conn.execute(self._version_sql).fetchone()[0])
        return max(stored, self._txn.memory or 0)

    def make_replicated(self, table: str) -> None:
        """Make ``table`` replicated: create its clock tables and triggers, and record its
        existing rows as written now. Idempotent. Raises ``SchemaRefusedError`` for a table
        cr-sqlite would refuse."""
        info = inspect_table(self._conn, table)
        if table in self._tables:
            return
        self._check_layout(table)
        with self._transaction():
            for ddl in metadata_ddl(info):
                self._conn.execute(ddl)
            self._conn.execute("INSERT OR IGNORE INTO sync_tables (name) VALUES (?)", (table,))
            self._tables[table] = info
            self._tables_changed()
            for ddl in trigger_ddl(info):
                self._conn.execute(ddl)
            self._backfill(info)

    def _backfill(self, info: TableInfo) -> None:
        pk_list = ", ".join(quote_ident(c) for c in info.pks)
        rows = self._conn.execute(f"SELECT {pk_list} FROM {info.quoted}").fetchall()
        if not rows:
            return
        version = self._next_db_version(self._stored_version())
        # Every column gets a clock (a table of key columns only: the marker).
        cells = range(1, len(info.cells)) if info.non_pks else range(1)
        names = ", ".join(", ".join(cell_columns(cell)[:4]) for cell in cells)
        marks = ", ".join("?" * (len(info.pks) + 4 + 4 * len(cells)))
        clock_rows = []
        for r in rows:
            packed = None if info.rowid_key else pack_pk(tuple(r))  # rowid keys: packed on read
            row: list[object] = [*r, packed, version, self._txn.seq * KEY_STEP, version]
            for _cell in cells:
                row.extend((1, version, 0, self._next_seq()))
            clock_rows.append(row)
        self._conn.executemany(
            f"INSERT OR IGNORE INTO {info.clock}"
            f" ({pk_list}, {PK}, {KEY_VERSION}, {KEY_NUMBER}, {ROW_VERSION}, {names})"
            f" VALUES ({marks})",
            clock_rows,
        )
        self._conn.execute("UPDATE sync_state SET db_version = ?", (version,))

    def changes_since(self, db_version: int, *, exclude_site: bytes | None = None) -> list[Change]:
        """Every change row with a db_version above ``db_version``, in (db_version, seq)
        order, leaving out rows whose site is ``exclude_site`` (the puller's own)."""
        if not self._tables:
            return []
        exclude: int | None = None
        if exclude_site is not None:
            row = self._conn.execute(
                "SELECT ordinal FROM sync_site_ids WHERE site_id = ?", (exclude_site,)
            ).fetchone()
            exclude = None if row is None else int(row[0])
        return self._select_changes(WHERE_SINCE, (db_version, exclude))

    def _select_changes(
        self, where: str, params: tuple[object, ...], *, changed_after: int = 0
    ) -> list[Change]:
        parts = [
            changes_select(info, i, where)
            for i, info in enumerate(self._tables.values())
            if changed_after == 0 or self._table_version(info) > changed_after
        ]
        if not parts:
            return []
        sql = " UNION ALL ".join(parts) + " ORDER BY 6, 9, 11, 12, 13, 14"
        return [
            Change(t, pk, cid, val, cv, dbv, site, cl, seq, origin)
            for t, pk, cid, val, cv, dbv, site, cl, seq, origin, *_order in self._conn.execute(
                sql, params
            )
        ]

    def origin_versions(self) -> dict[bytes, int]:
        """Per origin site, the highest version of its writes this replica has received
        (its own site: its db_version). Send this to any peer: ``changes_missing`` on the
        peer answers with exactly what is missing here, whoever relayed it."""
        versions = {
            bytes(s): int(v)
            for s, v in self._conn.execute("SELECT site_id, version FROM sync_origins")
        }
        versions[self._site_id] = max(versions.get(self._site_id, 0), self.db_version())
        return versions

    def _table_version(self, info: TableInfo) -> int:
        # The clock table's db_version index answers this at once.
        found = self._conn.execute(f"SELECT max({ROW_VERSION}) FROM {info.clock}").fetchone()
        return int(found[0] or 0)

    def changes_missing(
        self, versions: Mapping[bytes, int], *, changed_after: int = 0
    ) -> list[Change]:
        """The change rows a replica with ``versions`` (its ``origin_versions``) lacks:
        every row whose version at its origin is above what the asker has from that origin.

        Every such row here is sent, so after applying them the asker holds, for every
        origin, everything this replica holds up to that origin's highest version.

        ``changed_after``: this replica's db_version when the asker last took everything it
        lacked from here (0: never). Tables with no write or merge since then are left out
        of the query: a push after one scan reads the scans' clocks only.
        """
        if not self._tables:
            return []
        # A bulk merge (here or through another connection) drops the per-origin indexes;
        # any change of the schema, and only then, is worth the DDL of putting them back.
        schema = self._conn.execute("PRAGMA schema_version").fetchone()[0]
        if schema != self._indexed_schema:
            for info in self._tables.values():
                for _name, ddl in origin_indexes(info):
                    self._conn.execute(ddl)
            self._indexed_schema = self._conn.execute("PRAGMA schema_version").fetchone()[0]
        # One term per origin this replica knows, each answered by the clock tables'
        # (site_ordinal, origin version) index: the cost follows what is missing, not the
        # size of the replica.
        terms: list[str] = []
        params: list[object] = []
        sites = self._conn.execute("SELECT ordinal, site_id FROM sync_site_ids").fetchall()
        for ordinal, site in sites:
            # Numbered parameters: every table's SELECT in the UNION reads the same ones.
            # Ordinals are written into the SQL (they are integers from our own table) so
            # that the planner can match the partial index on merged rows.
            params.append(int(versions.get(bytes(site), 0)))
            want = f"?{len(params)}"
            # Braces stand for the cell's clock columns (a template, see changes_select).
            origin = f"COALESCE({{o}}, {{d}}) > {want}"
            if int(ordinal) == 0:
                # A cell's db_version is never below its origin version, and the row's is
                # never below its cells': the db_version index bounds the local cells.
                terms.append(
                    f"({{s}} = 0 AND c.{ROW_VERSION} > {want} AND {{d}} > {want} AND {origin})"
                )
            else:
                # "!= 0" spelt out: SQLite uses a partial index only when the query
                # repeats its WHERE term.
                terms.append(f"({{s}} = {int(ordinal)} AND {{s}} != 0 AND {origin})")
        return self._select_changes(" OR ".join(terms), tuple(params), changed_after=changed_after)

    def compact_tombstones(self, acknowledged: int) -> int:
        """Forget deleted rows whose delete has db_version <= ``acknowledged``; returns how
        many. The db_version never goes back.

        Policy (docs/replication.md): pass the lowest db_version of this replica that every
        enrolled replica has pulled (``origin_versions()[this site]`` as each peer reports
        it). A replica that already holds a delete can no longer send the row's older life,
        so once every replica holds it the marker protects nothing; a replica that has not
        seen it yet would bring the row back.
        """
        removed = 0
        with self._transaction():
            floor = self._stored_version()
            self._conn.execute("UPDATE sync_state SET db_version = max(db_version, ?)", (floor,))
            for info in self._tables.values():
                v0, d0 = cell_columns(0)[:2]
                no_columns = "".join(
                    f" AND {cell_columns(cell)[0]} IS NULL" for cell in range(1, len(info.cells))
                )
                cur = self._conn.execute(
                    f"DELETE FROM {info.clock} WHERE {v0} % 2 = 0 AND {d0} <= ?{no_columns}",
                    (acknowledged,),
                )
                removed += cur.rowcount
        return removed

    def apply_changes(self, changes: Iterable[Sequence[object]]) -> ApplyResult:
        """Merge change rows in one transaction, in the order given.

        Any malformed row (unknown table or column, bad packed key, bad site id or versions)
        refuses the whole batch with a ``SyncError`` before anything is written. Applying the
        same rows again, or in another order, leaves the same tables.
        """
        batch, keys = check_changes(changes, self._tables)
        if batch and self._accept is not None:
            self._accept(batch)
        if not batch:
            # cr-sqlite inserts nothing then, so no transaction commits either.
            return ApplyResult(received=0, rows_changed=0, db_version=self.db_version())
        with self._transaction():
            clock = VersionClock(self._stored_version(), self._txn.pending)
            # The lowest version this transaction can take: above every stored clock, so
            # keys registered now order after every key registered before.
            floor = max(clock.current + 1, clock.pending or 0)
            # The trace stands in for a commit hook; inside our own transaction it would only
            # cost a Python call per executemany row.
            if self._on_statement is not None:
                self._conn.set_trace_callback(None)
            self._merging += 1
            try:
                pending = None
                if self._bulk and bulk.eligible(batch, keys, self._tables):
                    pending = bulk.apply(
                        self._conn, batch, keys, self._tables, new_keys=(floor, self._take_keys)
                    )
                if pending is not None:
                    clock.pending = pending
                    changed = len(keys)
                else:
                    rows = load_rows(self._conn, self._tables, keys)
                    equal = self._merge_equal_values
                    for change in batch:
                        merge_change(
                            rows[change.table][change.pk], change, clock, merge_equal_values=equal
                        )
                    sites = {c.site_id for c in batch}
                    changed = persist_rows(
                        self._conn,
                        self._tables,
                        rows,
                        keys,
                        sites,
                        new_keys=(floor, self._take_keys),
                    )
            finally:
                self._merging -= 1
                if self._on_statement is not None:
                    self._conn.set_trace_callback(self._on_statement)
            record_origins(self._conn, batch)
            if clock.pending is not None:
                self._txn.pending = clock.pending
                self._conn.execute(
                    "UPDATE sync_state SET db_version = max(db_version, ?)", (clock.pending,)
                )
            version = self.db_version()
        return ApplyResult(received=len(batch), rows_changed=changed, db_version=version)
