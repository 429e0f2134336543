"""No bad input crashes the interpreter or reaches PanicException: each gets a typed koko error, nothing changes."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Callable, List, Tuple, Type

import pytest

import koko
from conftest import dump, utc

NAIVE = datetime(2024, 6, 1, 12)
PLAN = koko.PricePlan.story3()

PLAN_CASES: List[Tuple[str, Callable[[], Any], Type[BaseException], str]] = [
    ("quote_days negative", lambda: PLAN.quote_days("regular", -1), koko.InvalidInput, "days"),
    ("quote_days huge int", lambda: PLAN.quote_days("regular", 10**30), koko.InvalidInput, "days"),
    ("quote_days float", lambda: PLAN.quote_days("regular", 2.5), koko.InvalidInput, "days"),
    ("quote_days NaN", lambda: PLAN.quote_days("regular", math.nan), koko.InvalidInput, "days"),
    ("quote_days None", lambda: PLAN.quote_days("regular", None), koko.InvalidInput, "days"),
    ("quote_days bool", lambda: PLAN.quote_days("regular", True), koko.InvalidInput, "days"),
    ("quote_days str", lambda: PLAN.quote_days("regular", "3"), koko.InvalidInput, "days"),
    ("unknown category", lambda: PLAN.quote_days("poetry", 3), koko.InvalidInput, "category"),
    ("category None", lambda: PLAN.quote_days(None, 3), koko.InvalidInput, "category"),
    ("category int", lambda: PLAN.quote_days(7, 3), koko.InvalidInput, "category"),
    ("naive rented_at", lambda: PLAN.quote("regular", NAIVE, utc(2024, 6, 2)), koko.InvalidInput, "rented_at"),
    ("naive returned_at", lambda: PLAN.quote("regular", utc(2024, 6, 1), NAIVE), koko.InvalidInput, "returned_at"),
    ("string datetime", lambda: PLAN.quote("regular", "2024-06-01", utc(2024, 6, 2)), koko.InvalidInput, "rented_at"),
    ("return before rent", lambda: PLAN.quote("regular", utc(2024, 6, 2), utc(2024, 6, 1)), koko.InvalidInput, "returned_at"),
    ("quote_many mismatched", lambda: PLAN.quote_many(["regular"], [1, 2]), koko.InvalidInput, "categories"),
    ("quote_many not a list", lambda: PLAN.quote_many("regular", 5), koko.InvalidInput, "days"),
    ("quote_many float day", lambda: PLAN.quote_many("regular", [1, math.inf]), koko.InvalidInput, "days"),
    ("price curve too long", lambda: PLAN.price_curve("regular", 10**6), koko.InvalidInput, "max_days"),
    ("malformed JSON", lambda: koko.PricePlan.from_json("{"), koko.InvalidPlan, "(document)"),
    ("JSON not a str", lambda: koko.PricePlan.from_json(None), koko.InvalidInput, "document"),
    ("float rate", lambda: koko.PricePlan.from_json('{"currency": "USD", "default": {"tiers": [{"from_day": 1, "rate": 1.5}]}}'), koko.InvalidPlan, "default.tiers[0].rate"),
    ("negative rate", lambda: koko.PricePlan.from_json('{"currency": "USD", "default": {"tiers": [{"from_day": 1, "rate": "-1"}]}}'), koko.InvalidPlan, "default.tiers[0].rate"),
    ("unknown currency", lambda: koko.PricePlan.from_json('{"currency": "XXX1", "default": {"tiers": []}}'), koko.InvalidPlan, "currency"),
    ("malformed TOML", lambda: koko.PricePlan.from_toml("currency = "), koko.InvalidPlan, "(document)"),
    ("unknown preset", lambda: koko.PricePlan.preset("story9"), koko.InvalidInput, "preset"),
]


@pytest.mark.parametrize("what,call,cls,field", PLAN_CASES, ids=[c[0] for c in PLAN_CASES])
def test_plan_bad_input(what: str, call: Callable[[], Any], cls: Type[BaseException], field: str) -> None:
    with pytest.raises(cls) as info:
        call()
    assert isinstance(info.value, koko.KokoError)
    assert info.value.field == field, str(info.value)
    assert str(info.value)


def test_exception_classes_subclass_the_builtins() -> None:
    assert issubclass(koko.InvalidInput, ValueError)
    assert issubclass(koko.InvalidPlan, ValueError)
    assert issubclass(koko.NotFound, LookupError)
    for cls in (koko.NotFound, koko.Unavailable, koko.AlreadyReturned, koko.InactiveCustomer, koko.Duplicate,
                koko.InvalidInput, koko.InvalidPlan, koko.StorageError, koko.Corruption):
        assert issubclass(cls, koko.KokoError)


def test_store_bad_input_changes_nothing(store: koko.BookStore) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1))
    other = store.add_book(title="Emma", author="Jane Austen", category="novel")
    closed = store.rent(customer_id=ada.id, book_id=other.id, at=utc(2024, 6, 1))
    store.return_rental(rental_id=closed.id, at=utc(2024, 6, 3))
    before = dump(store)
    cases: List[Tuple[Callable[[], Any], Type[BaseException], str]] = [
        (lambda: store.add_book(title="", author="A", category="regular"), koko.InvalidInput, "title"),
        (lambda: store.add_book(title=None, author="A", category="regular"), koko.InvalidInput, "title"),
        (lambda: store.add_book(title="x" * 10_000, author="A", category="regular"), koko.InvalidInput, "title"),
        (lambda: store.add_book(title="T", author="A", category="poetry"), koko.InvalidInput, "category"),
        (lambda: store.add_book(title="T", author="A", category="regular", copies=0), koko.InvalidInput, "copies"),
        (lambda: store.add_book(title="T", author="A", category="regular", copies=-1), koko.InvalidInput, "copies"),
        (lambda: store.add_book(title="T", author="A", category="regular", isbn="123"), koko.InvalidInput, "isbn"),
        (lambda: store.add_book(title="dune", author="A", category="regular"), koko.Duplicate, "title"),
        (lambda: store.register_customer(first_name="", last_name="L"), koko.InvalidInput, "first_name"),
        (lambda: store.rent(customer_id=ada.id, book_id=book.id, at=NAIVE), koko.InvalidInput, "at"),
        (lambda: store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 2)), koko.Unavailable, ""),
        (lambda: store.rent(customer_id=ada.id, at=utc(2024, 6, 2)), koko.InvalidInput, "book_id"),
        (lambda: store.rent(customer_id=-1, book_id=book.id), koko.InvalidInput, "customer_id"),
        (lambda: store.rent(customer_id=2**70, book_id=book.id), koko.InvalidInput, "customer_id"),
        (lambda: store.rent(customer_id=999, book_id=book.id), koko.NotFound, ""),
        (lambda: store.rent(customer_id="1", book_id=book.id), koko.InvalidInput, "customer_id"),
        (lambda: store.return_rental(rental_id=rental.id, at=utc(2024, 5, 1)), koko.InvalidInput, "returned_at"),
        (lambda: store.return_rental(rental_id=closed.id), koko.AlreadyReturned, ""),
        (lambda: store.return_rental(rental_id=12345), koko.NotFound, ""),
        (lambda: store.return_rental(rental_id=math.nan), koko.InvalidInput, "rental_id"),
        (lambda: store.book(999), koko.NotFound, ""),
        (lambda: store.customer(None), koko.InvalidInput, "customer_id"),
        (lambda: store.quote_return(closed.id), koko.AlreadyReturned, ""),
        (lambda: store.revenue(utc(2024, 6, 2), utc(2024, 6, 1)), koko.InvalidInput, "to"),
    ]
    for call, cls, field in cases:
        with pytest.raises(cls) as info:
            call()
        if field:
            assert info.value.field == field, str(info.value)
    assert dump(store) == before
    store.deactivate_customer(ada.id)
    before = dump(store)
    with pytest.raises(koko.InactiveCustomer):
        store.rent(customer_id=ada.id, book_id=other.id, at=utc(2024, 6, 4))
    assert dump(store) == before
