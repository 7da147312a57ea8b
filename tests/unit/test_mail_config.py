"""Mail settings: SMTP URLs, the sender, and when an undelivered email is tried again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.mail.config import (
    MailSettings,
    SmtpServer,
    default_sender,
    mail_settings,
    parse_smtp_url,
)
from hub.mail.delivery import next_try
from hub.mail.errors import MailSettingsInvalid
from hub.settings import HubSettings


@pytest.mark.parametrize(
    ("url", "server"),
    [
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525)),
        ("smtp://relay.internal", SmtpServer("relay.internal", 25)),
        (
            "smtp+starttls://hub%40example.org:p%40ss%3Aword@smtp.example.org",
            SmtpServer("smtp.example.org", 587, "starttls", "hub@example.org", "p@ss:word"),
        ),
        (
            "smtps://u:p@smtp.example.org:2465",
            SmtpServer("smtp.example.org", 2465, "tls", "u", "p"),
        ),
        ("smtp://u:p@localhost:25", SmtpServer("localhost", 25, "none", "u", "p")),
    ],
)
def test_smtp_urls(url: str, server: SmtpServer) -> None:
    assert parse_smtp_url(url) == server


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://smtp.example.org", "must start smtp://"),
        ("smtp.example.org:25", "must start smtp://"),
        ("smtp://", "names no server"),
        ("smtp://u:p@smtp.example.org", "only over TLS"),
        ("smtp+starttls://user@smtp.example.org", "both a user name and a password"),
        ("smtp://smtp.example.org:99999", "not valid"),
        ("smtp://smtp.example.org/path", "no path or query"),
        ("smtp://smtp.example.org?tls=1", "no path or query"),
    ],
)
def test_bad_smtp_urls_say_why(url: str, problem: str) -> None:
    with pytest.raises(MailSettingsInvalid, match=problem):
        parse_smtp_url(url)


def test_no_credentials_appear_in_the_description() -> None:
    server = parse_smtp_url("smtps://hub:hunter22@smtp.example.org")
    assert server.describe() == "smtps://smtp.example.org:465"


def test_the_default_sender_is_noreply_at_the_public_host() -> None:
    assert default_sender("https://tickets.example.org") == "noreply@tickets.example.org"
    assert default_sender("http://127.0.0.1:8800") == "noreply@localhost"


def test_hub_settings_make_mail_settings(tmp_path: Path) -> None:
    hub = HubSettings(data_dir=tmp_path, public_url="https://tickets.example.org/")
    mail = mail_settings(hub)
    assert (mail.sender, mail.smtp, mail.outbox_dir) == (
        "noreply@tickets.example.org",
        None,
        tmp_path / "outbox",
    )
    assert hub.base_url == "https://tickets.example.org"
    with pytest.raises(MailSettingsInvalid, match="sender address"):
        mail_settings(HubSettings(data_dir=tmp_path, mail_from="not an address"))


SETTINGS = MailSettings(sender="noreply@hub.example", outbox_dir=Path("/tmp/unused"))
QUEUED = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)


def test_retries_wait_twice_as_long_each_time_up_to_an_hour() -> None:
    waits = []
    now = QUEUED
    for attempt in range(1, 10):
        at = next_try(attempt, QUEUED, now, SETTINGS)
        assert at is not None
        waits.append((at - now).total_seconds())
        now = at
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_message_is_given_up_a_day_after_it_was_queued() -> None:
    assert next_try(20, QUEUED, QUEUED + dt.timedelta(hours=22), SETTINGS) is not None
    assert next_try(20, QUEUED, QUEUED + dt.timedelta(hours=23, minutes=30), SETTINGS) is None
