"""Renewals from Python, worked out by hand (the same rules as core/tests/renewals.rs): a renewal moves the due
date by the loan period from the due date or from the renewal, at most ``renewals.max`` times; late days count from
the new due date."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import koko
from conftest import utc

PLAN = {
    "currency": "USD",
    "categories": {
        "regular": {
            "tiers": [{"from_day": 1, "rate": "1.00"}],
            "late_fee": {"loan_days": 7, "per_day": "0.50"},
            "renewals": {"max": 2, "from": "due_date"},
        },
        "novel": {
            "tiers": [{"from_day": 1, "rate": "1.50"}],
            "late_fee": {"loan_days": 14, "per_day": "0.25"},
            "renewals": {"max": 1, "from": "renewal"},
        },
        "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}]},
    },
}


@pytest.fixture
def store() -> koko.BookStore:
    return koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(PLAN)))


def test_renewals_move_the_due_date_and_late_days_count_from_it(store: koko.BookStore) -> None:
    book = store.add_book(title="Ulysses", author="James Joyce", category="regular")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    assert rental.due_at == utc(2024, 6, 8, 10) and rental.renewals == []
    # From the due date: 8 June 10:00 + 7 days, though renewed on 5 June; then 15 June + 7 days.
    assert store.renew(rental_id=rental.id, at=utc(2024, 6, 5, 9)).due_at == utc(2024, 6, 15, 10)
    renewed = store.renew(rental_id=rental.id, at=utc(2024, 6, 14, 12))
    assert renewed.due_at == utc(2024, 6, 22, 10)
    assert renewed.renewals == [utc(2024, 6, 5, 9), utc(2024, 6, 14, 12)]
    with pytest.raises(koko.Blocked) as refused:
        store.renew(rental_id=rental.id, at=utc(2024, 6, 20))
    assert refused.value.rule == "renewals.max"
    # 23 days at 1.00, and 2 days late at 0.50 counted from 22 June: 24.00.
    receipt = store.return_rental(rental_id=rental.id, at=utc(2024, 6, 24, 10))
    assert receipt.charge.total == Decimal("24.00")
    with pytest.raises(koko.AlreadyReturned):
        store.renew(rental_id=rental.id, at=utc(2024, 6, 25))


def test_renewal_from_the_renewal_and_a_retried_key(store: koko.BookStore) -> None:
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    first = store.renew(rental_id=rental.id, at=utc(2024, 6, 10, 10), idempotency_key="renew-1")
    assert first.due_at == utc(2024, 6, 24, 10)  # 10 June + 14 days
    # The retry answers the first renewal; the one renewal the tariff allows is not used up twice.
    assert store.renew(rental_id=rental.id, at=utc(2024, 6, 10, 10), idempotency_key="renew-1") == first
    assert store.rental(rental.id).renewals == [utc(2024, 6, 10, 10)]
    with pytest.raises(koko.Blocked):
        store.renew(rental_id=rental.id, at=utc(2024, 6, 11, 10))


def test_a_rental_without_a_due_date_cannot_be_renewed(store: koko.BookStore) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    with pytest.raises(koko.InvalidInput) as bad:
        store.renew(rental_id=rental.id, at=utc(2024, 6, 2, 10))
    assert bad.value.field == "rental"
    with pytest.raises(koko.InvalidInput) as naive:
        store.renew(rental_id=rental.id, at=utc(2024, 6, 2, 10).replace(tzinfo=None))
    assert naive.value.field == "at"
    with pytest.raises(koko.NotFound):
        store.renew(rental_id=999, at=utc(2024, 6, 2, 10))
