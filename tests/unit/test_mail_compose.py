"""Composing an email: headers people's names cannot break, and a message any server takes."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.mail.compose import Letter, address_problem, compose, one_line
from hub.mail.errors import UnusableAddress

NOW = dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC)


def letter(**changes: str) -> Letter:
    fields = {
        "to": "thandi@example.org",
        "subject": "Join Karoo Theatre on Voelgoed",
        "text": "Open this link: https://hub.example/invite/abc",
        "html": "<p>Open <a href='https://hub.example/invite/abc'>this link</a></p>",
        "sender_name": "Karoo Theatre via Voelgoed",
    }
    fields.update(changes)
    return Letter(**fields)


def parsed(raw: str) -> email.message.EmailMessage:
    message = email.message_from_string(raw, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def test_a_message_has_its_date_id_sender_and_both_bodies() -> None:
    composed = compose(letter(reply_to="admin@karoo.example"), "noreply@hub.example", NOW)
    message = parsed(composed.raw)
    assert message["From"] == "Karoo Theatre via Voelgoed <noreply@hub.example>"
    assert message["To"] == "thandi@example.org"
    assert message["Reply-To"] == "admin@karoo.example"
    assert email.utils.parsedate_to_datetime(message["Date"]) == NOW
    assert message["Message-ID"] == composed.message_id
    assert composed.message_id.endswith("@hub.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None
    assert html is not None
    assert "https://hub.example/invite/abc" in plain.get_content()
    assert "<a href='https://hub.example/invite/abc'>" in html.get_content()
    assert composed.raw.isascii()
    assert "\r\n" in composed.raw
    assert "\n" not in composed.raw.replace("\r\n", "")


def test_every_message_gets_its_own_id() -> None:
    ids = {compose(letter(), "noreply@hub.example", NOW).message_id for _ in range(50)}
    assert len(ids) == 50


def test_line_breaks_in_names_and_subjects_add_no_header() -> None:
    composed = compose(
        letter(
            sender_name="Evil\r\nBcc: victim@example.org",
            subject="Hi\nX-Injected: yes",
        ),
        "noreply@hub.example",
        NOW,
    )
    message = parsed(composed.raw)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message["From"] == '"Evil Bcc: victim@example.org" <noreply@hub.example>'
    assert message["Subject"] == "Hi X-Injected: yes"


@given(name=st.text(max_size=150), subject=st.text(max_size=150))
def test_any_name_or_subject_gives_one_sender_and_no_extra_header(name: str, subject: str) -> None:
    composed = compose(letter(sender_name=name, subject=subject or "x"), "noreply@hub.example", NOW)
    message = parsed(composed.raw)
    assert sorted(message.keys()) == sorted(
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "Auto-Submitted",
            "MIME-Version",
            "Content-Type",
        ]
    )
    assert message["From"].addresses[0].addr_spec == "noreply@hub.example"
    # Long international names are folded into several encoded words, and Python's parser
    # may put a space where two meet: the words themselves come back unchanged.
    shown = message["From"].addresses[0].display_name
    assert "".join(shown.split()) == "".join(one_line(name, 120).split())
    assert "".join(message["Subject"].split()) == "".join(one_line(subject or "x", 200).split())


def test_international_names_and_domains_are_encoded() -> None:
    composed = compose(
        letter(sender_name="Kärö Teater", to="ouma@bürger.example"), "noreply@hub.example", NOW
    )
    assert composed.raw.isascii()
    message = parsed(composed.raw)
    assert message["From"].addresses[0].display_name == "Kärö Teater"
    assert message["To"] == "ouma@xn--brger-kva.example"
    assert composed.to == "ouma@xn--brger-kva.example"


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("no-at-sign.example.org", "is not an email address"),
        ("two words@example.org", "is not an email address"),
        ("nul\x00@example.org", "is not an email address"),
        ("line\r\nbreak@example.org", "is not an email address"),
        ("jö@example.org", "must be plain ASCII"),
        ("@example.org", "is not an email address"),
        ("someone@", "is not an email address"),
    ],
)
def test_addresses_no_message_can_reach_are_named(address: str, problem: str) -> None:
    found = address_problem(address)
    assert found is not None
    assert problem in found
    with pytest.raises(UnusableAddress):
        compose(letter(to=address), "noreply@hub.example", NOW)


def test_good_addresses_have_no_problem() -> None:
    for address in ("a@example.org", "first.last+tag@sub.example.co.za", "x@bürger.example"):
        assert address_problem(address) is None
