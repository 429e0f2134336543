"""Backups, restores and migrations from Python (issue 17): ``store.backup(path)`` from the process that holds
the store, ``BookStore.restore(path, location)`` into an empty store, ``store.migrate_to(location)``; broken dumps
and full targets are typed errors. On PostgreSQL (KOKO_TEST_POSTGRES): a migration from sled, and a replica that is
down costs nothing (reads fall back to the primary)."""

from __future__ import annotations

import itertools
import os
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

import koko
from conftest import utc


def populated(store: koko.BookStore) -> koko.BookStore:
    emma = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=2)
    dune = store.add_book(title="Dune", author="Frank Herbert", category="fiction", isbn="9780441013593")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    bob = store.register_customer(first_name="Bob", last_name="Dylan")
    first = store.rent(customer_id=ada.id, book_id=emma.id, at=utc(2024, 6, 3, 10))
    store.return_rental(rental_id=first.id, at=utc(2024, 6, 5, 10))
    store.rent(customer_id=bob.id, book_id=dune.id, at=utc(2024, 6, 4, 10))
    store.pay(customer_id=ada.id, amount=Decimal("1.00"), at=utc(2024, 6, 6, 10))
    store.place_hold(customer_id=ada.id, book_id=dune.id, at=utc(2024, 6, 6, 11))
    return store


def snapshot(store: koko.BookStore) -> tuple:
    return (
        store.books(),
        store.customers(),
        store.rentals(),
        [store.account(c.id) for c in store.customers()],
        store.plan_versions(),
    )


def test_backup_then_restore_gives_the_same_store(tmp_path: Path) -> None:
    store = populated(koko.BookStore.memory())
    counts = store.backup(tmp_path / "koko.dump")
    # Hand count: 1 plan version, 2 books, 3 copies, 2 customers, 2 rentals, a charge and a payment, 1 hold; the
    # event feed's last position, and its 11 events: plan published, 2 books added, 2 customers registered, rental
    # opened, closed and its charge posted, Bob's rental opened, the payment posted, the hold placed.
    assert counts == {"plan_version": 1, "book": 2, "copy": 3, "customer": 2, "rental": 2, "entry": 2, "hold": 1,
                      "feed": 1, "event": 11}
    header = (tmp_path / "koko.dump").read_text().splitlines()[0]
    assert '"koko_dump":1' in header
    copy = koko.BookStore.restore(tmp_path / "koko.dump", str(tmp_path / "restored"))
    assert snapshot(copy) == snapshot(store)
    # It goes on where the original stopped: the next ids follow.
    assert copy.add_book(title="Middlemarch", author="George Eliot", category="novel").id == 3
    copy.close()
    with koko.BookStore.open(tmp_path / "restored") as reopened:
        assert len(reopened.books()) == 3


def test_a_sled_store_is_backed_up_by_the_process_that_holds_it(tmp_path: Path) -> None:
    with koko.BookStore.open(tmp_path / "live") as store:
        populated(store)
        store.backup(tmp_path / "live.dump")  # the directory is locked to this process: only it can
        store.add_book(title="After", author="A", category="novel")  # the store goes on serving
        restored = koko.BookStore.restore(tmp_path / "live.dump", "memory")
        assert [b.title for b in restored.books()] == ["Emma", "Dune"]


def test_migrate_to_copies_and_verifies(tmp_path: Path) -> None:
    with koko.BookStore.open(tmp_path / "source") as store:
        populated(store)
        moved = store.migrate_to(f"sled:{tmp_path / 'target'}")
        assert moved["rental"] == 2
        expected = snapshot(store)
    with koko.BookStore.open(tmp_path / "target") as target:
        assert snapshot(target) == expected


def test_broken_dumps_and_full_targets_are_typed_errors(tmp_path: Path) -> None:
    store = populated(koko.BookStore.memory())
    dump = tmp_path / "koko.dump"
    store.backup(dump)
    lines = dump.read_text().splitlines()
    truncated = tmp_path / "truncated.dump"
    truncated.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(koko.InvalidInput) as info:
        koko.BookStore.restore(truncated, "memory")
    assert info.value.field == "dump" and "truncated" in str(info.value)
    newer = tmp_path / "newer.dump"
    newer.write_text(dump.read_text().replace('"koko_dump":1', '"koko_dump":9', 1))
    with pytest.raises(koko.InvalidInput, match="upgrade Koko"):
        koko.BookStore.restore(newer, "memory")
    with koko.BookStore.open(tmp_path / "full") as full:  # a store opened with a plan is not empty
        pass
    with pytest.raises(koko.InvalidInput) as info:
        koko.BookStore.restore(dump, str(tmp_path / "full"))
    assert info.value.field == "target"
    with pytest.raises(koko.InvalidInput) as info:
        store.migrate_to(str(tmp_path / "full"))
    assert info.value.field == "target"
    with pytest.raises(koko.StorageError):
        koko.BookStore.restore(tmp_path / "missing.dump", "memory")
    store.close()
    with pytest.raises(koko.StoreClosed):
        store.backup(tmp_path / "closed.dump")


SERVER = os.environ.get("KOKO_TEST_POSTGRES")
_counter = itertools.count()


def _database() -> str:
    name = f"koko_py_backup_{os.getpid()}_{next(_counter)}"
    subprocess.run(["psql", str(SERVER), "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True, capture_output=True)
    subprocess.run(["psql", str(SERVER), "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
    return f"{SERVER} dbname={name}"


def _url(conninfo: str) -> str:
    parts = dict(kv.split("=", 1) for kv in conninfo.split())
    return f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"


@pytest.mark.skipif(not SERVER, reason="KOKO_TEST_POSTGRES names no PostgreSQL server")
def test_a_sled_store_migrates_to_postgresql(tmp_path: Path) -> None:
    target = _url(_database())
    with koko.BookStore.open(tmp_path / "source") as store:
        populated(store)
        store.migrate_to(target)
        expected = snapshot(store)
    moved = koko.BookStore.connect(target)
    assert snapshot(moved) == expected
    moved.close()


@pytest.mark.skipif(not SERVER, reason="KOKO_TEST_POSTGRES names no PostgreSQL server")
def test_a_replica_that_is_down_leaves_reads_on_the_primary() -> None:
    database = _database()
    down = " ".join("port=1" if kv.startswith("port=") else kv for kv in database.split())
    store = koko.BookStore.connect(database, replica=down, max_replica_lag_ms=500)
    store.add_book(title="Emma", author="Jane Austen", category="novel")
    assert [b.title for b in store.books()] == ["Emma"]
    assert [b.title for b in store.search_books("emma")] == ["Emma"]
    with pytest.raises(koko.InvalidInput) as info:
        koko.BookStore.connect(database, replica="not a url ===")
    assert info.value.field == "replica"
    store.close()
