"""The event feed from Python: ``store.events``, the ``Event`` record, consumers' checkpoints and pruning, on memory
and sled. The events of every operation, and their payloads, are core's conformance test
(core/tests/events_conformance.rs); here: what the binding converts, and a short story worked out by hand.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

import koko
from conftest import store_on, utc

T0 = utc(2026, 3, 2, 10)


@pytest.fixture(params=["memory", "sled"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[koko.BookStore]:
    yield from store_on(request.param, tmp_path)


def story(store: koko.BookStore) -> int:
    """Story 3's plan is published when the store is made (position 1). A fiction book (2), a customer (3), a
    rental on day 0 (4), returned after 4 days at 3.00 a day: 12.00 (rental.closed 5, its charge posted 6).
    Answers the rental's id."""
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=T0)
    store.return_rental(rental_id=rental.id, at=T0 + timedelta(days=4))
    return rental.id


def test_the_feed_tells_the_story_in_order(shop: koko.BookStore) -> None:
    rental_id = story(shop)
    events = shop.events()
    assert [(e.position, e.type) for e in events] == [
        (1, "plan.published"),
        (2, "book.added"),
        (3, "customer.registered"),
        (4, "rental.opened"),
        (5, "rental.closed"),
        (6, "ledger.posted"),
    ]
    assert [e.id for e in events][:2] == ["evt_00000000000000000001", "evt_00000000000000000002"]
    opened, closed, posted = events[3], events[4], events[5]
    assert opened.at == T0 and opened.at.tzinfo is not None
    assert opened.subjects["rental"] == rental_id
    assert closed.at == T0 + timedelta(days=4)
    assert closed.data["v"] == 1
    assert closed.data["charge"]["total"] == "12.00"
    assert closed.data["lost"] is False
    assert (posted.data["kind"], posted.data["amount"], posted.data["balance_after"]) == ("charge", "12.00", "12.00")
    # The payload is a fresh dict on each read: changing one changes nothing stored.
    closed.data["charge"] = None
    assert shop.events(after=4, limit=1)[0].data["charge"]["total"] == "12.00"
    assert '"total":"12.00"' in closed.data_json


def test_after_limit_and_types_page_the_feed(shop: koko.BookStore) -> None:
    story(shop)
    assert [e.position for e in shop.events(after=2, limit=2)] == [3, 4]
    assert shop.events(after=6) == []
    assert [e.type for e in shop.events(types="ledger.posted")] == ["ledger.posted"]
    assert [e.position for e in shop.events(types=["rental.closed", "book.added"])] == [2, 5]
    assert [e.position for e in shop.events(after=2, types=("rental.opened", "rental.closed"), limit=1)] == [4]


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"types": ["rental.opend"]}, "types"),
        ({"types": "nope"}, "types"),
        ({"types": []}, "types"),
        ({"types": [7]}, "types"),
        ({"limit": 0}, "limit"),
        ({"limit": 1001}, "limit"),
        ({"limit": True}, "limit"),
        ({"after": -1}, "after"),
        ({"after": "3"}, "after"),
        ({"after": 1.5}, "after"),
    ],
)
def test_bad_arguments_name_the_field(store: koko.BookStore, kwargs: dict, field: str) -> None:
    with pytest.raises(koko.InvalidInput) as raised:
        store.events(**kwargs)
    assert raised.value.field == field


def test_a_refused_operation_appends_nothing(shop: koko.BookStore) -> None:
    story(shop)
    with pytest.raises(koko.NotFound):
        shop.rent(customer_id=999, book_id=1, at=T0)
    with pytest.raises(koko.InvalidInput):
        shop.add_book(title=" ", author="Nobody", category="fiction")
    assert [e.position for e in shop.events()][-1] == 6


def test_a_replayed_write_appends_nothing_new(shop: koko.BookStore) -> None:
    first = shop.register_customer(first_name="Bo", last_name="Li", idempotency_key="reg-1")
    again = shop.register_customer(first_name="Bo", last_name="Li", idempotency_key="reg-1")
    assert first == again
    assert [e.type for e in shop.events()] == ["plan.published", "customer.registered"]


def test_checkpoints_hold_back_pruning(shop: koko.BookStore) -> None:
    story(shop)
    assert shop.checkpoint("mailer") is None
    assert shop.set_checkpoint("mailer", 3) == 3
    assert shop.set_checkpoint("ledger-sync", 5) == 5
    assert shop.checkpoint("mailer") == 3
    assert shop.checkpoints() == {"ledger-sync": 5, "mailer": 3}
    # The mailer has handled up to 3: events from 4 on must stay.
    with pytest.raises(koko.InvalidInput) as raised:
        shop.prune_events(before=5)
    assert raised.value.field == "before"
    assert shop.prune_events(before=4) == 3
    assert [e.position for e in shop.events()] == [4, 5, 6]
    with pytest.raises(koko.InvalidInput) as past:
        shop.set_checkpoint("mailer", 7)
    assert past.value.field == "position"
    with pytest.raises(koko.InvalidInput) as bad:
        shop.set_checkpoint("mailer", -1)
    assert bad.value.field == "position"
    with pytest.raises(koko.InvalidInput) as name:
        shop.checkpoint(3)
    assert name.value.field == "name"
    # A consumer that is gone is forgotten and holds back nothing more.
    assert shop.last_event_position() == 6
    assert shop.remove_checkpoint("mailer") == 3
    assert shop.remove_checkpoint("mailer") is None
    assert shop.checkpoints() == {"ledger-sync": 5}
    assert shop.prune_events(before=6) == 2
    assert shop.last_event_position() == 6


def test_a_cursor_past_the_end_is_refused(shop: koko.BookStore) -> None:
    story(shop)
    assert shop.events(after=6) == []
    with pytest.raises(koko.InvalidInput) as raised:
        shop.events(after=7)
    assert raised.value.field == "after"


def test_the_feed_survives_reopening_a_sled_store(tmp_path: Path) -> None:
    with koko.BookStore.open(tmp_path / "store") as store:
        story(store)
        store.set_checkpoint("mailer", 4)
    with koko.BookStore.open(tmp_path / "store") as again:
        assert [e.position for e in again.events()] == [1, 2, 3, 4, 5, 6]
        assert again.checkpoint("mailer") == 4
        again.add_book(title="Emma", author="Jane Austen", category="novel")
        assert again.events(after=6)[0].type == "book.added"
        assert again.events(after=6)[0].position == 7


def test_events_are_values(store: koko.BookStore) -> None:
    store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    first, second = store.events(), store.events()
    assert first == second and hash(first[1]) == hash(second[1])
    assert repr(first[1]).startswith('Event(position=2, id="evt_00000000000000000002", type="book.added", at="')
    assert isinstance(first[1].data["book"]["id"], int)
    assert not isinstance(first[1].data["v"], Decimal)
