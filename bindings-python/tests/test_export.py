"""The streamed CSV export (``export_active_rentals_csv_chunks``) and ``outstanding_charges``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import koko

from conftest import utc


def rented_store(rentals: int, plan: koko.PricePlan | None = None) -> koko.BookStore:
    store = koko.BookStore.memory(plan=plan)
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=rentals + 1)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    batch = koko.Batch()
    for i in range(rentals):
        batch.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1 + i % 20, 10))
    store.apply_batch(batch)
    return store


@pytest.mark.parametrize("chunk_size", [1, 7, 100, 65536])
def test_the_chunks_are_the_file_export_cut_to_size(tmp_path: Path, chunk_size: int) -> None:
    store = rented_store(40)
    store.export_active_rentals_csv(tmp_path / "active.csv")
    chunks = list(store.export_active_rentals_csv_chunks(chunk_size=chunk_size))
    assert b"".join(chunks) == (tmp_path / "active.csv").read_bytes()
    assert all(len(chunk) == chunk_size for chunk in chunks[:-1])
    assert 0 < len(chunks[-1]) <= chunk_size


def test_an_empty_store_exports_the_header_alone() -> None:
    [chunk] = list(koko.BookStore.memory().export_active_rentals_csv_chunks())
    assert chunk == b"rental_id,copy_id,book_id,customer_id,category,rented_at,due_at,plan_version\n"


def test_a_reader_that_stops_ends_the_export_and_the_store_closes() -> None:
    store = rented_store(3000)
    chunks = store.export_active_rentals_csv_chunks(chunk_size=64)
    assert next(chunks).startswith(b"rental_id,")
    chunks.close()
    assert list(chunks) == []
    dropped = store.export_active_rentals_csv_chunks(chunk_size=64)
    next(dropped)
    del dropped
    store.close()  # would wait for ever if an exporting thread still held the store
    assert store.closed


@pytest.mark.parametrize("size", [0, -1, 64 * 1024 * 1024 + 1])
def test_a_chunk_size_out_of_range_is_invalid_input(size: int) -> None:
    with pytest.raises(koko.InvalidInput) as err:
        koko.BookStore.memory().export_active_rentals_csv_chunks(chunk_size=size)
    assert err.value.field == "chunk_size"


def test_a_closed_store_raises_at_once() -> None:
    store = koko.BookStore.memory()
    store.close()
    with pytest.raises(koko.StorageError):
        store.export_active_rentals_csv_chunks()


def test_outstanding_charges_sum_what_each_return_would_cost() -> None:
    store = rented_store(25)
    at = utc(2024, 7, 1, 10)
    report = store.outstanding_charges(at)
    expected = sum((store.quote_return(r.id, at).total for r in store.active_rentals()), Decimal(0))
    assert (report.at, report.rentals) == (at, 25)
    assert [(t.currency, t.total) for t in report.totals] == [("USD", expected)]


def test_outstanding_charges_of_no_rentals_and_a_naive_time() -> None:
    store = koko.BookStore.memory()
    report = store.outstanding_charges()
    assert (report.rentals, report.totals) == (0, [])
    with pytest.raises(koko.InvalidInput) as err:
        store.outstanding_charges(utc(2024, 1, 1).replace(tzinfo=None))
    assert err.value.field == "at"
