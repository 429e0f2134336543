"""Renewals from Python: a retried renewal under an idempotency key, and the arguments the binding converts. The
renewal rules themselves (from the due date or the renewal, ``renewals.max``, late days from the new due date,
blocks and limits) are rule scenarios: core/tests/scenarios/renewals.json, run by tests/test_scenarios.py."""

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
