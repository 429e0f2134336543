"""``iter_books``, ``iter_customers`` and ``iter_rentals``: lazy walks by keyset page, on memory and sled."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

import koko

from conftest import store_on, utc


@pytest.fixture(params=["memory", "sled"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[koko.BookStore]:
    yield from store_on(request.param, tmp_path)


def fill(store: koko.BookStore, books: int = 25, customers: int = 7) -> None:
    batch = koko.Batch()
    for n in range(books):
        batch.add_book(title=f"Book {n:03}", author="A. Author", category=("novel", "fiction")[n % 2])
    for n in range(customers):
        batch.register_customer(first_name=f"C{n}", last_name="Reader")
    store.apply_batch(batch)


def test_iterators_walk_everything_in_id_order_whatever_the_page_size(store: koko.BookStore) -> None:
    fill(store)
    for page_size in (1, 2, 5, 7, 24, 25, 26, 1000):
        assert list(store.iter_books(page_size=page_size)) == store.books()
        assert list(store.iter_customers(page_size=page_size)) == store.customers()
    assert list(store.iter_books()) == store.books() and len(store.books()) == 25


def test_an_iterator_is_lazy_and_reads_one_page_at_a_time(store: koko.BookStore) -> None:
    fill(store, books=10)
    walk = store.iter_books(page_size=4)
    assert iter(walk) is walk and walk.page_size == 4
    assert repr(walk) == "KeysetIterator(books, page_size=4)"
    first = next(walk)
    assert first.id == 1
    # Books added after the walk began appear when their page is read: nothing past the first page was read yet.
    store.add_book(title="Late arrival", author="B", category="novel")
    rest = list(walk)
    assert [b.id for b in rest] == list(range(2, 12)) and rest[-1].title == "Late arrival"
    assert list(walk) == []  # exhausted stays exhausted
    with pytest.raises(StopIteration):
        next(walk)


def test_after_starts_past_an_id(store: koko.BookStore) -> None:
    fill(store)
    assert [b.id for b in store.iter_books(after=20, page_size=3)] == [21, 22, 23, 24, 25]
    assert list(store.iter_customers(after=7)) == []
    assert list(itertools.islice(store.iter_customers(after=2, page_size=2), 3)) == store.customers(after=2, limit=3)


def test_iter_rentals_takes_the_filters_of_rentals(store: koko.BookStore) -> None:
    fill(store, books=12, customers=3)
    for book in range(1, 13):
        rental = store.rent(customer_id=book % 3 + 1, book_id=book, at=utc(2024, 6, 1, 10))
        if book % 4 == 0:
            store.return_rental(rental_id=rental.id, at=utc(2024, 6, 3, 10))
    cases = [
        {},
        {"status": "active"},
        {"status": "closed"},
        {"customer_id": 2},
        {"customer_id": 2, "status": "active"},
        {"overdue_at": utc(2030, 1, 1)},
    ]
    for filters in cases:
        expected = store.rentals(limit=1000, **filters)
        for page_size in (1, 2, 5, 500):
            assert list(store.iter_rentals(page_size=page_size, **filters)) == expected, (filters, page_size)
    assert [r.id for r in store.iter_rentals(after=9, page_size=2)] == [10, 11, 12]


def test_an_empty_store_gives_an_empty_walk(store: koko.BookStore) -> None:
    assert list(store.iter_books()) == []
    assert list(store.iter_customers()) == []
    assert list(store.iter_rentals(status="active")) == []


@pytest.mark.parametrize("page_size", [0, 1001, -1, "10", 2.0, True])
def test_a_bad_page_size_is_invalid_input(store: koko.BookStore, page_size: object) -> None:
    for walk in (store.iter_books, store.iter_customers, store.iter_rentals):
        with pytest.raises(koko.InvalidInput) as raised:
            walk(page_size=page_size)  # type: ignore[operator]
        assert raised.value.field == "page_size"


def test_bad_filters_are_refused_when_the_walk_is_made(store: koko.BookStore) -> None:
    with pytest.raises(koko.InvalidInput) as raised:
        store.iter_rentals(status="lent")
    assert raised.value.field == "status"
    with pytest.raises(koko.InvalidInput) as raised:
        store.iter_books(after="3")
    assert raised.value.field == "after"
    with pytest.raises(koko.InvalidInput) as raised:
        store.iter_rentals(overdue_at=utc(2024, 6, 1).replace(tzinfo=None))
    assert raised.value.field == "overdue_at"


def test_closing_the_store_ends_a_walk_with_store_closed(tmp_path: Path) -> None:
    store = koko.BookStore.open(tmp_path / "store")
    fill(store, books=6)
    walk = store.iter_books(page_size=4)
    assert [next(walk).id for _ in range(4)] == [1, 2, 3, 4]
    store.close()
    with pytest.raises(koko.StoreClosed):
        next(walk)
    assert list(walk) == []
    with pytest.raises(koko.StoreClosed):
        store.iter_customers()
    # The walk keeps no lock: the directory opens again at once.
    with koko.BookStore.open(tmp_path / "store") as again:
        assert len(list(again.iter_books(page_size=1))) == 6


def test_walking_many_records_by_small_pages() -> None:
    store = koko.BookStore.memory()
    fill(store, books=2500, customers=0)
    ids = [b.id for b in store.iter_books(page_size=1000)]
    assert ids == list(range(1, 2501))
    assert sum(1 for _ in store.iter_books(page_size=7)) == 2500


def test_threads_sharing_one_walk_get_each_record_once() -> None:
    store = koko.BookStore.memory()
    fill(store, books=1000, customers=0)
    walk = store.iter_books(page_size=3)
    seen: List[int] = []

    def drain() -> None:
        for book in walk:
            seen.append(book.id)

    threads = [threading.Thread(target=drain) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 1001))
