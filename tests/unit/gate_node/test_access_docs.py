"""The gate access table in docs/architecture.md says what `ROUTE_RULES` declares."""

from __future__ import annotations

import re
from pathlib import Path

from gate_node.access_rules import ROUTE_RULES, Rule

DOC = Path(__file__).parents[3] / "docs" / "architecture.md"
ROW = re.compile(r"^\| `(\w+)` \| [^|]+ \| (.+) \|$")
PATH = re.compile(r"`(?:[A-Z]+ )?(/[^`]*)`")


def documented_rules() -> dict[str, Rule]:
    section = DOC.read_text().split("## Gate access", 1)[1].split("\n## ", 1)[0]
    found: dict[str, Rule] = {}
    for line in section.splitlines():
        row = ROW.match(line)
        if row is None:
            continue
        for path in PATH.findall(row.group(2)):
            # "/static/*" is the mount; "/sync/pull" may be written after a method once.
            found[path.removesuffix("/*")] = Rule(row.group(1))
    return found


def test_the_architecture_doc_lists_every_gate_route_with_its_rule() -> None:
    documented = documented_rules()
    routes = dict(ROUTE_RULES)
    # The pages are listed together as "the pages": every other path by name.
    pages = {path for path, rule in routes.items() if rule is Rule.PUBLIC and "/api/" not in path}
    for page in pages - set(documented):
        assert page in ("/", "/kiosk", "/handheld", "/dashboard"), page
        routes.pop(page)
    assert documented == routes
