"""Every CSV export streamed in chunks (``export_csv_chunks``): the core's writer — the columns and rows of
``koko export KIND`` — its row count for progress, and bad input naming the field."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

import koko

from conftest import utc

HEADERS = {
    "active-rentals": "rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version",
    "overdue": "rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version",
    "ledger": "entry_id,customer_id,kind,amount,currency,at,rental_id,note,balance_after",
    "books": "id,title,author,category,isbn,copies,available",
    "customers": "id,first_name,last_name,email,active",
}


def story_store() -> koko.BookStore:
    """Two books (one with a comma and quotes in its title), two customers, two rentals (one returned), a payment."""
    store = koko.BookStore.memory(plan=koko.PricePlan.story3())
    dune = store.add_book(title="Dune", author="Frank Herbert", category="fiction", isbn="9780441172719", copies=2)
    odd = store.add_book(title='Odd, "quoted"', author="A", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    bob = store.register_customer(first_name="Bob", last_name="Babbage")
    first = store.rent(customer_id=ada.id, book_id=dune.id, at=utc(2024, 6, 3, 10))
    store.rent(customer_id=bob.id, book_id=odd.id, at=utc(2024, 6, 4, 10))
    store.return_rental(rental_id=first.id, at=utc(2024, 6, 6, 10))
    store.pay(customer_id=ada.id, amount=Decimal("2.00"), at=utc(2024, 6, 6, 11))
    return store


def rows(data: bytes) -> list:
    return list(csv.reader(io.StringIO(data.decode())))


def test_each_kind_has_the_command_lines_columns() -> None:
    store = story_store()
    for kind, header in HEADERS.items():
        chunks = store.export_csv_chunks(kind)
        data = b"".join(chunks)
        assert data.decode().splitlines()[0] == header, kind
        assert chunks.kind == kind
        assert chunks.rows == len(rows(data)) - 1, kind


def test_the_rows_are_the_stores_records() -> None:
    store = story_store()
    books = rows(b"".join(store.export_csv_chunks("books")))
    assert books[1:] == [["1", "Dune", "Frank Herbert", "fiction", "9780441172719", "2", "2"],
                         ["2", 'Odd, "quoted"', "A", "novel", "", "1", "0"]]
    customers = rows(b"".join(store.export_csv_chunks("customers")))
    assert customers[1:] == [["1", "Ada", "Lovelace", "ada@example.org", "true"], ["2", "Bob", "Babbage", "", "true"]]
    active = rows(b"".join(store.export_csv_chunks("active-rentals")))
    assert active[1:] == [["2", "3", "2", "2", "novel", "2024-06-04T10:00:00Z", "", "1"]]
    ledger = rows(b"".join(store.export_csv_chunks("ledger")))  # story 3: fiction 3.00 a day, 3 days
    assert ledger[1:] == [["1", "1", "charge", "9.00", "USD", "2024-06-06T10:00:00Z", "1", "", "9.00"],
                          ["2", "1", "payment", "2.00", "USD", "2024-06-06T11:00:00Z", "", "", "7.00"]]


def test_the_active_rentals_kind_is_the_active_rentals_export(tmp_path) -> None:
    store = story_store()
    store.export_active_rentals_csv(tmp_path / "active.csv")
    assert b"".join(store.export_csv_chunks("active-rentals", chunk_size=5)) == (tmp_path / "active.csv").read_bytes()
    legacy = store.export_active_rentals_csv_chunks()
    assert legacy.kind == "active-rentals" and b"".join(legacy) and legacy.rows == 1


def test_rows_count_while_the_export_runs() -> None:
    store = koko.BookStore.memory()
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=5000)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    for i in range(5000):
        batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    store.apply_batch(batch)
    chunks = store.export_csv_chunks("active-rentals", chunk_size=1024)
    seen = []
    for _ in chunks:
        seen.append(chunks.rows)
    assert seen == sorted(seen) and seen[0] < 5000
    assert chunks.rows == 5000


@pytest.mark.parametrize("kind", ["rentals", "", "Books", 3, None])
def test_an_unknown_kind_is_invalid_input_naming_kind(kind) -> None:
    with pytest.raises(koko.InvalidInput) as err:
        koko.BookStore.memory().export_csv_chunks(kind)  # type: ignore[arg-type]
    assert err.value.field == "kind" and isinstance(err.value, ValueError)
    assert "active-rentals" in str(err.value)


def test_a_bad_chunk_size_names_chunk_size_and_a_closed_store_raises() -> None:
    store = koko.BookStore.memory()
    with pytest.raises(koko.InvalidInput) as err:
        store.export_csv_chunks("books", chunk_size=0)
    assert err.value.field == "chunk_size"
    store.close()
    with pytest.raises(koko.StorageError):
        store.export_csv_chunks("books")
