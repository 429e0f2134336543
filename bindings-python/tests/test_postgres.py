"""koko.BookStore.connect on a real PostgreSQL server (KOKO_TEST_POSTGRES, started by scripts/test).

Each test gets a fresh database. The race runs 8 OS processes against one database.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import threading
import time
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Dict, List, Tuple

import pytest

import koko
from conftest import utc

SERVER = os.environ.get("KOKO_TEST_POSTGRES")
pytestmark = pytest.mark.skipif(not SERVER, reason="KOKO_TEST_POSTGRES names no PostgreSQL server")
_counter = iter(range(10**6))


@pytest.fixture
def database() -> str:
    """A fresh, empty database on the test server; returns its connection string."""
    name = f"koko_py_{os.getpid()}_{next(_counter)}"
    subprocess.run(["psql", str(SERVER), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return f"{SERVER} dbname={name}"


def test_connect_rent_and_return(database: str) -> None:
    store = koko.BookStore.connect(database)
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=2)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1, 10))
    with pytest.raises(koko.Duplicate):
        store.add_book(title="EMMA", author="Someone", category="regular")
    receipt = store.return_rental(rental_id=rental.id, at=utc(2024, 6, 4, 10))
    assert receipt.charge.total == Decimal("4.50")
    with pytest.raises(koko.AlreadyReturned):
        store.return_rental(rental_id=rental.id, at=utc(2024, 6, 5))
    # A second handle (another pool) sees everything, and the schema is not migrated twice.
    other = koko.BookStore.connect(database)
    assert other.rental(rental.id) == receipt.rental
    assert len(other.plan_versions()) == 1


def test_bad_connection_strings_are_typed_errors() -> None:
    with pytest.raises(koko.InvalidInput) as info:
        koko.BookStore.connect("not a url at all ===")
    assert info.value.field == "url"
    with pytest.raises(koko.InvalidInput):
        koko.BookStore.connect(None)  # type: ignore[arg-type]


HOSTILE = [
    "Robert'); DROP TABLE koko_books; --",
    'O"Brien; SELECT 1; --',
    "'' OR 1=1 --",
    "semi;colon -- comment /* block */",
    "back\\slash and $1 placeholder",
    "Ünïcødé — “quotes” ‘single’",
]


def test_hostile_text_round_trips_unchanged(database: str) -> None:
    store = koko.BookStore.connect(database)
    books = [store.add_book(title=text, author=text, category="regular") for text in HOSTILE]
    customers = [store.register_customer(first_name=text, last_name=text) for text in HOSTILE]
    reopened = koko.BookStore.connect(database)
    assert [b.title for b in reopened.books()] == HOSTILE
    assert [b.author for b in reopened.books()] == HOSTILE
    assert [(c.first_name, c.last_name) for c in reopened.customers()] == [(t, t) for t in HOSTILE]
    assert [reopened.book(b.id) for b in books] == books
    # The tables are all still there and usable.
    rental = reopened.rent(customer_id=customers[0].id, book_id=books[0].id, at=utc(2024, 6, 1))
    assert reopened.return_rental(rental_id=rental.id, at=utc(2024, 6, 3)).charge.total == Decimal("2.00")
    with pytest.raises(koko.Duplicate):
        reopened.add_book(title=HOSTILE[0].upper(), author="x", category="regular")


PROCESSES = 8
BOOKS = 50
ATTEMPTS = 10_000


def _race(args: Tuple[str, int, List[int], int]) -> Tuple[int, int, List[Tuple[int, int, int, int]]]:
    """One OS process: rent random books, hold each briefly, return it. Records (copy, rental, held_from, held_to)
    on the system-wide monotonic clock, taken after the rent returned and before the return was sent."""
    url, customer, books, seed = args
    store = koko.BookStore.connect(url, pool_size=2)
    rng = random.Random(seed)
    start = utc(2024, 6, 1)
    rented = unavailable = 0
    held: List[Tuple[int, int, int, int]] = []
    for _ in range(ATTEMPTS // PROCESSES):
        try:
            rental = store.rent(customer_id=customer, book_id=rng.choice(books), at=start)
        except koko.Unavailable:
            unavailable += 1
            continue
        held_from = time.monotonic_ns()
        rented += 1
        time.sleep(rng.random() / 1000)  # hold it up to 1 ms, so a double rental would overlap a real window
        held_to = time.monotonic_ns()
        store.return_rental(rental_id=rental.id, at=start + timedelta(days=2))
        held.append((rental.copy_id, rental.id, held_from, held_to))
    return rented, unavailable, held


def test_eight_processes_racing_never_double_rent(database: str) -> None:
    store = koko.BookStore.connect(database)
    books = [store.add_book(title=f"Book {i}", author="A", category="regular").id for i in range(BOOKS)]
    customers = [store.register_customer(first_name=f"P{i}", last_name="X").id for i in range(PROCESSES)]
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        results = pool.map(_race, [(database, customers[i], books, i) for i in range(PROCESSES)])
    rented = sum(r for r, _, _ in results)
    unavailable = sum(u for _, u, _ in results)
    per_copy: Dict[int, List[Tuple[int, int]]] = defaultdict(list)
    for _, _, held in results:
        for copy_id, _, held_from, held_to in held:
            per_copy[copy_id].append((held_from, held_to))
    doubles = 0
    for spans in per_copy.values():
        spans.sort()
        doubles += sum(1 for (a, b), (c, d) in zip(spans, spans[1:]) if c < b)
    print(f"postgres race: {PROCESSES} processes, {BOOKS} single-copy books, {rented + unavailable} attempts: "
          f"{rented} rented and returned, {unavailable} unavailable, {doubles} double rentals")
    assert rented + unavailable == ATTEMPTS
    assert unavailable > 0, "the processes must actually contend"
    assert doubles == 0
    assert store.active_rentals() == []
    assert all(c.status == "available" for b in books for c in store.copies(b))
    assert len(store.rentals()) == rented


def test_a_consumer_follows_eight_writing_processes_and_sees_every_event_once_in_order(database: str) -> None:
    """While 8 OS processes rent and return, a consumer follows the feed from its checkpoint, page by page: every
    position it reads is the one after the last it read (a gap filled later would show as a skipped position), and
    afterwards the feed holds exactly the events of what was stored: the plan, the books, the customers, and per
    rent and return rental.opened, rental.closed and ledger.posted (a refused rent appends nothing)."""
    store = koko.BookStore.connect(database)
    books = [store.add_book(title=f"Book {i}", author="A", category="regular").id for i in range(BOOKS)]
    customers = [store.register_customer(first_name=f"P{i}", last_name="X").id for i in range(PROCESSES)]
    follower = koko.BookStore.connect(database, pool_size=1)
    seen: List[Tuple[int, str]] = []
    problems: List[str] = []
    done = threading.Event()

    def follow() -> None:
        after = 0
        while True:
            finished = done.is_set()  # read before the page: a page read after the writers ended sees all
            page = follower.events(after=after, limit=100)
            for event in page:
                if event.position != after + 1:
                    problems.append(f"after position {after} the feed gave {event.position}")
                after = event.position
                seen.append((event.position, event.type))
            if page:
                follower.set_checkpoint("race-follower", after)
            elif finished:
                return
            else:
                time.sleep(0.002)

    reader = threading.Thread(target=follow)
    reader.start()
    context = multiprocessing.get_context("spawn")
    try:
        with context.Pool(PROCESSES) as pool:
            results = pool.map(_race, [(database, customers[i], books, i) for i in range(PROCESSES)])
    finally:
        done.set()
        reader.join(60)
    rented = sum(r for r, _, _ in results)
    assert problems == []
    expected = 1 + BOOKS + PROCESSES + 3 * rented
    print(f"postgres feed: {PROCESSES} processes wrote {rented} rent+return cycles; the consumer followed "
          f"{len(seen)} events, positions 1..{len(seen)}, none skipped, none twice")
    assert [p for p, _ in seen] == list(range(1, expected + 1))
    kinds = defaultdict(int)
    for _, kind in seen:
        kinds[kind] += 1
    assert dict(kinds) == {"plan.published": 1, "book.added": BOOKS, "customer.registered": PROCESSES,
                           "rental.opened": rented, "rental.closed": rented, "ledger.posted": rented}
    assert store.checkpoint("race-follower") == expected


def test_accounts_and_one_key_from_eight_connections(database: str) -> None:
    store = koko.BookStore.connect(database)
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=3)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    handles = [koko.BookStore.connect(database, pool_size=1) for _ in range(8)]
    start = threading.Barrier(len(handles))
    answers: List[object] = []

    def rent(handle: koko.BookStore) -> None:
        start.wait()
        try:
            answers.append(handle.rent(customer_id=ada.id, book_id=book.id, idempotency_key="k"))
        except koko.KokoError as err:  # collected: the assertion below shows it
            answers.append(err)

    threads = [threading.Thread(target=rent, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rentals = [a for a in answers if isinstance(a, koko.Rental)]
    assert len(rentals) == len(handles) and len({r.id for r in rentals}) == 1, answers
    assert len(store.rentals()) == 1 and store.available_copies(book.id) == 2
    [rental] = store.rentals()
    receipt = store.return_rental(rental_id=rental.id, at=rental.rented_at + timedelta(days=2))
    assert receipt.balance == Decimal("6.00")
    entry = store.pay(customer_id=ada.id, amount="6.00", note="card", idempotency_key="pay")
    assert store.pay(customer_id=ada.id, amount="6.00", note="card", idempotency_key="pay") == entry
    account = koko.BookStore.connect(database).account(ada.id)
    assert str(account.balance) == "0.00"
    assert [(e.kind, str(e.amount)) for e in account.entries] == [("charge", "6.00"), ("payment", "6.00")]


def _rent_for_one_customer(args: Tuple[str, int, int, int]) -> Tuple[int, int]:
    """One OS process: `attempts` rents of one book for one customer; counts the rentals and the refusals."""
    url, customer, book, attempts = args
    store = koko.BookStore.connect(url, pool_size=1)
    rented = blocked = 0
    for _ in range(attempts):
        try:
            store.rent(customer_id=customer, book_id=book, at=utc(2024, 6, 1, 10))
            rented += 1
        except koko.Blocked as err:
            assert err.rule == "limits.max_open_rentals", err
            blocked += 1
    return rented, blocked


def test_six_processes_renting_for_one_customer_never_pass_the_limit(database: str) -> None:
    document = json.loads(koko.PricePlan.story3().to_json())
    document["limits"] = {"max_open_rentals": 3}
    store = koko.BookStore.connect(database, plan=koko.PricePlan.from_json(json.dumps(document)))
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=40)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    context = multiprocessing.get_context("spawn")
    with context.Pool(6) as pool:
        results = pool.map(_rent_for_one_customer, [(database, ada.id, book.id, 5)] * 6)
    assert (sum(r for r, _ in results), sum(b for _, b in results)) == (3, 27), results
    assert len(store.active_rentals()) == 3
    assert store.available_copies(book.id) == 37
