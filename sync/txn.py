"""Following the transactions of a connection, as cr-sqlite's commit and rollback hooks do.

Python's ``sqlite3`` exposes no commit hook. The statement trace stands in for one: a
statement that starts outside a transaction means the previous transaction (or autocommit
statement) is over. A ``PRAGMA data_version`` probe from a second connection would be
cheaper but cannot see a commit that changed no page, and cr-sqlite's in-memory clock does
react to those (the recorded vectors check it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable

_ROLLBACK = re.compile(r"ROLLBACK\s*(?:TRANSACTION\s*)?;?\s*$", re.IGNORECASE)


class TransactionClock:
    """cr-sqlite's per-connection clock state: the db_version and seq of the open
    transaction, and the db_version it keeps in memory after a commit."""

    __slots__ = ("memory", "open", "pending", "rolled_back", "seq")

    def __init__(self) -> None:
        self.pending: int | None = None
        self.seq = 0
        self.open = False
        self.rolled_back = False
        # After a commit cr-sqlite keeps that transaction's db_version in memory, even when
        # it recorded nothing (an UPDATE that changed no value takes a version); after a
        # commit that took no version it reads the version from storage again (None here).
        self.memory: int | None = None

    def finish(self) -> None:
        """The transaction (or autocommit statement) before this point is over."""
        if (self.open or self.pending is not None) and not self.rolled_back:
            self.memory = self.pending
        self.reset()

    def committed(self) -> None:
        """A write transaction committed: what cr-sqlite's commit hook does."""
        self.memory = self.pending
        self.reset()

    def reset(self) -> None:
        """Forget the transaction's version and seq (a rollback, or after a commit)."""
        self.pending = None
        self.seq = 0
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
