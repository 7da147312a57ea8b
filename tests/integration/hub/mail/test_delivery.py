"""Invitation emails through a real SMTP server: what arrives, retries, failures, and two
hub processes sharing one outbox."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from tortoise.transactions import in_transaction

from hub import database
from hub.mail import outbox
from hub.mail.compose import Letter, compose
from hub.models import OutboxMessage
from tests.integration.hub.conftest import PASSWORD, fresh_database, serve_hub
from tests.integration.hub.invites import invite, link_path
from tests.integration.hub.mail.conftest import (
    SENDER,
    MailHub,
    smtp_options,
)
from tests.integration.hub.mail.smtp_server import MailServer, Received, wait_until
from tests.integration.hub.seated_event import ok
from voelgoed.processes import voelgoed_command

LINK = re.compile(r"https?://[^\s\"<>]+/invite/[A-Za-z0-9_-]+")


def address() -> str:
    return f"invitee-{uuid.uuid4().hex[:10]}@example.org"


def link_in(received: Received) -> str:
    text_links = LINK.findall(received.body("plain"))
    html_links = set(LINK.findall(received.body("html")))
    assert len(set(text_links)) == 1, text_links
    assert html_links == set(text_links)
    return str(text_links[0])


def invitation_of(api: httpx.Client, email: str) -> dict[str, Any]:
    (found,) = [i for i in ok(api.get("/api/v1/invitations")) if i["email"] == email]
    return dict(found)


def test_the_invitation_email_arrives_with_a_link_that_works(mail_hub: MailHub) -> None:
    org = mail_hub.make_org("Karoo Theatre")
    to = address()
    made = invite(org.api, to, "event_manager")
    # The hub emails the link: the admin's answer does not carry it.
    assert made["link"] is None
    (received,) = mail_hub.smtp.wait_for(to)
    assert received.mail_from == SENDER
    assert received.rcpt_tos == (to,)
    message = received.message
    assert message["From"] == f"Karoo Theatre via Voelgoed <{SENDER}>"
    assert message["To"] == to
    assert message["Subject"] == "Join Karoo Theatre on Voelgoed"
    sent = email.utils.parsedate_to_datetime(message["Date"])
    assert abs(sent - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert re.fullmatch(r"<[^<>@\s]+@hub\.test>", message["Message-ID"])
    assert message.get_content_type() == "multipart/alternative"
    assert received.content.isascii()  # quoted-printable: no 8BITMIME needed
    assert "as Event manager" in received.body("plain")
    assert "Karoo Theatre" in received.body("html")
    link = link_in(received)
    assert link.startswith(mail_hub.hub.url + "/invite/")

    delivery = wait_until(
        lambda: d if (d := invitation_of(org.api, to)["delivery"])["status"] == "sent" else None,
        10,
        "the delivery to show as sent",
    )
    assert delivery["attempts"] == 1

    # The invitee follows the link, creates an account and is a member with the role.
    browser = mail_hub.hub.client(follow_redirects=False)
    page = browser.get(link_path(link))
    assert page.status_code == 200
    assert "Join Karoo Theatre" in page.text
    joined = browser.post(
        link_path(link) + "/signup", data={"name": "Sipho Dlamini", "password": PASSWORD}
    )
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == f"/o/{org.slug}?n=joined"
    members = {m["email"]: m["role"] for m in ok(org.api.get("/api/v1/members"))}
    assert members[to] == "event_manager"
    assert invitation_of_or_none(org.api, to) is None  # accepted: no longer pending


def invitation_of_or_none(api: httpx.Client, email: str) -> dict[str, Any] | None:
    found = [i for i in ok(api.get("/api/v1/invitations")) if i["email"] == email]
    return found[0] if found else None


def test_names_cannot_add_headers_or_recipients(mail_hub: MailHub) -> None:
    org = mail_hub.make_org("Plain name")
    ok(org.api.patch("/api/v1/org", json={"name": "Evil\r\nBcc: victim@example.org\r\nX: y"}))
    to = address()
    invite(org.api, to, "read_only")
    (received,) = mail_hub.smtp.wait_for(to)
    assert received.rcpt_tos == (to,)
    message = received.message
    assert message["Bcc"] is None
    assert message["X"] is None
    assert message["From"] == f'"Evil Bcc: victim@example.org X: y via Voelgoed" <{SENDER}>'
    assert message["Subject"] == "Join Evil Bcc: victim@example.org X: y on Voelgoed"
    assert not mail_hub.smtp.messages_to("victim@example.org")


def test_delivery_is_retried_while_the_server_is_down_then_succeeds(mail_hub: MailHub) -> None:
    org = mail_hub.make_org("Retry org")
    to = address()
    mail_hub.smtp.stop()
    try:
        invite(org.api, to, "finance")
        retrying = wait_until(
            lambda: (
                d
                if (d := invitation_of(org.api, to)["delivery"])["status"] == "retrying"
                and d["attempts"] >= 2
                else None
            ),
            20,
            "two failed tries",
        )
        assert "could not talk to smtp://127.0.0.1" in retrying["last_error"]
        assert not mail_hub.smtp.messages_to(to)
        # The admin sees it on the team page too.
        admin = sign_in_client(mail_hub, org.admin_email)
        team = admin.get(f"/o/{org.slug}/team")
        assert "not delivered yet" in team.text
    finally:
        mail_hub.smtp.start()
    (received,) = mail_hub.smtp.wait_for(to, timeout=30)
    assert link_in(received)
    done = wait_until(
        lambda: d if (d := invitation_of(org.api, to)["delivery"])["status"] == "sent" else None,
        10,
        "the delivery to show as sent",
    )
    assert done["attempts"] >= 3
    # One message, sent once, however many tries it took.
    assert len(mail_hub.smtp.messages_to(to)) == 1


def sign_in_client(mail_hub: MailHub, email: str) -> httpx.Client:
    client = mail_hub.hub.client(follow_redirects=False)
    response = client.post("/signin", data={"email": email, "password": PASSWORD})
    assert response.status_code == 303, response.text
    return client


def test_a_refused_recipient_fails_visibly_and_can_be_sent_again(mail_hub: MailHub) -> None:
    org = mail_hub.make_org("Refused org")
    to = address()
    mail_hub.smtp.refuse.add(to)
    try:
        invite(org.api, to, "door_staff")
        failed = wait_until(
            lambda: (
                d if (d := invitation_of(org.api, to)["delivery"])["status"] == "failed" else None
            ),
            10,
            "the refusal",
        )
        assert failed["attempts"] == 1  # a 550 is final: no pointless retries
        assert "550" in failed["last_error"]
        assert "no such mailbox here" in failed["last_error"]
        team = sign_in_client(mail_hub, org.admin_email).get(f"/o/{org.slug}/team")
        assert "failed" in team.text
        assert "no such mailbox here" in team.text
        # Operators see it from the command line.
        listed = subprocess.run(
            voelgoed_command(
                "hub",
                "outbox",
                "--database-url",
                mail_hub.hub.database_url,
                "--data",
                str(mail_hub.hub.data_dir),
            ),
            capture_output=True,
            text=True,
            check=True,
        )
        assert f"failed after 1 tries, to {to}" in listed.stdout
        assert "no such mailbox here" in listed.stdout
    finally:
        mail_hub.smtp.refuse.discard(to)
    # The address is fixed on the server's side: the admin sends it again, and it arrives.
    (invitation,) = [i for i in ok(org.api.get("/api/v1/invitations")) if i["email"] == to]
    ok(org.api.post(f"/api/v1/invitations/{invitation['id']}/resend"))
    (received,) = mail_hub.smtp.wait_for(to)
    assert link_in(received)


async def _enqueue_many(url: str, count: int) -> list[str]:
    """`count` messages queued in one transaction (its NOTIFY wakes every hub at once)."""
    now = dt.datetime.now(dt.UTC)
    async with database.connected(url):
        async with in_transaction():
            ids = []
            for i in range(count):
                composed = compose(
                    Letter(
                        to=f"crowd-{i}@example.org",
                        subject=f"Message {i}",
                        text=f"Number {i}",
                        html=f"<p>Number {i}</p>",
                        sender_name="Load test",
                    ),
                    SENDER,
                    now,
                )
                await outbox.enqueue(
                    composed, kind="load-test", sender=SENDER, now=now, org_id=None
                )
                ids.append(composed.message_id)
        return ids


async def _senders(url: str) -> dict[str, int]:
    async with database.connected(url):
        rows = await OutboxMessage.filter(kind="load-test").values_list("sent_by", "status")
    counts: dict[str, int] = {}
    for sent_by, status in rows:
        assert status == "sent", (sent_by, status)
        counts[str(sent_by)] = counts.get(str(sent_by), 0) + 1
    return counts


def test_two_hub_processes_never_send_one_message_twice(
    hub_database_url: str, tmp_path: Path
) -> None:
    slow = MailServer(delay=0.05).start()  # slow enough that both processes are busy at once
    data_a, data_b = tmp_path / "a", tmp_path / "b"
    data_a.mkdir()
    data_b.mkdir()
    with fresh_database(hub_database_url) as url:
        hub_a = serve_hub(url, data_a, *smtp_options(slow))
        hub_b = serve_hub(url, data_b, *smtp_options(slow))
        try:
            _sixty_sent_once_by_both(url, slow)
        finally:
            hub_a.process.stop()
            hub_b.process.stop()
            slow.stop()


def _sixty_sent_once_by_both(url: str, slow: MailServer) -> None:
    message_ids = asyncio.run(_enqueue_many(url, 60))
    wait_until(lambda: True if len(slow.received) >= 60 else None, 60, "60 messages at the server")
    time.sleep(0.5)  # anything sent twice would have arrived by now
    received_ids = [r.message["Message-ID"] for r in slow.received]
    assert sorted(received_ids) == sorted(message_ids)  # each one, exactly once
    senders = asyncio.run(_senders(url))
    assert sum(senders.values()) == 60
    assert len(senders) == 2, senders  # both processes delivered, side by side


def test_a_bad_mail_setting_stops_the_start_with_one_line(
    mail_database_url: str, tmp_path: Path
) -> None:
    for options, message in [
        (["--smtp", "http://smtp.example.org"], "the SMTP URL must start smtp://"),
        (["--smtp", "smtp://u:p@smtp.example.org"], "credentials are sent only over TLS"),
        (["--mail-from", "not an address"], "the sender address cannot be used"),
    ]:
        started = subprocess.run(
            voelgoed_command(
                "hub",
                "serve",
                "--data",
                str(tmp_path),
                "--database-url",
                mail_database_url,
                "--port",
                "9",
                *options,
            ),
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert started.returncode == 2, started.stderr
        assert started.stderr.startswith("voelgoed: error [mail_settings_invalid]: " + message)


async def _statuses_to(url: str, to: str) -> list[str]:
    async with database.connected(url):
        rows = await OutboxMessage.filter(to_address=to).order_by("id").values_list("status")
    return [str(status) for (status,) in rows]


def test_an_email_not_yet_sent_is_not_sent_once_its_link_is_dead(mail_hub: MailHub) -> None:
    org = mail_hub.make_org("Changed mind org")
    resent_to, revoked_to = address(), address()
    mail_hub.smtp.stop()
    try:
        first = invite(org.api, resent_to, "finance")
        again = ok(org.api.post(f"/api/v1/invitations/{first['invitation']['id']}/resend"))
        assert again["invitation"]["delivery"]["status"] == "queued"
        gone = invite(org.api, revoked_to, "finance")
        ok(org.api.post(f"/api/v1/invitations/{gone['invitation']['id']}/revoke"))
    finally:
        mail_hub.smtp.start()
    (received,) = mail_hub.smtp.wait_for(resent_to, timeout=30)
    url = mail_hub.hub.database_url
    # The resent email went; the one it replaced (with the dead link) and the revoked
    # invitation's were withdrawn, not sent.
    assert asyncio.run(_statuses_to(url, resent_to)) == ["cancelled", "sent"]
    assert asyncio.run(_statuses_to(url, revoked_to)) == ["cancelled"]
    time.sleep(1.5)  # past several retry times: nothing else arrives
    assert mail_hub.smtp.messages_to(resent_to) == [received]
    assert not mail_hub.smtp.messages_to(revoked_to)
    page = mail_hub.hub.client().get(link_path(link_in(received)))
    assert page.status_code == 200
