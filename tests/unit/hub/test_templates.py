"""The organiser pages print every moment through the one `local` filter.

A template that printed `{{ entry.at }}` would show "2031-03-01 16:00:00+00:00", in UTC
and unlabelled, beside pages that show "Sat 01 Mar 2031, 18:00 SAST". The moments a page
can print are the datetime fields of the structs the services return (hub/schemas.py),
and the render context's `now`.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import typing
from pathlib import Path

import msgspec

from hub import schemas
from hub.web.templating import TEMPLATES_DIR

HUB = Path(schemas.__file__).parent
PRINTED = re.compile(r"{{(.*?)}}", re.DOTALL)
STRINGS = re.compile(r'"[^"]*"|\'[^\']*\'')


def _holds_datetime(annotation: object) -> bool:
    if annotation is dt.datetime:
        return True
    return any(_holds_datetime(arg) for arg in typing.get_args(annotation))


def datetime_fields() -> set[str]:
    """Every field of the hub's structs that holds a moment."""
    names = set()
    for _, struct in inspect.getmembers(schemas, inspect.isclass):
        if issubclass(struct, msgspec.Struct) and struct.__module__ == schemas.__name__:
            hints = typing.get_type_hints(struct, include_extras=True)
            names |= {name for name, hint in hints.items() if _holds_datetime(hint)}
    return names


def unformatted(expression: str, fields: set[str]) -> list[str]:
    """The moments `expression` prints without the `local` or `local_input` filter."""
    moment = re.compile(
        r"(?:\.(?:" + "|".join(sorted(fields)) + r")|\bnow)\b(?!\s*\|\s*local(?:_input)?\()"
    )
    code = STRINGS.sub('""', expression)  # words in quoted text are not names
    return [m.group(0) for m in moment.finditer(code)]


def test_the_fields_found_are_the_moments_the_pages_show() -> None:
    # If this shrinks, the check below would pass for the wrong reason.
    assert datetime_fields() >= {"at", "created_at", "last_used_at", "starts_at", "issued_at"}


def test_the_check_catches_a_raw_moment() -> None:
    fields = datetime_fields()
    assert unformatted(" e.at ", fields) == [".at"]
    assert unformatted(" k.last_used_at if k.last_used_at else 'never' ", fields)
    assert unformatted(" now ", fields) == ["now"]
    assert unformatted(" e.at|local(org) ", fields) == []
    kept = " m.input('date', 'starts_at', default=s.starts_at|local_input(event)) "
    assert unformatted(kept, fields) == []
    assert unformatted(" e.attendees ", fields) == []
    assert unformatted(" 'it is now ' ~ now|local(org) ", fields) == []
    assert unformatted(" 'at ' ~ now ", fields) == ["now"]


def test_every_printed_moment_goes_through_the_local_filter() -> None:
    fields = datetime_fields()
    raw = [
        f"{template.name}: {{{{{expression.strip()}}}}}"
        for template in sorted(TEMPLATES_DIR.glob("*.html"))
        for expression in PRINTED.findall(template.read_text())
        if unformatted(expression, fields)
    ]
    assert not raw, "print these with |local(event) or |local(org):\n" + "\n".join(raw)


def test_no_page_or_message_formats_time_by_itself() -> None:
    # One format: hub/local_time.py. (ISO 8601 for machines, in the API and the event
    # package, is not for people and is allowed.)
    ad_hoc = re.compile(r"strftime|:%[a-zA-Z]|%H:%M")
    found = [
        f"{path.relative_to(HUB)}:{number}: {line.strip()}"
        for path in sorted([*HUB.rglob("*.py"), *TEMPLATES_DIR.glob("*.html")])
        if path.name != "local_time.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if ad_hoc.search(line)
    ]
    assert not found, "use hub.local_time.shown (the `local` filter in templates):\n" + "\n".join(
        found
    )
