"""``PricePlan`` pickles through its JSON document; records are hashable, consistently with ``==``."""

from __future__ import annotations

import copy
import json
import pickle
from datetime import timedelta
from typing import Hashable, List

import pytest

import koko

from conftest import utc

PLAN = {
    "name": "pickled",
    "currency": "EUR",
    "day_count": {"policy": "started_days"},
    "categories": {
        "regular": {"tiers": [{"from_day": 1, "rate": "1.00"}, {"from_day": 3, "rate": "1.50"}], "minimum": "2.00"},
        "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}], "late_fee": {"loan_days": 7, "per_day": "0.50"}},
    },
}


@pytest.mark.parametrize(
    "plan",
    [
        koko.PricePlan.story1(),
        koko.PricePlan.story2(),
        koko.PricePlan.story3(),
        koko.PricePlan.from_json(json.dumps(PLAN)),
    ],
    ids=["story1", "story2", "story3", "custom"],
)
def test_a_plan_pickles_and_quotes_identically(plan: koko.PricePlan) -> None:
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(plan, protocol=protocol))
        assert isinstance(again, koko.PricePlan)
        assert again == plan and hash(again) == hash(plan)
        assert again.to_json() == plan.to_json()
        rented = utc(2024, 6, 1, 10)
        for category in plan.categories or ["regular"]:
            for days in (0, 1, 2, 3, 10):
                assert again.quote_days(category, days) == plan.quote_days(category, days)
            returned = rented + timedelta(days=9, hours=3)
            assert again.quote(category, rented, returned) == plan.quote(category, rented, returned)
    assert copy.copy(plan) == plan and copy.deepcopy(plan) == plan


def test_plan_reduce_is_from_json_and_its_document() -> None:
    plan = koko.PricePlan.story3()
    constructor, args = plan.__reduce__()
    assert constructor(*args) == plan and args == (plan.to_json(),)


def test_equal_plans_written_differently_hash_alike() -> None:
    one = dict(PLAN, categories={"novel": {"tiers": [{"from_day": 1, "rate": "1.5"}]}})
    other = dict(PLAN, categories={"novel": {"tiers": [{"from_day": 1, "rate": "1.50"}]}})
    a, b = koko.PricePlan.from_json(json.dumps(one)), koko.PricePlan.from_json(json.dumps(other))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert len({koko.PricePlan.story1(), koko.PricePlan.story2(), koko.PricePlan.story3()}) == 3


def records() -> List[Hashable]:
    """One of every record class a store hands out, from one small history."""
    plan = dict(PLAN, limits={"max_open_rentals": 5}, holds={"pickup_days": 3}, notices={"overdue_days": [1]})
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan)))
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    grace = store.register_customer(first_name="Grace", last_name="Hopper")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    hold = store.place_hold(customer_id=grace.id, book_id=book.id, at=utc(2024, 6, 2, 10))
    notices = store.notices(utc(2024, 6, 20))
    receipt = store.return_rental(rental_id=rental.id, at=utc(2024, 6, 12, 10))
    entry = store.pay(customer_id=ada.id, amount="1.00", at=utc(2024, 6, 13))
    store.block_customer(grace.id, reason="test", at=utc(2024, 6, 14))
    account = store.account(grace.id)
    assert account.block is not None and notices
    made: List[Hashable] = [
        book,
        store.copies(book.id)[0],
        ada,
        rental,
        receipt,
        receipt.charge,
        receipt.charge.lines[0],
        hold,
        notices[0],
        entry,
        store.account(ada.id),
        account,
        account.block,
        store.statement(ada.id, utc(2024, 6, 1), utc(2024, 7, 1)),
        store.aged_balances(utc(2024, 7, 1))[0],
        store.plan_versions()[0],
        store.revenue(utc(2024, 6, 1), utc(2024, 7, 1))[0],
        store.current_plan(),
    ]
    return [r for r in made if r is not None]


def test_every_record_class_is_hashable_consistently_with_eq() -> None:
    first, second = records(), records()
    assert {type(r).__name__ for r in first} >= {
        "Book", "Copy", "Customer", "Rental", "Receipt", "Quote", "QuoteLine", "Hold", "Notice", "LedgerEntry",
        "Account", "Block", "Statement", "AgedBalance", "PlanVersion", "RevenueLine", "PricePlan",
    }
    for a, b in zip(first, second):
        assert a == b and a is not b, type(a).__name__
        assert hash(a) == hash(b), type(a).__name__
        assert {a} == {b} and len({a, b}) == 1 and {a: "x"}[b] == "x"
    assert len(set(first)) == len(first)  # distinct records stay distinct in a set


def test_a_changed_record_is_another_key() -> None:
    store = koko.BookStore.memory()
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    renamed = store.update_book(book.id, title="Dune Messiah")
    assert book != renamed and {book, renamed} == {renamed, book} and len({book, renamed}) == 2
    assert store.book(book.id) in {renamed}


def test_found_and_currency_total_are_hashable() -> None:
    plan = dict(PLAN, categories={"novel": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                                            "replacement": {"fee": "20.00", "refund_when_found": True}}})
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan)))
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1))
    totals = store.outstanding_charges(utc(2024, 6, 2)).totals
    assert len({totals[0], totals[0]}) == 1
    store.declare_lost(rental_id=rental.id, at=utc(2024, 6, 3))
    found = store.mark_found(copy_id=rental.copy_id, at=utc(2024, 6, 4))
    assert hash(found) == hash(found) and {found} == {found}
