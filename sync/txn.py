"""Following the transactions of a connection, as cr-sqlite's commit and rollback hooks do.

Python's ``sqlite3`` exposes no commit hook. SQLite's own hooks are installed through its C
API (``install_hooks``) when the connection's handle can be found and proven; otherwise the
statement trace stands in: a statement that starts outside a transaction means the previous
transaction (or autocommit statement) is over. A ``PRAGMA data_version`` probe from a
second connection cannot replace either: it cannot see a commit that changed no page, and
cr-sqlite's in-memory clock does react to those (the recorded vectors check it).
"""

from __future__ import annotations

import _sqlite3
import ctypes
import re
import sqlite3
import sys
from collections.abc import Callable

_ROLLBACK = re.compile(r"ROLLBACK\s*(?:TRANSACTION\s*)?;?\s*$", re.IGNORECASE)


class TransactionClock:
    """cr-sqlite's per-connection clock state: the db_version and seq of the open
    transaction, and the db_version it keeps in memory after a commit."""

    __slots__ = (
        "anchor",
        "expect",
        "keys",
        "known",
        "memory",
        "open",
        "pending",
        "rolled_back",
        "seq",
    )

    def __init__(self) -> None:
        self.pending: int | None = None
        self.seq = 0
        # Counter of the keys this transaction registered (the second half of their
        # ordering key, after the transaction's db_version).
        self.keys = 0
        self.open = False
        self.rolled_back = False
        # After a commit cr-sqlite keeps that transaction's db_version in memory, even when
        # it recorded nothing (an UPDATE that changed no value takes a version); after a
        # commit that took no version it reads the version from storage again (None here).
        self.memory: int | None = None
        # What spares a transaction reading the stored version (Replica._cached_db_version):
        # the stored version read by the last transaction that read it (``known``), the
        # pager's data version when the open transaction took its version (``anchor``), and
        # the data version the next transaction must find for ``known`` to still hold
        # (``expect``: one more, for this connection's own commit; None: read again).
        self.known: int | None = None
        self.anchor: int | None = None
        self.expect: int | None = None

    def finish(self) -> None:
        """The transaction (or autocommit statement) before this point is over."""
        if (self.open or self.pending is not None) and not self.rolled_back:
            self.memory = self.pending
        self.reset()

    def committed(self) -> None:
        """A write transaction committed: what cr-sqlite's commit hook does."""
        self.memory = self.pending
        # The commit moves the pager's data version by one; a transaction that took no
        # version here (or took it without a data version) leaves nothing to rely on.
        self.expect = None if self.anchor is None else self.anchor + 1
        self.reset()

    def rolled_back_now(self) -> None:
        """A rollback: forget the transaction, and read the stored version again next."""
        self.expect = None
        self.reset()

    def reset(self) -> None:
        """Forget the transaction's version and seq (a rollback, or after a commit)."""
        self.pending = None
        self.seq = 0
        self.keys = 0
        self.anchor = None
        self.open = False
        self.rolled_back = False


def statement_watcher(conn: sqlite3.Connection, txn: TransactionClock) -> Callable[[str], None]:
    """The trace callback: a statement that starts outside a transaction means the previous
    transaction (or autocommit statement) is over. It runs for every statement and trigger
    program, so it is a closure over locals doing as little as possible."""

    def on_statement(sql: str) -> None:
        if conn.in_transaction:
            if sql[:1] in "Rr" and _ROLLBACK.match(sql):
                txn.rolled_back = True
            return
        txn.finish()
        if sql[:5].upper() == "BEGIN":
            # Python's implicit BEGIN opens a write transaction: its commit resets the
            # in-memory version even when it takes none, as cr-sqlite's commit hook does.
            txn.open = True

    return on_statement


# -- the real commit and rollback hooks, through the C API ----------------------------------
#
# The trace runs for every statement and trigger program (six times for a single-row
# insert and its commit) and makes CPython expand each statement's SQL with its bound
# values: about 40 µs of CPU per replicated single-row write (bench/sync.py). SQLite's own
# sqlite3_commit_hook and sqlite3_rollback_hook run once per transaction and are exactly
# what cr-sqlite uses, so they are installed through ctypes when the connection's sqlite3*
# handle can be found and proven; otherwise the trace stays.

_COMMIT_HOOK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_ROLLBACK_HOOK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)
# A limit whose compile-time maximum is far above the probe values, so none is clamped.
_SQLITE_LIMIT_LIKE_PATTERN_LENGTH = 8
_PROBES = (1001, 1002)


def _library() -> ctypes.CDLL | None:
    # The SQLite that the sqlite3 module itself uses: symbols are looked up through the
    # extension module, which links (or embeds) exactly that library.
    try:
        lib = ctypes.CDLL(_sqlite3.__file__)
        lib.sqlite3_commit_hook.restype = ctypes.c_void_p
        lib.sqlite3_commit_hook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.sqlite3_rollback_hook.restype = ctypes.c_void_p
        lib.sqlite3_rollback_hook.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        lib.sqlite3_limit.restype = ctypes.c_int
        lib.sqlite3_limit.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        lib.sqlite3_file_control.restype = ctypes.c_int
        lib.sqlite3_file_control.argtypes = [
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int,
            ctypes.c_void_p,
        ]
    except (OSError, AttributeError):
        return None
    return lib


_LIB = _library() if sys.implementation.name == "cpython" and sys.version_info < (3, 14) else None


def _py_library() -> ctypes.PyDLL | None:
    # The same library, called without releasing the GIL (for calls that cannot block).
    try:
        lib = ctypes.PyDLL(_sqlite3.__file__)
        lib.sqlite3_file_control.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return lib


_PY_LIB = _py_library() if _LIB is not None else None


def _handle(conn: sqlite3.Connection) -> int | None:
    """The connection's ``sqlite3*``, or None when it cannot be proven to be that."""
    if _LIB is None:
        return None
    # CPython 3.11-3.13 keep the handle as the first field after the object header
    # (pysqlite_Connection.db). Proof: a limit set through Python reads back through it.
    db = ctypes.c_void_p.from_address(id(conn) + object.__basicsize__).value
    if not db:
        return None
    saved = conn.getlimit(_SQLITE_LIMIT_LIKE_PATTERN_LENGTH)
    try:
        for probe in _PROBES:
            conn.setlimit(_SQLITE_LIMIT_LIKE_PATTERN_LENGTH, probe)
            if _LIB.sqlite3_limit(db, _SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1) != probe:
                return None
    finally:
        conn.setlimit(_SQLITE_LIMIT_LIKE_PATTERN_LENGTH, saved)
    return int(db)


_SQLITE_FCNTL_DATA_VERSION = 35


def install_hooks(conn: sqlite3.Connection, txn: TransactionClock) -> Callable[[], int] | None:
    """Install commit and rollback hooks that keep ``txn`` as cr-sqlite's hooks keep its
    clock; None (nothing installed) when the C API is out of reach.

    Returns a function reading the pager's data version (``SQLITE_FCNTL_DATA_VERSION``):
    it moves by one at each commit of this connection, and when this connection's next
    transaction finds that another connection committed (by one however many did).
    """
    db = _handle(conn)
    if db is None or _LIB is None:
        return None
    lib = _LIB

    def on_commit(_arg: object) -> int:
        txn.committed()
        return 0  # let the commit go ahead

    def on_rollback(_arg: object) -> None:
        txn.rolled_back_now()

    commit_cb = _COMMIT_HOOK(on_commit)
    rollback_cb = _ROLLBACK_HOOK(on_rollback)
    _LIB.sqlite3_commit_hook(db, ctypes.cast(commit_cb, ctypes.c_void_p), None)
    _LIB.sqlite3_rollback_hook(db, ctypes.cast(rollback_cb, ctypes.c_void_p), None)
    # SQLite points at the ctypes callbacks, so they must live as long as the connection
    # can call them. A function registered on the connection holds them: SQLite drops it
    # only when the connection closes, after its last rollback, or when it is replaced by
    # the next install on this connection, after the hooks above were replaced.
    keep = (commit_cb, rollback_cb)
    conn.create_function("sync_txn_hooks", 0, lambda: len(keep))
    # Called from the triggers' version function, inside a statement of this connection:
    # the call cannot block (the connection's mutex is this thread's, and recursive), so
    # it keeps the GIL (PyDLL) and takes its arguments ready-made: a third of the cost.
    control = _PY_LIB.sqlite3_file_control if _PY_LIB is not None else lib.sqlite3_file_control
    args = (
        ctypes.c_void_p(db),
        ctypes.c_char_p(b"main"),
        ctypes.c_int(_SQLITE_FCNTL_DATA_VERSION),
    )
    version = ctypes.c_uint(0)
    pointer = ctypes.byref(version)

    def data_version() -> int:
        control(*args, pointer)
        return version.value

    return data_version


def remove_hooks(conn: sqlite3.Connection) -> None:
    """Take the hooks off ``conn``, which must still be open."""
    db = _handle(conn)
    if db is not None and _LIB is not None:
        _LIB.sqlite3_commit_hook(db, None, None)
        _LIB.sqlite3_rollback_hook(db, None, None)
