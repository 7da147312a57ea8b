"""The words of each kind of email, as Jinja2 templates in hub/mail/templates.

Each kind has `NAME.txt` (the plain-text body) and `NAME.html` (the same, autoescaped, so a
name like "<b>Co</b>" stays text). Templates fail on an unknown name rather than print
nothing: a typo is a test failure, not a silently empty email.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import jinja2

from hub.local_time import shown

TEMPLATES = Path(__file__).parent / "templates"


@functools.cache
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # The plain-text bodies are not HTML: escaping would print "&amp;" in them.
        autoescape=html,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["moment"] = moment
    return env


def render(kind: str, **context: object) -> tuple[str, str]:
    """The plain-text and HTML bodies of the email `kind`."""
    text = _environment(False).get_template(f"{kind}.txt").render(**context)
    html = _environment(True).get_template(f"{kind}.html").render(**context)
    return text, html


def moment(when: dt.datetime, timezone: str = "UTC") -> str:
    """A moment as the email's reader sees it: the hub's one format, labelled with its zone."""
    return shown(when, timezone)
