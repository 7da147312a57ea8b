"""The `voelgoed` command as a tech uses it: real files, real processes."""

from __future__ import annotations

import argparse
import csv
import subprocess
from pathlib import Path

import pytest

from contract.event_package import read_package
from gate_node import replica
from voelgoed.cli import build_parser
from voelgoed.processes import voelgoed_command


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        voelgoed_command(*args), check=False, capture_output=True, text=True, timeout=120
    )


def test_demo_package_and_its_ticket_list(tmp_path: Path) -> None:
    out = tmp_path / "night.vgpkg"
    result = run("event-package", "demo", "--tickets", "120", "--out", str(out))
    assert result.returncode == 0, result.stderr
    package = read_package(out)
    assert len(package.tickets) == 120
    names = {t.name for t in package.ticket_types}
    assert names == {"General admission", "Weekend pass", "VIP", "Seated"}
    assert any(t.entry_mode == "multi" for t in package.ticket_types)
    assert any(t.gates == ["vip"] for t in package.ticket_types)
    assert len(package.revocations) >= 2
    with (tmp_path / "night.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 120
    assert set(rows[0]) >= {"ticket_id", "ticket_type", "holder", "qr"}
    assert {r["ticket_id"] for r in rows} == {str(t.id) for t in package.tickets}
    assert all(r["qr"].startswith("VG1:") and len(r["qr"]) <= 200 for r in rows)

    inspect = run("event-package", "inspect", str(out))
    assert inspect.returncode == 0
    assert "tickets     120" in inspect.stdout


def test_load_package_into_a_gate_data_folder(tmp_path: Path) -> None:
    pkg = tmp_path / "a.vgpkg"
    assert run("event-package", "demo", "--tickets", "30", "--out", str(pkg)).returncode == 0
    loaded = run("gate", "load-package", "--data", str(tmp_path / "gate"), str(pkg))
    assert loaded.returncode == 0, loaded.stderr
    conn = replica.open_replica(tmp_path / "gate")
    assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 30
    conn.close()

    # A second event cannot be loaded into the same replica, and says why.
    other = tmp_path / "b.vgpkg"
    run("event-package", "demo", "--tickets", "30", "--out", str(other), "--seed", "8")
    refused = run("gate", "load-package", "--data", str(tmp_path / "gate"), str(other))
    assert refused.returncode == 2
    assert "replica_mismatch" in refused.stderr


@pytest.mark.parametrize("content", [b"", b"garbage", b"\x1f\x8b\x08\x00broken"])
def test_bad_package_file_is_refused_with_a_reason(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.vgpkg"
    bad.write_bytes(content)
    result = run("gate", "load-package", "--data", str(tmp_path / "gate"), str(bad))
    assert result.returncode == 2
    assert "event_package_invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_package_file_is_refused(tmp_path: Path) -> None:
    result = run("event-package", "inspect", str(tmp_path / "nope.vgpkg"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr


def _commands(
    parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()
) -> list[tuple[str, ...]]:
    found = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _commands(sub, (*prefix, name))
    return found


def test_every_command_is_documented() -> None:
    documented = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()
    for command in _commands(build_parser())[1:]:
        assert f"voelgoed {' '.join(command)}" in documented, command


def test_every_command_has_help() -> None:
    commands = _commands(build_parser())
    assert ("gate", "serve") in commands
    assert ("event-package", "demo") in commands
    for command in commands:
        result = run(*command, "--help")
        assert result.returncode == 0
        assert "usage: voelgoed" in result.stdout
