"""Replays every scenario recorded from the real cr-sqlite 0.16.3 and requires the same
crossing change rows at every pull, and the same tables, change listing and db_version at
the end, on every site."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from sync import txn
from sync.changes import Change
from sync.replica import Replica
from sync.schema import quote_ident
from sync.values import SqlValue

# A copy of the design repository's shared/vectors/crsqlite (see vectors/README.md there).
VECTORS = Path(__file__).resolve().parent / "vectors"
SCENARIOS = sorted(VECTORS.glob("*.json"))


def encode_value(value: SqlValue) -> Any:
    if value is None:
        return None
    if isinstance(value, int):
        return {"int": value}
    if isinstance(value, float):
        return {"real": value}
    if isinstance(value, str):
        return {"text": value}
    return {"blob": value.hex()}


def encode_change(change: Change) -> list[Any]:
    return [
        change.table,
        change.pk.hex(),
        change.cid,
        encode_value(change.val),
        change.col_version,
        change.db_version,
        change.site_id.hex(),
        change.cl,
        change.seq,
    ]


def table_rows(conn: sqlite3.Connection, table: str) -> dict[str, Any]:
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({quote_ident(table)})")]
    order = ", ".join(str(i + 1) for i in range(len(columns)))
    rows = conn.execute(f"SELECT * FROM {quote_ident(table)} ORDER BY {order}").fetchall()
    return {"columns": columns, "rows": [[encode_value(v) for v in row] for row in rows]}


def create_site(path: Path, scenario: dict[str, Any], site_hex: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    for ddl in scenario["schema"]:
        conn.execute(ddl)
    conn.commit()
    replica = Replica(conn, site_id=bytes.fromhex(site_hex))
    for table in scenario["tables"]:
        replica.make_replicated(table)
    assert replica.db_version() == 0
    conn.close()


class Sites:
    """One connection per site for the whole scenario, as in the recorded runs (it matters:
    cr-sqlite keeps a db_version in memory that a new connection would not see)."""

    def __init__(self, root: Path, scenario: dict[str, Any]) -> None:
        self.paths = {name: root / f"{name}.db" for name in scenario["sites"]}
        for name, site_hex in scenario["sites"].items():
            create_site(self.paths[name], scenario, site_hex)
        self.replicas = {name: Replica(sqlite3.connect(path)) for name, path in self.paths.items()}

    def __getitem__(self, name: str) -> Replica:
        return self.replicas[name]

    def close(self) -> None:
        for replica in self.replicas.values():
            replica.connection.close()


def test_every_scenario_is_present() -> None:
    assert len(SCENARIOS) >= 27


@pytest.mark.parametrize("commit_hooks", [True, False], ids=["hooks", "trace"])
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_replays_recorded_scenario(
    path: Path, tmp_path: Path, commit_hooks: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite's commit hooks where they can be installed, the statement trace where not:
    # both must replay every scenario exactly.
    if not commit_hooks:
        monkeypatch.setattr(txn, "_LIB", None)
    scenario = json.loads(path.read_text())
    sites = Sites(tmp_path, scenario)
    for number, step in enumerate(scenario["steps"]):
        where = f"step {number} {step}"
        if step["op"] == "sql":
            replica = sites[step["site"]]
            for sql in step["sql"]:
                replica.connection.execute(sql)
            replica.connection.commit()
            assert replica.db_version() == step["db_version_after"], where
        else:
            source, target = sites[step["from"]], sites[step["to"]]
            crossing = source.changes_since(step["since"], exclude_site=target.site_id)
            assert [encode_change(c) for c in crossing] == step["changes"], where
            target.apply_changes(crossing)
            assert target.db_version() == step["db_version_after"], where
    for name, expected in scenario["final"].items():
        replica = sites[name]
        tables = {t: table_rows(replica.connection, t) for t in scenario["tables"]}
        assert tables == expected["tables"], name
        listing = sorted(
            replica.changes_since(0), key=lambda c: (c.db_version, c.seq, c.table, c.pk, c.cid)
        )
        assert [encode_change(c) for c in listing] == expected["changes"], name
        assert replica.db_version() == expected["db_version"], name
    sites.close()
