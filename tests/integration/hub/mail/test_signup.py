"""Sign-up on a hub that sends email: the address is confirmed first, and the answer never
says whether it already has an account."""

from __future__ import annotations

import asyncio
import re
import uuid

import asyncpg
import httpx

from hub import database
from tests.integration.hub.conftest import PASSWORD
from tests.integration.hub.mail.conftest import MailHub
from tests.integration.hub.mail.smtp_server import Received

CONFIRM = re.compile(r"https?://[^\s\"<>]+/signup/confirm/[A-Za-z0-9_-]+")


def address() -> str:
    return f"newcomer-{uuid.uuid4().hex[:10]}@example.org"


def visitor(mail_hub: MailHub) -> httpx.Client:
    return mail_hub.hub.client(follow_redirects=False)


def sign_up(mail_hub: MailHub, email: str) -> httpx.Response:
    # Name and password are asked on the link's page: sent here, they are ignored.
    return visitor(mail_hub).post(
        "/signup", data={"email": email, "name": "Intruder", "password": "intruder-pass-1"}
    )


def make_account(mail_hub: MailHub, email: str) -> None:
    """An account made the way this hub makes them: through the emailed link."""
    assert sign_up(mail_hub, email).status_code == 200
    (message,) = mail_hub.smtp.wait_for(email)
    path = confirm_path(message)
    made = visitor(mail_hub).post(path, data={"name": "Owner", "password": PASSWORD})
    assert made.status_code == 303, made.text


def confirm_path(message: Received) -> str:
    (link,) = set(CONFIRM.findall(message.body("plain")))
    assert set(CONFIRM.findall(message.body("html"))) == {link}
    return "/" + str(link).split("/", 3)[3]


def signs_in(mail_hub: MailHub, email: str, password: str) -> bool:
    answer = visitor(mail_hub).post("/signin", data={"email": email, "password": password})
    return answer.status_code == 303


def test_the_form_asks_for_the_address_first(mail_hub: MailHub) -> None:
    page = visitor(mail_hub).get("/signup")
    assert "We email you a link to choose your name and password." in page.text
    assert 'name="password"' not in page.text


def test_a_new_and_a_taken_address_get_the_same_answer(mail_hub: MailHub) -> None:
    new, taken = address(), address()
    make_account(mail_hub, taken)
    answers = []
    for email in (new, taken):
        response = sign_up(mail_hub, email)
        answers.append((response.status_code, response.text.replace(email, "ADDRESS")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200
    assert "Check your email" in answers[0][1]
    # Each mailbox learns what is true for it; nobody else does.
    (to_new,) = mail_hub.smtp.wait_for(new)
    to_taken = mail_hub.smtp.wait_for(taken, count=2)[1]
    assert to_new.message["Subject"] == to_taken.message["Subject"] == "Your Voelgoed account"
    assert confirm_path(to_new)
    assert not CONFIRM.search(to_taken.body("plain"))
    assert "It\nalready has one, so nothing was made" in to_taken.body("plain").replace("\r", "")
    assert f"{mail_hub.hub.url}/signin" in to_taken.body("plain")
    # The account that was there is untouched.
    assert signs_in(mail_hub, taken, PASSWORD)
    assert not signs_in(mail_hub, taken, "intruder-pass-1")


def test_the_emailed_link_makes_the_account_once(mail_hub: MailHub) -> None:
    email = address()
    sign_up(mail_hub, email)
    (message,) = mail_hub.smtp.wait_for(email)
    path = confirm_path(message)
    browser = visitor(mail_hub)
    page = browser.get(path)
    assert page.status_code == 200
    assert f'value="{email}" readonly' in page.text
    short = browser.post(path, data={"name": "Nomsa", "password": "short"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    made = browser.post(path, data={"name": "Nomsa", "password": PASSWORD})
    assert made.status_code == 303
    assert made.headers["location"] == "/orgs"
    assert "Nomsa" in browser.get("/orgs").text  # signed in
    again = visitor(mail_hub).get(path)
    assert again.status_code == 410
    assert "This sign-up link has already been used" in again.text
    assert signs_in(mail_hub, email, PASSWORD)


async def _expire_signups(url: str, email: str) -> None:
    conn = await asyncpg.connect(database.asyncpg_dsn(url))
    try:
        await conn.execute(
            "UPDATE signup_request SET expires_at = now() - interval '1 second' WHERE email = $1",
            email,
        )
    finally:
        await conn.close()


def test_an_expired_or_wrong_link_says_so(mail_hub: MailHub) -> None:
    email = address()
    sign_up(mail_hub, email)
    (message,) = mail_hub.smtp.wait_for(email)
    asyncio.run(_expire_signups(mail_hub.hub.database_url, email))
    expired = visitor(mail_hub).post(
        confirm_path(message), data={"name": "Late", "password": PASSWORD}
    )
    assert expired.status_code == 410
    assert "This sign-up link expired on" in expired.text
    assert not signs_in(mail_hub, email, PASSWORD)
    wrong = visitor(mail_hub).get("/signup/confirm/not-a-real-token")
    assert wrong.status_code == 404
    assert "This sign-up link is not valid" in wrong.text


def test_an_address_gets_a_few_emails_an_hour_whoever_asks(mail_hub: MailHub) -> None:
    new, taken = address(), address()
    make_account(mail_hub, taken)  # one sign-up email went to it already
    assert [sign_up(mail_hub, new).status_code for _ in range(3)] == [200] * 3
    assert [sign_up(mail_hub, taken).status_code for _ in range(2)] == [200] * 2
    limited = [(sign_up(mail_hub, e), e) for e in (new, taken)]
    assert [r.status_code for r, _ in limited] == [429, 429]
    new_text, taken_text = (r.text.replace(e, "ADDRESS") for r, e in limited)
    assert new_text == taken_text
    assert "3 sign-up emails went to ADDRESS in the last hour" in new_text
    assert len(mail_hub.smtp.wait_for(new, count=3)) == 3
