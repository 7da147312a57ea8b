"""The audited actions are declared once (hub.services.audit.ACTIONS), each is documented
in docs/hub-api.md, and every literal action the hub records is one of them."""

from __future__ import annotations

import ast
import datetime as dt
import re
import uuid
from pathlib import Path

import pytest

from hub.roles import Role
from hub.services import audit
from hub.tenancy import Principal

ROOT = Path(__file__).resolve().parents[3]
DOC = ROOT / "docs" / "hub-api.md"


def recorded_literals() -> set[str]:
    """Every action written as a string literal in a call of `audit.record`."""
    found = set()
    for path in (ROOT / "hub").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "record"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "audit"
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
            ):
                found.add(str(node.args[1].value))
    return found


def test_every_recorded_action_is_declared() -> None:
    literals = recorded_literals()
    assert {"venue.created", "event.deleted", "api_key.revoked"} <= literals
    assert literals - set(audit.ACTIONS) == set()


def test_every_declared_action_is_documented() -> None:
    documented = set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", DOC.read_text(), re.MULTILINE))
    assert set(audit.ACTIONS) - documented == set(), "list these in docs/hub-api.md"
    assert documented - set(audit.ACTIONS) == set(), "docs/hub-api.md lists unknown actions"


def test_an_undeclared_action_is_refused_before_anything_is_written() -> None:
    principal = Principal(uuid.uuid4(), "org", Role.ADMIN)
    recording = audit.record(principal, "venue.renamed", "venue X", dt.datetime.now(dt.UTC))
    # Its first step raises, before any query: no event loop or database is needed.
    with pytest.raises(ValueError, match="undeclared audit action"):
        recording.send(None)
