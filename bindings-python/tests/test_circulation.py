"""Holds, lost and found copies and damage fees from Python: the arguments the binding converts (each bad one an
``InvalidInput`` naming it, nothing changed), retries under idempotency keys, batches and the records' Python
behaviour. The circulation and notices stories themselves are rule scenarios (core/tests/scenarios/circulation.json
and notices.json), run from Python by tests/test_scenarios.py on memory and sled.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from typing import Callable, Tuple

import pytest

import koko
from conftest import utc

# Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewable twice; a lost copy costs 20.00 plus 5.00
# processing, the 20.00 credited back when found. Novel: 1.50 a day, due after 14 days, 0.25 a late day; a lost
# copy costs 15.00, not credited when found. A copy set aside waits 3 days; at most 2 holds per customer.
CIRCULATION_PLAN = {
    "currency": "USD",
    "categories": {
        "regular": {
            "tiers": [{"from_day": 1, "rate": "1.00"}],
            "late_fee": {"loan_days": 7, "per_day": "0.50"},
            "renewals": {"max": 2},
            "replacement": {"fee": "20.00", "processing_fee": "5.00", "refund_when_found": True},
        },
        "novel": {
            "tiers": [{"from_day": 1, "rate": "1.50"}],
            "late_fee": {"loan_days": 14, "per_day": "0.25"},
            "replacement": {"fee": "15.00"},
        },
    },
    "holds": {"pickup_days": 3},
    "limits": {"max_holds": 2},
}

# 1.00 a day, due after 7 days, 0.50 a late day, renewable once; remind 2 days before, then 1, 7 and 14 days late.
NOTICES_PLAN = {
    "currency": "USD",
    "default": {
        "tiers": [{"from_day": 1, "rate": "1.00"}],
        "late_fee": {"loan_days": 7, "per_day": "0.50"},
        "renewals": {"max": 1},
    },
    "notices": {"due_soon_days": 2, "overdue_days": [1, 7, 14]},
}


def t(day: int, hour: int) -> datetime:
    return utc(2024, 6, day, hour)


def plan(document: dict) -> koko.PricePlan:
    return koko.PricePlan.from_json(json.dumps(document))


def refused(call: Callable[[], object]) -> Tuple[str, str]:
    """The kind and field (a ``Blocked`` error's rule) of the error ``call`` raises."""
    with pytest.raises(koko.KokoError) as raised:
        call()
    return raised.value.kind, raised.value.field or ""


# --- arguments ---------------------------------------------------------------------------------------------------


@pytest.fixture
def shop() -> Tuple[koko.BookStore, int, int, int]:
    """A circulation store with Ulysses (one regular copy) rented by Ada on 1 June; Bob has no rental."""
    store = koko.BookStore.memory(plan=plan(CIRCULATION_PLAN))
    book = store.add_book(title="Ulysses", author="A", category="regular").id
    ada = store.register_customer(first_name="Ada", last_name="Reader").id
    bob = store.register_customer(first_name="Bob", last_name="Reader").id
    rental = store.rent(customer_id=ada, book_id=book, at=t(1, 10)).id
    return store, book, bob, rental


NAIVE = datetime(2024, 6, 2, 10)


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=b, at=NAIVE), "at"),
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=str(b)), "book_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=0, book_id=b), "customer_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=True, book_id=b), "customer_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=b, idempotency_key=""), "idempotency_key"),
        (lambda s, b, c, r: s.cancel_hold(-1), "hold_id"),
        (lambda s, b, c, r: s.cancel_hold(1.0), "hold_id"),
        (lambda s, b, c, r: s.hold("1"), "hold_id"),
        (lambda s, b, c, r: s.holds(None), "book_id"),
        (lambda s, b, c, r: s.customer_holds(2**64), "customer_id"),
        (lambda s, b, c, r: s.expire_holds(NAIVE), "at"),
        (lambda s, b, c, r: s.expire_holds("2024-06-02T10:00:00Z"), "at"),
        (lambda s, b, c, r: s.declare_lost(rental_id=r, at=NAIVE), "at"),
        (lambda s, b, c, r: s.declare_lost(rental_id=r, at=utc(2024, 5, 31)), "at"),
        (lambda s, b, c, r: s.mark_found(copy_id=0), "copy_id"),
        (lambda s, b, c, r: s.mark_found(copy_id=1), "copy"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee=3.0, note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="3.00"), "note"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="-1", note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="1.005", note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="3", note=3), "note"),
        (lambda s, b, c, r: s.notices(NAIVE), "at"),
        (lambda s, b, c, r: s.mark_notified("hold_ready:0:hold:1"), "keys"),
        (lambda s, b, c, r: s.mark_notified([1]), "keys"),
        (lambda s, b, c, r: s.mark_notified(["x" * 256]), "keys"),
        (lambda s, b, c, r: s.mark_notified(["k"], at=NAIVE), "at"),
    ],
)
def test_bad_arguments_are_invalid_input_and_change_nothing(
    shop: Tuple[koko.BookStore, int, int, int], call: Callable[..., object], field: str
) -> None:
    store, book, bob, rental = shop
    before = (store.rentals(), store.copies(book), store.customer_holds(bob), store.account(1), store.notices(t(2, 10)))
    with pytest.raises(koko.InvalidInput) as bad:
        call(store, book, bob, rental)
    assert bad.value.field == field, bad.value
    assert isinstance(bad.value, ValueError)
    after = (store.rentals(), store.copies(book), store.customer_holds(bob), store.account(1), store.notices(t(2, 10)))
    assert after == before


def test_unknown_ids_are_not_found(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, _ = shop
    for call, entity in [
        (lambda: store.hold(9), "hold"),
        (lambda: store.cancel_hold(9, at=t(2, 10)), "hold"),
        (lambda: store.holds(9), "book"),
        (lambda: store.customer_holds(9), "customer"),
        (lambda: store.place_hold(customer_id=9, book_id=book, at=t(2, 10)), "customer"),
        (lambda: store.place_hold(customer_id=bob, book_id=9, at=t(2, 10)), "book"),
        (lambda: store.declare_lost(rental_id=9, at=t(2, 10)), "rental"),
        (lambda: store.mark_found(copy_id=9, at=t(2, 10)), "copy"),
    ]:
        with pytest.raises(koko.NotFound) as missing:
            call()
        assert str(missing.value).startswith(entity + " "), missing.value


# --- idempotency keys --------------------------------------------------------------------------------------------


def test_a_retried_place_hold_answers_the_same_hold(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, _ = shop
    first = store.place_hold(customer_id=bob, book_id=book, at=t(2, 10), idempotency_key="hold-1")
    assert (first.id, first.status, first.position) == (1, "waiting", 1)
    assert store.place_hold(customer_id=bob, book_id=book, at=t(2, 10), idempotency_key="hold-1") == first
    assert store.customer_holds(bob) == [first]
    # "Now" is the same request a moment later; another book or time under the key is not.
    now = store.place_hold(customer_id=1, book_id=book, idempotency_key="hold-now")
    assert store.place_hold(customer_id=1, book_id=book, idempotency_key="hold-now") == now
    assert refused(
        lambda: store.place_hold(customer_id=bob, book_id=book, at=t(2, 11), idempotency_key="hold-1")
    ) == ("Duplicate", "idempotency_key")


def test_a_retried_declare_lost_charges_once(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, _, _, rental = shop
    # 1 June 10:00 to 10 June 10:00: 9 days (9.00), 2 days late (1.00), plus 20.00 and 5.00.
    first = store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="lost-1")
    assert (first.charge.total, first.balance) == (Decimal("10.00"), Decimal("35.00"))
    store.pay(customer_id=1, amount="35.00")
    again = store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="lost-1")
    assert again == first  # the first receipt, with the balance as it was then
    assert [(e.kind, e.amount) for e in store.account(1).entries] == [
        ("charge", Decimal("10.00")),
        ("fee", Decimal("20.00")),
        ("fee", Decimal("5.00")),
        ("payment", Decimal("35.00")),
    ]
    assert refused(lambda: store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="other")) == (
        "AlreadyReturned",
        "",
    )


def test_a_retried_damaged_return_and_found_copy(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, _, rental = shop
    # 2 days (2.00) and a 4.50 damage fee, written as an int and a str alike.
    first = store.return_rental(rental_id=rental, at=t(3, 10), damage_fee="4.50", note="wet", idempotency_key="r-1")
    assert (first.charge.total, first.balance) == (Decimal("2.00"), Decimal("6.50"))
    again = store.return_rental(
        rental_id=rental, at=t(3, 10), damage_fee=Decimal("4.5"), note="wet", idempotency_key="r-1"
    )
    assert again == first
    other = store.rent(customer_id=1, book_id=book, at=t(4, 10))
    store.declare_lost(rental_id=other.id, at=t(5, 10))
    found = store.mark_found(copy_id=other.copy_id, at=t(6, 10), idempotency_key="found-1")
    assert found.credit is not None and found.credit.amount == Decimal("20.00")
    assert store.mark_found(copy_id=other.copy_id, at=t(6, 10), idempotency_key="found-1") == found
    assert [e.kind for e in store.account(1).entries].count("waiver") == 1


# --- batches -----------------------------------------------------------------------------------------------------


def test_circulation_in_a_batch(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, rental = shop
    batch = koko.Batch()
    batch.place_hold(customer_id=bob, book_id=book, at=t(2, 10))
    batch.declare_lost(rental_id=rental, at=t(3, 10))
    batch.mark_found(copy_id=1, at=t(4, 10))
    batch.expire_holds(at=t(8, 10))
    batch.cancel_hold(1, at=t(8, 11))
    batch.mark_found(copy_id=1, at=t(8, 12))
    hold, lost, found, expired, cancelled, again = store.apply_batch(batch)
    assert isinstance(hold, koko.Hold) and (hold.id, hold.status) == (1, "waiting")
    # 2 days (2.00), then 20.00 and 5.00: the receipt's balance is after the fees.
    assert isinstance(lost, koko.Receipt) and (lost.charge.total, lost.balance) == (Decimal("2.00"), Decimal("27.00"))
    # Found on 4 June: set aside for Bob until 7 June 10:00, and the 20.00 credited back.
    assert isinstance(found, koko.Found) and found.copy.status == "on_hold"
    assert found.credit is not None and found.credit.balance_after == Decimal("7.00")
    assert isinstance(expired, list) and [(h.id, h.status) for h in expired] == [(1, "expired")]
    assert isinstance(cancelled, koko.InvalidInput) and cancelled.field == "hold"
    assert isinstance(again, koko.InvalidInput) and again.field == "copy"
    assert len(batch) == 6 and "place_hold" in repr(batch)


def test_a_damaged_return_in_a_batch_answers_the_balance_after_the_fee(
    shop: Tuple[koko.BookStore, int, int, int],
) -> None:
    store, _, _, rental = shop
    batch = koko.Batch()
    batch.return_rental(rental_id=rental, at=t(3, 10), damage_fee=2, note="coffee stain")
    with pytest.raises(koko.InvalidInput) as bad:
        batch.return_rental(rental_id=rental, at=t(3, 10), damage_fee=2.5, note="stain")
    assert bad.value.field == "damage_fee"
    [receipt] = store.apply_batch(batch)
    assert isinstance(receipt, koko.Receipt)
    assert (receipt.charge.total, receipt.balance) == (Decimal("2.00"), Decimal("4.00"))


def test_a_copy_added_for_a_waiting_hold_is_ready_from_the_store_clock() -> None:
    store = koko.BookStore.memory(plan=plan(CIRCULATION_PLAN))
    book = store.add_book(title="Ulysses", author="A", category="regular").id
    ada = store.register_customer(first_name="Ada", last_name="Reader").id
    bob = store.register_customer(first_name="Bob", last_name="Reader").id
    store.rent(customer_id=ada, book_id=book)
    hold = store.place_hold(customer_id=bob, book_id=book)
    before = datetime.now(timezone.utc)
    [added] = store.add_copies(book, 1, idempotency_key="copies-1")
    after = datetime.now(timezone.utc)
    assert added.status == "on_hold"
    ready = store.hold(hold.id)
    assert ready.status == "ready" and ready.ready_until is not None
    # Three pickup days from now.
    assert before.timestamp() + 3 * 86400 - 1 <= ready.ready_until.timestamp() <= after.timestamp() + 3 * 86400 + 1
    assert store.add_copies(book, 1, idempotency_key="copies-1") == [added]  # a retry a moment later


# --- records -----------------------------------------------------------------------------------------------------


def test_records_repr_and_equality(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, rental = shop
    hold = store.place_hold(customer_id=bob, book_id=book, at=t(2, 10))
    assert repr(hold) == (
        'Hold(id=1, book_id=1, customer_id=2, placed_at="2024-06-02T10:00:00+00:00", status="waiting", '
        "copy_id=None, ready_until=None, closed_at=None, rental_id=None, position=1)"
    )
    assert hold == store.hold(hold.id) and hold != store.cancel_hold(hold.id, at=t(2, 11))
    store.declare_lost(rental_id=rental, at=t(3, 10))
    found = store.mark_found(copy_id=1, at=t(4, 10))
    assert repr(found).startswith('Found(copy=Copy(id=1, book_id=1, status="available", rental_id=None), credit=')
    assert "LedgerEntry(" in repr(found) and "amount=Decimal('20.00')" in repr(found)
    notices_store = koko.BookStore.memory(plan=plan(NOTICES_PLAN))
    notices_store.add_book(title="Emma", author="A", category="regular")
    notices_store.register_customer(first_name="Ada", last_name="Reader")
    notices_store.rent(customer_id=1, book_id=1, at=t(1, 10))
    [notice] = notices_store.notices(t(9, 10))
    assert repr(notice) == (
        'Notice(key="overdue:1:rental:1:2024-06-08T10:00:00Z", kind="overdue", level=1, customer_id=1, book_id=1, '
        "rental_id=1, hold_id=None, due_at=\"2024-06-08T10:00:00+00:00\", amount=Decimal('8.50'), currency=\"USD\")"
    )
    assert notice == notices_store.notices(t(9, 10))[0]
