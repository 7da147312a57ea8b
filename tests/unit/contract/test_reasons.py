"""Every list of scan reason codes says what contract/reasons.py declares."""

from __future__ import annotations

import re
from pathlib import Path

from contract.reasons import REASONS
from gate_node.scan_answers import reason_code

ROOT = Path(__file__).parents[3]


def js_object_keys(path: Path, name: str, value_starts: str) -> set[str]:
    """The keys of `const NAME = { ... };` in a static script whose values start with
    `value_starts` (`{` for objects, `"` for words)."""
    text = path.read_text()
    body = text.split(f"const {name} = {{", 1)[1].split("};", 1)[0]
    return set(re.findall(r"([a-z_]+): " + re.escape(value_starts), body))


def test_the_kiosk_result_screen_has_an_outcome_for_every_reason() -> None:
    keys = js_object_keys(ROOT / "kiosk_ui/static/result.js", "OUTCOMES", "{")
    assert keys - {"ok_in", "ok_out"} == set(REASONS)


def test_the_dashboard_names_every_reason() -> None:
    assert js_object_keys(ROOT / "kiosk_ui/static/dashboard.js", "REASON_WORDS", '"') == set(
        REASONS
    )


def test_the_api_doc_lists_every_reason() -> None:
    text = (ROOT / "docs/api.md").read_text()
    listed = text.split("`reason`: null when ok, else one of", 1)[1].split("See architecture", 1)[0]
    assert set(re.findall(r"`([a-z_]+)`", listed)) == set(REASONS)


def test_the_order_of_checks_gives_every_reason() -> None:
    text = (ROOT / "docs/architecture.md").read_text()
    rows = [line for line in text.splitlines() if re.match(r"^\| (\d+b?|—) \|", line)]
    found = {m for line in rows for m in re.findall(r"\| `([a-z_]+)` \|$", line)}
    assert found == set(REASONS)


def test_the_gate_decides_and_reads_back_the_contract_codes() -> None:
    assert [reason_code(r) for r in REASONS] == list(REASONS)
    assert reason_code("no_such_reason") is None
