"""BookStore from Python: the rental flow, persistence on sled, and threads racing for the same copies."""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Dict, List

import pytest

import koko
from conftest import utc


def test_rent_and_return(store: koko.BookStore) -> None:
    book = store.add_book(title="The Hobbit", author="J. R. R. Tolkien", category="novel", copies=2)
    assert isinstance(book.id, int) and book.title == "The Hobbit"
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 10))
    assert rental.status == "active" and rental.rented_at == utc(2024, 6, 3, 10)
    assert store.available_copies(book.id) == 1
    assert store.quote_return(rental.id, utc(2024, 6, 6, 10)).total == Decimal("4.50")
    receipt = store.return_rental(rental_id=rental.id, at=utc(2024, 6, 6, 10))
    assert receipt.charge.total == Decimal("4.50")
    assert receipt.rental.status == "closed" and receipt.rental.charge == receipt.charge
    assert receipt.title == "The Hobbit"
    assert "4.50 USD" in str(receipt)
    assert store.rental(rental.id) == receipt.rental
    assert [r.id for r in store.customer_rentals(ada.id)] == [rental.id]
    assert store.active_rentals() == []
    lines = store.revenue(utc(2024, 1, 1), utc(2025, 1, 1))
    assert [(l.category, l.rentals, l.total) for l in lines] == [("novel", 1, Decimal("4.50"))]
    assert repr(book).startswith("Book(id=")


def test_csv_export(store: koko.BookStore, tmp_path: Path) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=3)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    for _ in range(3):
        store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3))
    path = tmp_path / "active.csv"
    assert store.export_active_rentals_csv(path) == 3
    rows = path.read_text().splitlines()
    assert rows[0].startswith("rental_id,copy_id,book_id,customer_id")
    assert len(rows) == 4


def test_sled_store_persists_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = koko.BookStore.open(path)
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    open_rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1))
    store.close()
    reopened = koko.BookStore.open(path)
    assert reopened.book(book.id) == book
    assert reopened.active_rentals() == [open_rental]
    receipt = reopened.return_rental(rental_id=open_rental.id, at=utc(2024, 6, 4))
    assert receipt.charge.total == Decimal("4.50")


def test_eight_threads_never_double_rent() -> None:
    store = koko.BookStore.memory()
    books = [store.add_book(title=f"Book {i}", author="A", category="regular").id for i in range(20)]
    customers = [store.register_customer(first_name=f"C{i}", last_name="X").id for i in range(8)]
    holders: Dict[int, int] = {}
    lock = threading.Lock()
    doubles: List[int] = []
    outcomes: Counter = Counter()
    start = utc(2024, 6, 1)

    def worker(n: int) -> None:
        mine = []
        for attempt in range(250):
            book = books[(attempt * 7 + n * 3) % len(books)]
            try:
                rental = store.rent(customer_id=customers[n], book_id=book, at=start)
            except koko.Unavailable:
                with lock:
                    outcomes["unavailable"] += 1
                continue
            with lock:
                outcomes["rented"] += 1
                if rental.copy_id in holders:
                    doubles.append(rental.copy_id)
                holders[rental.copy_id] = rental.id
            mine.append(rental)
            if attempt % 3 == 0:
                done = mine.pop(0)
                with lock:
                    del holders[done.copy_id]
                store.return_rental(rental_id=done.id, at=start + timedelta(days=2))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert doubles == []
    assert outcomes["rented"] + outcomes["unavailable"] == 2000
    assert outcomes["unavailable"] > 0
    open_copies = [r.copy_id for r in store.active_rentals()]
    assert len(open_copies) == len(set(open_copies))
    rented = [c.id for b in books for c in store.copies(b) if c.status == "rented"]
    assert sorted(rented) == sorted(open_copies)


def test_a_sled_store_serves_one_process_at_a_time(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "store"
    held = koko.BookStore.open(path)
    held.add_book(title="Emma", author="Jane Austen", category="novel")
    probe = (
        "import sys, koko\n"
        "try:\n"
        "    koko.BookStore.open(sys.argv[1])\n"
        "except koko.StorageError as err:\n"
        "    print('StorageError', err)\n"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=60)
    # One line that names the holder (this test's process) and what to do instead.
    assert result.stdout.startswith("StorageError") and "open in another process" in result.stdout, result.stdout
    assert f"(process {os.getpid()}," in result.stdout, result.stdout
    assert [b.title for b in held.books()] == ["Emma"]


def test_a_rental_opened_now_reads_back_exactly(store: koko.BookStore) -> None:
    # The clock's time must survive the trip through a Python datetime (microseconds): 72 h later is 3 days.
    book = store.add_book(title="Dune", author="Frank Herbert", category="regular")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id)
    assert store.rental(rental.id).rented_at == rental.rented_at
    receipt = store.return_rental(rental_id=rental.id, at=rental.rented_at + timedelta(hours=72))
    assert (receipt.charge.days, receipt.charge.total) == (3, Decimal("3.50"))


@pytest.mark.parametrize(
    "make,field",
    [
        (lambda path: koko.BookStore.memory(plan="story3"), "plan"),
        (lambda path: koko.BookStore.open(path, plan=3), "plan"),
        (lambda path: koko.BookStore.open(path, durability=1), "durability"),
        (lambda path: koko.BookStore.open(path, durability="eventually"), "durability"),
        (lambda path: koko.BookStore.open(path, durability="interval", flush_interval_ms="500"), "flush_interval_ms"),
        (lambda path: koko.BookStore.open(path, durability="interval", flush_interval_ms=-1), "flush_interval_ms"),
        (lambda path: koko.BookStore.connect("host=127.0.0.1 port=1", pool_size=2.5), "pool_size"),
        (lambda path: koko.BookStore.connect("host=127.0.0.1 port=1", plan=koko.PricePlan), "plan"),
    ],
)
def test_store_options_of_the_wrong_type_are_invalid_input(make: Any, field: str, tmp_path: Path) -> None:
    with pytest.raises(koko.InvalidInput) as raised:
        make(tmp_path / "store")
    assert raised.value.field == field


def test_store_options_keep_their_defaults_when_none(tmp_path: Path) -> None:
    store = koko.BookStore.open(tmp_path / "store", plan=None, durability=None, flush_interval_ms=None)
    assert store.current_plan().name == "story3"


def test_close_releases_a_sled_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with koko.BookStore.open(path) as store:
        book = store.add_book(title="Emma", author="Jane Austen", category="novel")
        assert not store.closed
    assert store.closed and repr(store) == "BookStore(closed)"
    with pytest.raises(koko.StorageError, match="closed"):
        store.books()
    with pytest.raises(koko.StorageError):
        store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    store.close()  # closing twice does nothing
    # The directory lock is gone: the same process opens it again at once, no garbage collection needed.
    reopened = koko.BookStore.open(path)
    assert reopened.books() == [book]
    reopened.close()


def test_a_with_block_closes_on_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with pytest.raises(koko.NotFound):
        with koko.BookStore.open(path) as store:
            store.book(42)
    assert store.closed
    koko.BookStore.open(path).close()


def test_close_waits_for_operations_in_progress(tmp_path: Path) -> None:
    store = koko.BookStore.open(tmp_path / "store")
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=200)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    outcomes: List[str] = []

    def renter() -> None:
        for _ in range(50):
            try:
                store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3))
                outcomes.append("rented")
            except koko.StorageError:
                outcomes.append("closed")

    threads = [threading.Thread(target=renter) for _ in range(4)]
    for t in threads:
        t.start()
    store.close()
    for t in threads:
        t.join()
    assert len(outcomes) == 200 and set(outcomes) <= {"rented", "closed"}
    rented = outcomes.count("rented")
    with koko.BookStore.open(tmp_path / "store") as again:
        assert len(again.active_rentals()) == rented  # every acknowledged rent is stored, no other
