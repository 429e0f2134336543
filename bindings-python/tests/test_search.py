"""Keyset pages and search from Python (issue 15), on memory and sled: the same answers as core/tests/search.rs."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Iterator, List

import pytest

import koko

from conftest import store_on, utc


@pytest.fixture(params=["memory", "sled"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[koko.BookStore]:
    yield from store_on(request.param, tmp_path)


def fill(store: koko.BookStore) -> None:
    store.add_book(title="The Hobbit", author="J. R. R. Tolkien", category="regular", isbn="978-0-261-10334-4")
    store.add_book(title="The Fellowship of the Ring", author="J. R. R. Tolkien", category="fiction")
    store.add_book(title="Émile", author="Jean-Jacques Rousseau", category="novel")
    store.add_book(title="Dune", author="Frank Herbert", category="fiction", isbn="978-0-441-17271-9")
    store.add_book(title="Les Misérables", author="Victor Hugo", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@analytical.example")
    store.register_customer(first_name="Grace", last_name="Hopper", email="grace.hopper@navy.example")
    store.register_customer(first_name="Zoë", last_name="Adams")
    store.rent(customer_id=ada.id, book_id=1, at=utc(2024, 6, 1, 10))


def titles(books: List[koko.Book]) -> List[str]:
    return [b.title for b in books]


def test_books_by_words_isbn_category_and_availability(store: koko.BookStore) -> None:
    fill(store)
    assert titles(store.search_books("tolk")) == ["The Hobbit", "The Fellowship of the Ring"]
    assert titles(store.search_books("TOLKIEN ring")) == ["The Fellowship of the Ring"]
    assert titles(store.search_books("emile")) == ["Émile"]
    assert titles(store.search_books("978-0-441")) == ["Dune"]
    assert titles(store.search_books(category="fiction")) == ["The Fellowship of the Ring", "Dune"]
    assert titles(store.search_books(available=False)) == ["The Hobbit"]
    assert titles(store.search_books("tolkien", available=True)) == ["The Fellowship of the Ring"]
    assert store.search_books("tolkien hugo") == []
    first = store.search_books("the", limit=1)
    assert titles(first) == ["The Hobbit"]
    assert titles(store.search_books("the", after=first[0].id, limit=1)) == ["The Fellowship of the Ring"]


def test_customers_by_name_or_email(store: koko.BookStore) -> None:
    fill(store)
    assert [c.first_name for c in store.search_customers("ada")] == ["Ada", "Zoë"]
    assert [c.first_name for c in store.search_customers("hopper@navy")] == ["Grace"]
    assert [c.first_name for c in store.search_customers("zoe")] == ["Zoë"]


def test_keyset_pages_and_rental_filters(store: koko.BookStore) -> None:
    fill(store)
    assert [b.id for b in store.books(limit=2)] == [1, 2]
    assert [b.id for b in store.books(after=2, limit=2)] == [3, 4]
    assert [b.id for b in store.books(after=4)] == [5]
    assert [c.id for c in store.customers(after=1, limit=5)] == [2, 3]
    assert len(store.rentals(status="active")) == 1
    assert store.rentals(status="closed") == []
    assert [r.book_id for r in store.rentals(customer_id=1)] == [1]
    # Story 3 has no loan periods: nothing is ever overdue.
    assert store.rentals(overdue_at=utc(2030, 1, 1)) == []


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s: s.books(limit=0), "limit"),
        (lambda s: s.books(limit=1001), "limit"),
        (lambda s: s.books(after=0), "after"),
        (lambda s: s.books(after="1"), "after"),
        (lambda s: s.search_books("x", limit=2.5), "limit"),
        (lambda s: s.search_books(" ".join(f"w{i}" for i in range(11))), "search"),
        (lambda s: s.search_books(42), "search"),
        (lambda s: s.search_books(available="yes"), "available"),
        (lambda s: s.rentals(status="open"), "status"),
        (lambda s: s.rentals(overdue_at=datetime(2024, 6, 1)), "overdue_at"),
        (lambda s: s.search_customers(None), "search"),
    ],
)
def test_bad_arguments_are_typed_errors(store: koko.BookStore, call, field: str) -> None:  # type: ignore[no-untyped-def]
    fill(store)
    with pytest.raises(koko.InvalidInput) as raised:
        call(store)
    assert raised.value.field == field
