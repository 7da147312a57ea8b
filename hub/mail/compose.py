"""Writing one email: a `Letter` in, an RFC 5322 message out. Pure: `now` is passed in.

Header values that come from people (an organisation's name in the sender's display name,
an inviter's name) are sanitised before the standard library builds the headers: control
characters (CR and LF above all) become spaces, so no name can add a header or a
recipient. Addresses are checked here too, once, so that a message that was queued can
always be written out. Bodies are quoted-printable, so the stored message is plain ASCII
with CRLF line ends, ready for any SMTP server (no 8BITMIME needed).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from email import policy, utils
from email.errors import HeaderDefect
from email.headerregistry import Address
from email.message import EmailMessage

from hub.mail.errors import UnusableAddress

MAX_DISPLAY_NAME = 120
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Letter:
    """What a message says and to whom; `compose` turns it into the message."""

    to: str
    subject: str
    text: str
    html: str
    # Shown as the sender: "Karoo Theatre via Voelgoed".
    sender_name: str
    reply_to: str | None = None


@dataclass(frozen=True)
class Composed:
    """A message ready for the outbox: its Message-ID and its full text (ASCII, CRLF)."""

    to: str
    subject: str
    message_id: str
    raw: str


def one_line(text: str, limit: int = 300) -> str:
    """`text` as one header-safe line: control and separator characters become spaces."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    cleaned = _SPACES.sub(" ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def mailbox(address: str, display_name: str = "") -> Address:
    """`address` as a header address; UnusableAddress when no message can go to it.

    The domain may be international (it is written in its ASCII form); the part before the
    @ must be ASCII, since few servers accept anything else.
    """
    local, at, domain = address.strip().rpartition("@")
    if (
        not at
        or not local
        or not domain
        or any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in address.strip())
    ):
        raise UnusableAddress(f"{one_line(address, 80)!r} is not an email address")
    if not local.isascii():
        raise UnusableAddress("the part of the email address before the @ must be plain ASCII")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise UnusableAddress(f"the domain {one_line(domain, 80)!r} is not valid") from None
    try:
        return Address(
            display_name=one_line(display_name, MAX_DISPLAY_NAME),
            addr_spec=f"{local}@{ascii_domain}",
        )
    except (ValueError, HeaderDefect, IndexError) as exc:
        raise UnusableAddress(f"{one_line(address, 80)!r} is not an email address: {exc}") from None


def address_problem(address: str) -> str | None:
    """Why no message can be written to `address`, or None."""
    try:
        mailbox(address)
    except UnusableAddress as exc:
        return str(exc)
    return None


def compose(letter: Letter, sender: str, now: dt.datetime) -> Composed:
    """The message of `letter` from `sender` (the hub's address), dated `now`."""
    sender_box = mailbox(sender, letter.sender_name)
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender_box
    to_box = mailbox(letter.to)
    message["To"] = to_box
    if letter.reply_to:
        message["Reply-To"] = mailbox(letter.reply_to)
    subject = one_line(letter.subject, 200)
    message["Subject"] = subject
    message["Date"] = utils.format_datetime(now.astimezone(dt.UTC))
    message_id = utils.make_msgid(domain=sender_box.domain)
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(letter.text, cte="quoted-printable")
    message.add_alternative(letter.html, subtype="html", cte="quoted-printable")
    raw = message.as_bytes().decode("ascii")
    return Composed(to=to_box.addr_spec, subject=subject, message_id=message_id, raw=raw)
