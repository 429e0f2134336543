"""The notices as background work: several runs at once send each notice once (a real SMTP server, aiosmtpd, counts
the emails), the event consumer sends a hold-ready notice as soon as koko's feed has the event, the thread does it by
itself, and ``POST /notices/send/`` answers 409 while a run holds the lease. Also the lease itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
from collections import Counter

import koko
import pytest
from aiosmtpd.controller import Controller

from bookstore import store as koko_store
from bookstore.workers import lease, notices
from bookstore.workers.thread import Workers

from .test_send_notices import PLAN, Collector, free_port

UTC = dt.timezone.utc
pytestmark = pytest.mark.django_db(transaction=True)  # the runs' threads open database connections of their own


class SlowCollector(Collector):
    """Takes a moment over each email, so that concurrent runs overlap."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp(settings):
    handler = SlowCollector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield handler
    controller.stop()


@pytest.fixture(autouse=True)
def store():
    """Customers with overdue and due-soon rentals now (real time: the workers run at the clock's time)."""
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(PLAN)))
    previous = koko_store.use_store(store)
    now = dt.datetime.now(UTC)
    for n in range(12):
        book = store.add_book(title=f"Book {n}", author="A", category="regular").id
        customer = store.register_customer(first_name=f"C{n}", last_name="L", email=f"c{n}@example.org").id
        store.rent(customer_id=customer, book_id=book, at=now - dt.timedelta(days=8 if n % 2 else 6))
    yield store
    koko_store.use_store(previous)


def expected_emails(store) -> Counter:
    """(recipient, kind) of every email a run would send now."""
    pending = store.notices(dt.datetime.now(UTC))
    return Counter((f"c{store.customer(n.customer_id).first_name[1:]}@example.org", n.kind)
                   for n in {(n.customer_id, n.kind): n for n in pending}.values())


def test_two_concurrent_runs_send_each_notice_once(smtp, store):
    expected = expected_emails(store)
    assert sum(expected.values()) == 12
    barrier = threading.Barrier(2)
    outcomes = []

    def worker():
        barrier.wait()
        for _ in range(30):
            try:
                outcomes.append(notices.run_notices(store, dt.datetime.now(UTC)).emails)
            except notices.NoticesBusy:
                outcomes.append("busy")
            time.sleep(0.005)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "busy" in outcomes  # they did overlap
    assert sum(o for o in outcomes if o != "busy") == 12
    assert len(smtp.mails) == 12
    assert Counter(m.recipients[0] for m in smtp.mails) == Counter(r for r, _ in expected.elements())
    assert store.notices(dt.datetime.now(UTC)) == []


def test_the_event_consumer_sends_a_hold_ready_notice_at_once_and_once(smtp, store):
    notices.scheduled(store, dt.datetime.now(UTC))  # the rentals' notices: sent by the schedule
    sent = len(smtp.mails)
    assert notices.on_events(store, dt.datetime.now(UTC)) is None  # no notice-making event: no run
    last = store.checkpoint("notices")
    assert last == store.events(after=None, limit=1000)[-1].position

    book = store.add_book(title="Walden", author="Thoreau", category="regular").id
    store.place_hold(customer_id=1, book_id=book)  # a copy on the shelf: ready at once (hold.ready)
    run = notices.on_events(store, dt.datetime.now(UTC))
    assert run is not None and run.emails == 1
    assert [m.recipients for m in smtp.mails[sent:]] == [["c0@example.org"]]
    assert "Walden" in smtp.mails[-1].body
    assert store.checkpoint("notices") > last
    assert notices.on_events(store, dt.datetime.now(UTC)) is None  # read already
    assert notices.scheduled(store, dt.datetime.now(UTC)).emails == 0  # sent once
    assert len(smtp.mails) == sent + 1


class CountingStore:
    """A koko store that counts the events its ``events`` calls answer: the work a feed consumer does."""

    def __init__(self, store):
        self.store, self.events_read = store, 0

    def events(self, *args, **kwargs):
        page = self.store.events(*args, **kwargs)
        self.events_read += len(page)
        return page

    def __getattr__(self, name):
        return getattr(self.store, name)


@pytest.mark.parametrize("unrelated", [10, 1000])
def test_the_event_consumer_reads_no_event_it_does_not_act_on(smtp, store, unrelated):
    """Its reads do not grow with the events of other types written since its checkpoint: beside 10 or 1,000
    unrelated events it reads the one hold.ready event, and nothing when there is none."""
    notices.scheduled(store, dt.datetime.now(UTC))
    notices.on_events(store, dt.datetime.now(UTC))
    counting = CountingStore(store)
    for n in range(unrelated):
        store.register_customer(first_name=f"U{n}", last_name="Reader")
    assert notices.on_events(counting, dt.datetime.now(UTC)) is None
    assert counting.events_read == 0
    assert store.checkpoint("notices") == store.last_event_position()
    for n in range(unrelated):
        store.register_customer(first_name=f"V{n}", last_name="Reader")
    book = store.add_book(title="Walden", author="Thoreau", category="regular").id
    store.place_hold(customer_id=1, book_id=book)
    run = notices.on_events(counting, dt.datetime.now(UTC))
    assert run is not None and run.emails == 1
    assert counting.events_read == 1


def test_the_event_consumer_retries_when_the_smtp_server_is_down(settings, store):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    book = store.add_book(title="Walden", author="Thoreau", category="regular").id
    store.place_hold(customer_id=1, book_id=book)
    with pytest.raises(Exception, match="cannot reach the SMTP server"):
        notices.on_events(store, dt.datetime.now(UTC))
    assert store.checkpoint("notices") is None  # read again next time


def test_the_thread_sends_a_ready_hold_promptly(smtp, store, settings):
    settings.KOKO_API_NOTICES_SECONDS = 3600  # the schedule runs once, at the start
    settings.KOKO_API_NOTICE_EVENTS_SECONDS = 1
    workers = Workers(store=lambda: store)
    workers.start()
    try:
        deadline = time.monotonic() + 20
        while len(smtp.mails) < 12 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.mails) == 12
        book = store.add_book(title="Walden", author="Thoreau", category="regular").id
        store.place_hold(customer_id=2, book_id=book)
        placed = time.monotonic()
        while len(smtp.mails) < 13 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(smtp.mails) == 13 and time.monotonic() - placed < 5
        assert smtp.mails[-1].recipients == ["c1@example.org"] and "Walden" in smtp.mails[-1].body
    finally:
        workers.stop()
    assert not workers.thread.is_alive()  # stopped cleanly


def test_a_request_to_send_while_a_run_holds_the_lease_is_a_409(smtp, api):
    with lease.held(notices.LEASE) as token:
        assert token is not None
        answer = api.post("/notices/send/", {})
        assert answer.status_code == 409 and "in progress" in answer.data["detail"]
    assert smtp.mails == []
    assert api.post("/notices/send/", {}).data["emails"] == 12


def test_a_lease_has_one_holder_until_it_expires_or_is_released():
    first = lease.take("job", ttl=60)
    assert first is not None and lease.take("job") is None
    assert lease.renew("job", first) is True
    lease.release("job", first)
    second = lease.take("job", ttl=0.2)
    assert second is not None and lease.renew("job", first) is False
    time.sleep(0.3)
    third = lease.take("job")  # the second holder died: its lease expired
    assert third is not None and lease.renew("job", second) is False
