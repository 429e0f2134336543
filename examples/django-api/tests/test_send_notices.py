"""``manage.py send_notices`` end to end: a real SMTP server (aiosmtpd) on 127.0.0.1 receives the emails, and what it
received — recipients, subjects, the amounts in the bodies — is checked against values worked out by hand.

The store (plan below), as of 9 June 2024 10:00 UTC:

- Ada (ada@example.org) rented Emma on 1 June 10:00, due 8 June 10:00: a day late, the first reminder — 8 days
  (8.00) and 1 late day (0.50): 8.50. She rented Dune on 3 June 10:00 and Persuasion on 3 June 11:00, due 10 June
  10:00 and 11:00: due soon (within 2 days) — 6 days (6.00) and 5 whole days (5.00).
- Carol (no email address) rented Ulysses on 3 June 12:00, due 10 June 12:00: due soon, 5.00.
- Bob (bob@example.org) rented Middlemarch on 1 June 09:00, due 8 June 09:00: 1 day and 1 hour late, the first
  reminder — 8 whole days (8.00) and 1 late day (0.50): 8.50. His hold on Walden, placed on 8 June 09:00 with a copy
  on the shelf, is ready until 11 June 09:00 (3 pickup days).

So 5 notices go out in 4 emails (Ada: overdue, due soon with 2 books; Bob: overdue, hold ready), and Carol is
reported.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import json
import socket
from typing import List, NamedTuple

import koko
import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.core.management.base import CommandError

from bookstore import store as koko_store

PLAN = {
    "currency": "USD",
    "default": {
        "tiers": [{"from_day": 1, "rate": "1.00"}],
        "late_fee": {"loan_days": 7, "per_day": "0.50"},
    },
    "holds": {"pickup_days": 3},
    "notices": {"due_soon_days": 2, "overdue_days": [1, 7]},
}
AT = "2024-06-09T10:00:00Z"
SENDER = "Koko Book Store <books@koko.example>"


def june(day: int, hour: int) -> dt.datetime:
    return dt.datetime(2024, 6, day, hour, tzinfo=dt.timezone.utc)


class Mail(NamedTuple):
    sender: str
    recipients: List[str]
    subject: str
    body: str


class Collector:
    """An aiosmtpd handler keeping every message it accepts; it refuses recipients in ``refuse``."""

    def __init__(self) -> None:
        self.mails: List[Mail] = []
        self.refuse: set = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")  # SMTP's CRLF
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), str(message["Subject"]), body))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """An SMTP server on 127.0.0.1 that Django's SMTP backend sends to; stopped after the test."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # pytest-django swaps in locmem
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.DEFAULT_FROM_EMAIL = SENDER
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def store():
    """The story of the module docstring in a fresh memory store, as the process's store."""
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(PLAN)))
    previous = koko_store.use_store(store)
    book = {t: store.add_book(title=t, author="A", category="regular").id
            for t in ("Emma", "Dune", "Persuasion", "Ulysses", "Middlemarch", "Walden")}
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@example.org").id
    bob = store.register_customer(first_name="Bob", last_name="Babbage", email="bob@example.org").id
    carol = store.register_customer(first_name="Carol", last_name="Shaw").id
    at = june
    store.rent(customer_id=ada, book_id=book["Emma"], at=at(1, 10))
    store.rent(customer_id=ada, book_id=book["Dune"], at=at(3, 10))
    store.rent(customer_id=ada, book_id=book["Persuasion"], at=at(3, 11))
    store.rent(customer_id=carol, book_id=book["Ulysses"], at=at(3, 12))
    store.rent(customer_id=bob, book_id=book["Middlemarch"], at=at(1, 9))
    store.place_hold(customer_id=bob, book_id=book["Walden"], at=at(8, 9))
    yield store
    koko_store.use_store(previous)


def run(*args: str):
    out, err = io.StringIO(), io.StringIO()
    call_command("send_notices", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_one_email_per_customer_and_kind_with_the_amounts(smtp, store):
    out, err = run("--at", AT)
    assert out.splitlines()[-1] == "sent 4 emails for 5 notices; 1 customers without email"
    assert err.splitlines() == ["customer 3 (Carol Shaw) has no email address: 1 notices not sent"]
    assert [(m.sender, m.recipients, m.subject) for m in smtp.mails] == [
        ("books@koko.example", ["ada@example.org"], 'Overdue: "Emma"'),
        ("books@koko.example", ["ada@example.org"], "Due soon: 2 books"),
        ("books@koko.example", ["bob@example.org"], 'Overdue: "Middlemarch"'),
        ("books@koko.example", ["bob@example.org"], 'Ready for you: "Walden"'),
    ]
    ada_overdue, ada_soon, bob_overdue, bob_ready = (m.body for m in smtp.mails)
    assert ada_overdue.startswith("Dear Ada Lovelace,\n")
    assert '- "Emma", due 8 June 2024, 10:00 UTC. Returned today it costs 8.50 USD, late fees included.' in ada_overdue
    assert '- "Dune", due 10 June 2024, 10:00 UTC. So far it costs 6.00 USD.' in ada_soon
    assert '- "Persuasion", due 10 June 2024, 11:00 UTC. So far it costs 5.00 USD.' in ada_soon
    assert '- "Middlemarch", due 8 June 2024, 09:00 UTC. Returned today it costs 8.50 USD' in bob_overdue
    assert '- "Walden", kept for you until 11 June 2024, 09:00 UTC.' in bob_ready
    assert "&quot;" not in ada_overdue  # plain text, not HTML-escaped
    # Sent notices are marked; Carol's is still pending.
    assert [(n.customer_id, n.kind) for n in store.notices(june(9, 10))] == [(3, "due_soon")]


def test_a_second_run_sends_nothing_new_and_reports_the_customer_again(smtp, store):
    run("--at", AT)
    out, err = run("--at", AT)
    assert out.splitlines()[-1] == "sent 0 emails for 0 notices; 1 customers without email"
    assert "customer 3 (Carol Shaw) has no email address" in err
    assert len(smtp.mails) == 4
    # A week later, 16 June 10:00, all four are overdue. Emma and Middlemarch reached the second reminder: Emma
    # 15 days (15.00) and 8 late days (4.00); Middlemarch 15 whole days (15.00), 8 whole late days (4.00). Dune and
    # Persuasion (due soon last time) are now at the first: Dune 13 days (13.00) and 6 late days (3.00); Persuasion
    # 12 whole days (12.00) and 5 whole late days (2.50). Ada gets them in one email.
    out, _ = run("--at", "2024-06-16T10:00:00Z", "--no-expire")
    assert out.splitlines()[-1] == "sent 2 emails for 4 notices; 1 customers without email"
    ada, bob = smtp.mails[4:]
    assert (ada.recipients, ada.subject) == (["ada@example.org"], "Overdue: 3 books (reminder 2)")
    assert [line for line in ada.body.splitlines() if line.startswith("- ")] == [
        '- "Emma", due 8 June 2024, 10:00 UTC. Returned today it costs 19.00 USD, late fees included.',
        '- "Dune", due 10 June 2024, 10:00 UTC. Returned today it costs 16.00 USD, late fees included.',
        '- "Persuasion", due 10 June 2024, 11:00 UTC. Returned today it costs 14.50 USD, late fees included.',
    ]
    assert (bob.recipients, bob.subject) == (["bob@example.org"], 'Overdue: "Middlemarch" (reminder 2)')
    assert "Returned today it costs 19.00 USD" in bob.body


def test_a_customer_without_email_gets_nothing_until_they_have_one(smtp, store):
    run("--at", AT)
    assert all("Ulysses" not in m.body for m in smtp.mails)
    store.update_customer(3, email="carol@example.org")
    out, err = run("--at", AT)
    assert out.splitlines()[-1] == "sent 1 emails for 1 notices; 0 customers without email"
    assert err == ""
    [carol] = smtp.mails[4:]
    assert (carol.recipients, carol.subject) == (["carol@example.org"], 'Due soon: "Ulysses"')
    assert "So far it costs 5.00 USD." in carol.body


def test_a_dry_run_sends_and_marks_nothing(smtp, store):
    out, _ = run("--at", AT, "--dry-run")
    assert "would send to ada@example.org: Due soon: 2 books (2 notices)" in out
    assert out.splitlines()[-1] == "dry run: would send 4 emails for 5 notices; 1 customers without email"
    assert smtp.mails == []
    assert len(store.notices(june(9, 10))) == 6  # the 5 it would send, and Carol's


def test_holds_not_picked_up_are_expired_first_unless_told_not_to(smtp, store):
    # 12 June 10:00: Bob's Walden waited until 11 June 09:00.
    out, _ = run("--at", "2024-06-12T10:00:00Z", "--no-expire", "--dry-run")
    assert 'would send to bob@example.org: Ready for you: "Walden" (1 notices)' in out
    out, _ = run("--at", "2024-06-12T10:00:00Z")
    assert out.splitlines()[0] == "expired 1 holds not picked up by 2024-06-12T10:00:00Z"
    assert all("Walden" not in m.subject for m in smtp.mails)
    assert store.hold(1).status == "expired"


def test_a_refused_email_leaves_its_notices_pending(smtp, store):
    smtp.refuse.add("bob@example.org")
    with pytest.raises(CommandError, match="2 emails were not accepted"):
        run("--at", AT)
    assert {m.recipients[0] for m in smtp.mails} == {"ada@example.org"}
    pending = store.notices(june(9, 10))
    assert sorted({n.customer_id for n in pending}) == [2, 3]  # Bob's two and Carol's
    smtp.refuse.clear()
    out, _ = run("--at", AT)
    assert out.splitlines()[-1] == "sent 2 emails for 2 notices; 1 customers without email"
    assert [m.recipients for m in smtp.mails[2:]] == [["bob@example.org"], ["bob@example.org"]]


def test_bad_arguments_and_an_unreachable_server(settings):
    with pytest.raises(CommandError, match="no timezone offset"):
        run("--at", "2024-06-09T10:00:00")
    with pytest.raises(CommandError, match="not an ISO 8601 time"):
        run("--at", "next tuesday")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens there
    with pytest.raises(CommandError, match="cannot reach the SMTP server 127.0.0.1"):
        run("--at", AT, "--no-expire")


def test_the_server_that_holds_the_store_sends_them_when_asked(smtp, store, api, as_customer, settings):
    """``POST /notices/send/`` runs what the command runs, in the server that holds the store (a sled store serves
    one process): the same emails, the same counts, a dry run that changes nothing."""
    dry = api.post("/notices/send/", {"at": AT, "dry_run": True})
    assert dry.status_code == 200, dry.raw
    assert dry.data["summary"] == "dry run: would send 4 emails for 5 notices; 1 customers without email"
    assert (dry.data["emails"], dry.data["notices"], dry.data["expired"]) == (4, 5, 0)
    assert smtp.mails == []
    sent = api.post("/notices/send/", {"at": AT})
    assert sent.status_code == 200, sent.raw
    assert sent.data["summary"] == "sent 4 emails for 5 notices; 1 customers without email"
    assert sent.data["problems"] == ["customer 3 (Carol Shaw) has no email address: 1 notices not sent"]
    assert sent.data["failures"] == 0 and sent.data["without_email"] == 1
    assert [m.subject for m in smtp.mails] == [
        'Overdue: "Emma"', "Due soon: 2 books", 'Overdue: "Middlemarch"', 'Ready for you: "Walden"']
    assert [(n.customer_id, n.kind) for n in store.notices(june(9, 10))] == [(3, "due_soon")]
    # Only staff may; a naive time is refused; an SMTP server down is a 503 and nothing is marked.
    assert as_customer(1).post("/notices/send/", {"at": AT}).status_code == 403
    naive = api.post("/notices/send/", {"at": "2024-06-09T10:00:00"})
    assert naive.status_code == 400 and "at" in naive.data
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    down = api.post("/notices/send/", {"at": "2024-06-10T10:00:00Z", "no_expire": True})
    assert down.status_code == 503, down.raw
    assert "cannot reach the SMTP server 127.0.0.1" in down.data["detail"]

