"""BookStore.apply_batch from Python: in order, each operation on its own, one commit; on memory and sled."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest

import koko
from conftest import dump, utc


@pytest.fixture(params=["memory", "sled"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[koko.BookStore]:
    if request.param == "memory":
        yield koko.BookStore.memory()
    else:
        yield koko.BookStore.open(tmp_path / "store")


def test_dependent_operations_and_results(any_store: koko.BookStore) -> None:
    store = any_store
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=2)
    copies = [c.id for c in store.copies(book.id)]
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 10))
    batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 11))
    batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 12))  # none left
    batch.return_copy(copy_id=copies[0], at=utc(2024, 6, 6, 10))
    batch.add_book(title="Dune", author="Frank Herbert", category="fiction")
    batch.register_customer(first_name="Alan", last_name="Turing")
    batch.add_book(title=" emma ", author="Someone", category="novel")  # the title is taken
    assert len(batch) == 7
    assert repr(batch).startswith("Batch(7 operations: rent, rent, rent, return_copy")

    results = store.apply_batch(batch)
    assert len(results) == 7
    first, second, refused, receipt, dune, alan, duplicate = results
    assert isinstance(first, koko.Rental) and first.copy_id == copies[0]
    assert isinstance(second, koko.Rental) and second.copy_id == copies[1]
    assert isinstance(refused, koko.Unavailable) and isinstance(refused, koko.KokoError)
    assert isinstance(receipt, koko.Receipt)
    assert receipt.rental.id == first.id and receipt.charge.total == Decimal("4.50")  # 3 days of a novel
    assert isinstance(dune, koko.Book) and dune.title == "Dune"
    assert isinstance(alan, koko.Customer) and alan.first_name == "Alan"
    assert isinstance(duplicate, koko.Duplicate) and duplicate.field == "title"

    assert [r.id for r in store.active_rentals()] == [second.id]
    assert [b.title for b in store.books()] == ["Emma", "Dune"]


def test_a_batch_of_refusals_changes_nothing(any_store: koko.BookStore) -> None:
    store = any_store
    store.add_book(title="Emma", author="Jane Austen", category="novel")
    before = dump(store)
    batch = koko.Batch()
    batch.rent(customer_id=99, book_id=1, at=utc(2024, 6, 3))
    batch.return_rental(rental_id=5, at=utc(2024, 6, 3))
    batch.add_copies(1, 0)
    batch.add_book(title="Poems", author="Someone", category="poetry")
    kinds = [type(r).__name__ for r in store.apply_batch(batch)]
    assert kinds == ["NotFound", "NotFound", "InvalidInput", "InvalidInput"]
    assert dump(store) == before


def test_a_published_plan_prices_the_rest_of_its_batch(any_store: koko.BookStore) -> None:
    store = any_store
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    copy = store.copies(book.id)[0].id
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    batch.publish_plan(koko.PricePlan.story1(), utc(2024, 6, 1))
    batch.rent(customer_id=ada.id, copy_id=copy, at=utc(2024, 6, 3, 10))
    batch.return_copy(copy_id=copy, at=utc(2024, 6, 5, 10))
    version, rental, receipt = store.apply_batch(batch)
    assert isinstance(version, koko.PlanVersion)
    assert isinstance(rental, koko.Rental) and rental.plan_version == version.id
    assert isinstance(receipt, koko.Receipt) and receipt.charge.total == Decimal("2.00")  # story 1: 2 days
    assert len(store.plan_versions()) == 2


def test_times_left_out_are_when_the_batch_is_applied(any_store: koko.BookStore) -> None:
    store = any_store
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    batch.rent(customer_id=ada.id, book_id=book.id)
    (rental,) = store.apply_batch(batch)
    assert isinstance(rental, koko.Rental)
    assert rental.rented_at.tzinfo is not None and rental.rented_at.year >= 2026


def test_bad_arguments_are_refused_when_added() -> None:
    batch = koko.Batch()
    with pytest.raises(koko.InvalidInput) as err:
        batch.rent(customer_id=1, at=utc(2024, 6, 3))
    assert err.value.field == "book_id"
    with pytest.raises(koko.InvalidInput):
        batch.rent(customer_id=1, book_id=1, at=utc(2024, 6, 3).replace(tzinfo=None))
    with pytest.raises(koko.InvalidInput):
        batch.add_copies(1, -1)
    with pytest.raises(koko.InvalidInput):
        batch.publish_plan("story1", utc(2024, 6, 3))  # type: ignore[arg-type]
    assert len(batch) == 0


def test_a_sled_batch_is_stored_whole(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = koko.BookStore.open(path)
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=3)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    for day in range(3, 23):
        batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, day, 10))
        batch.return_copy(copy_id=store.copies(book.id)[0].id, at=utc(2024, 6, day, 18))
    results = store.apply_batch(batch)
    assert not [r for r in results if isinstance(r, koko.KokoError)]
    store.close()
    reopened = koko.BookStore.open(path)
    assert len(reopened.rentals()) == 20 and reopened.active_rentals() == []
    assert {r.charge.total for r in reopened.rentals() if r.charge} == {Decimal("4.50")}
