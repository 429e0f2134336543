#!/usr/bin/env python3
"""Koko's Python binding on sled vs a Django ORM baseline on SQLite, rent and close, measured side by side.

The baseline behaves like the original API: renting checks the customer, finds an available copy of the book, creates
the ``Rental`` row and marks the copy rented; closing sets ``date_returned``, ``Rental.save`` computes the story 3
charge with ``decimal.Decimal`` and stores it, and the copy is marked available again. It runs on an SQLite file
(Django's defaults: rollback journal, ``synchronous=FULL``) in autocommit (every write commits) and in one
transaction (``transaction.atomic()`` around the whole batch). Koko runs on sled with ``durability="interval"``
(flushed every 500 ms) and ``durability="commit"`` (every call on disk before it returns); each call commits alone.
Last, the batch API on durable sled: the n rents as one ``koko.Batch`` and the n returns as another (two commits).

Each batch is n rent+close cycles one by one (``--outstanding``: rent all n, then close all n, so n copies are out at
once); rent and close are timed apart. Prints the rates and the ratios koko/baseline. Both sides must agree on every
charge before timing. ``--quick`` runs a small smoke test (no timing claims). Needs Django (``target/django-venv``).

    target/django-venv/bin/python benches/compare/django_rentals.py [--quick] [--n 4000] [--outstanding]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import types
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, ContextManager, Dict, List, Protocol, Tuple

import django
import koko
from django.apps import AppConfig
from django.conf import settings
from story3_reference import story3_charge

CATEGORIES = ("regular", "fiction", "novel")
BOOKS = [(category, j) for category in CATEGORIES for j in range(4)]
T0 = datetime(2024, 6, 3, 10, 0, tzinfo=timezone.utc)


def returned_at(i: int) -> datetime:
    """The fixed return time of the i-th rental of a batch (each is rented at ``T0``): 0-9 days and some hours."""
    return T0 + timedelta(days=i % 10, hours=(7 * i) % 24, minutes=i % 60)


def expected_charge(i: int) -> Decimal:
    """The charge of the i-th rental of a batch (book ``i % len(BOOKS)``)."""
    return story3_charge(BOOKS[i % len(BOOKS)][0], T0, returned_at(i))


class Rentals(Protocol):
    """One side of the comparison, seeded with the same customer and books."""

    def rent(self, i: int) -> int: ...  # rents a copy of book ``i % len(BOOKS)`` at ``T0``; the rental id
    def close(self, rental_id: int, at: datetime) -> Decimal: ...  # closes it; the charge


def setup_django(db_path: Path) -> Any:
    """Configure Django on an SQLite file with an in-process app ``benchbaseline``; create its tables. Returns the
    ``Rental`` model (its ``copy``, ``copy.book`` and ``customer`` lead to the others)."""
    module = types.ModuleType("benchbaseline")

    class BenchBaselineConfig(AppConfig):
        name = label = "benchbaseline"
        path = str(db_path.parent)

    module.BenchBaselineConfig = BenchBaselineConfig  # type: ignore[attr-defined]
    sys.modules["benchbaseline"] = module
    settings.configure(
        DEBUG=False,
        USE_TZ=True,
        TIME_ZONE="UTC",
        INSTALLED_APPS=["benchbaseline.BenchBaselineConfig"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db_path)}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    django.setup()
    from django.db import connection, models

    class Base(models.Model):
        class Meta:
            abstract = True
            app_label = "benchbaseline"

    class Book(Base):
        title = models.CharField(max_length=200)
        category = models.CharField(max_length=20)

    class Copy(Base):
        book = models.ForeignKey(Book, on_delete=models.CASCADE)
        available = models.BooleanField(default=True)

    class Customer(Base):
        first_name = models.CharField(max_length=100)
        active = models.BooleanField(default=True)

    class Rental(Base):
        copy = models.ForeignKey(Copy, on_delete=models.PROTECT)
        customer = models.ForeignKey(Customer, on_delete=models.PROTECT)
        date_rented = models.DateTimeField()
        date_returned = models.DateTimeField(null=True)
        charge = models.DecimalField(max_digits=10, decimal_places=2, null=True)

        def save(self, *args: Any, **kwargs: Any) -> None:
            """The original API's pricing: the charge is computed when ``date_returned`` is set."""
            if self.date_returned is not None and self.charge is None:
                self.charge = story3_charge(self.copy.book.category, self.date_rented, self.date_returned)
            super().save(*args, **kwargs)

    with connection.schema_editor() as editor:
        for model in (Book, Copy, Customer, Rental):
            editor.create_model(model)
    return Rental


class DjangoRentals:
    """The baseline: the original API's rent and close views, minus HTTP."""

    def __init__(self, rental_model: Any, copies: int) -> None:
        self.Rental = rental_model
        self.Copy = rental_model.copy.field.related_model
        self.Book = self.Copy.book.field.related_model
        self.Customer = rental_model.customer.field.related_model
        self.customer_id = self.Customer.objects.create(first_name="Ada").pk
        self.book_ids = [self.Book.objects.create(title=f"{c} {j}", category=c).pk for c, j in BOOKS]
        self.Copy.objects.bulk_create([self.Copy(book_id=b) for b in self.book_ids for _ in range(copies)])

    def rent(self, i: int) -> int:
        customer = self.Customer.objects.get(pk=self.customer_id)
        if not customer.active:
            raise PermissionError("Customer is inactive and cannot rent")
        book = self.Book.objects.get(pk=self.book_ids[i % len(BOOKS)])
        copy = self.Copy.objects.filter(book=book, available=True).first()
        if copy is None:
            raise LookupError("Book is unavailable")
        rental = self.Rental.objects.create(copy=copy, customer=customer, date_rented=T0)
        copy.available = False
        copy.save()
        return int(rental.pk)

    def close(self, rental_id: int, at: datetime) -> Decimal:
        rental = self.Rental.objects.get(pk=rental_id)
        if rental.date_returned is not None:
            raise ValueError("Rental is already closed")
        rental.date_returned = at
        rental.save()
        rental.copy.available = True
        rental.copy.save()
        return Decimal(rental.charge)


class KokoRentals:
    """Koko: one ``rent`` and one ``return_rental`` call, as the Django example app makes them."""

    def __init__(self, store: koko.BookStore, copies: int) -> None:
        self.store = store
        self.customer_id = store.register_customer(first_name="Ada", last_name="Lovelace").id
        self.book_ids = [store.add_book(title=f"{c} {j}", author="A", category=c, copies=copies).id for c, j in BOOKS]

    def rent(self, i: int) -> int:
        return self.store.rent(customer_id=self.customer_id, book_id=self.book_ids[i % len(BOOKS)], at=T0).id

    def close(self, rental_id: int, at: datetime) -> Decimal:
        return self.store.return_rental(rental_id=rental_id, at=at).charge.total


def koko_batches(side: KokoRentals, n: int) -> Tuple[float, float]:
    """n rents as one ``koko.Batch``, then their n returns as another: two commits (two syncs on durable sled) for
    the whole batch. Returns the time spent renting and closing. Checks every charge."""
    clock = time.perf_counter
    rents = koko.Batch()
    for i in range(n):
        rents.rent(customer_id=side.customer_id, book_id=side.book_ids[i % len(BOOKS)], at=T0)
    start = clock()
    rentals = side.store.apply_batch(rents)
    middle = clock()
    returns = koko.Batch()
    for i, rental in enumerate(rentals):
        assert isinstance(rental, koko.Rental), rental
        returns.return_rental(rental_id=rental.id, at=returned_at(i))
    middle_end = clock()
    receipts = side.store.apply_batch(returns)
    end = clock()
    charges = [r.charge.total for r in receipts if isinstance(r, koko.Receipt)]
    assert charges == [expected_charge(i) for i in range(n)], "the batch charged differently from story 3"
    return middle - start, end - middle_end


def batch(side: Rentals, n: int, wrap: Callable[[], ContextManager[Any]], outstanding: bool) -> Tuple[float, float]:
    """n rents and closes inside one ``wrap()``; returns the time spent renting and closing. Checks every charge."""
    clock = time.perf_counter
    t_rent = t_close = 0.0
    with wrap():
        if outstanding:
            start = clock()
            ids = [side.rent(i) for i in range(n)]
            middle = clock()
            charges = [side.close(rental_id, returned_at(i)) for i, rental_id in enumerate(ids)]
            t_rent, t_close = middle - start, clock() - middle
        else:
            charges = []
            for i in range(n):
                start = clock()
                rental_id = side.rent(i)
                middle = clock()
                charges.append(side.close(rental_id, returned_at(i)))
                t_rent, t_close = t_rent + middle - start, t_close + clock() - middle
    assert charges == [expected_charge(i) for i in range(n)], "a side charged differently from story 3"
    return t_rent, t_close


def best_of(repeats: int, run: Callable[[], Tuple[float, float]]) -> Tuple[float, float]:
    """The best rent time and the best close time over ``repeats`` runs."""
    runs = [run() for _ in range(repeats)]
    return min(r for r, _ in runs), min(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--n", type=int, default=4_000, help="rentals per batch (durable variants: n/10)")
    parser.add_argument("--outstanding", action="store_true", help="rent the whole batch, then close it")
    args = parser.parse_args()
    n = 60 if args.quick else args.n
    n_durable = n if args.quick else max(n // 10, 30)
    repeats = 1 if args.quick else 3
    copies = -(-max(n, 60) // len(BOOKS))
    out = args.outstanding
    results: Dict[str, Tuple[int, float, float]] = {}

    with tempfile.TemporaryDirectory(prefix="koko-django-bench-") as tmp:
        baseline = DjangoRentals(setup_django(Path(tmp) / "baseline.sqlite3"), copies)
        from django.db import connection, transaction

        for mode in ("interval", "commit"):
            store = koko.BookStore.open(Path(tmp) / f"sled-{mode}", plan=koko.PricePlan.story3(), durability=mode)
            side = KokoRentals(store, copies)
            if mode == "interval":  # both sides charge story 3 on the same rentals before anything is timed
                batch(side, 60, nullcontext, out)
                batch(baseline, 60, transaction.atomic, out)
            size = n if mode == "interval" else n_durable
            results[f"koko sled, durability={mode}"] = (size, *best_of(
                repeats, lambda: batch(side, size, nullcontext, out)))
            if mode == "commit":
                results["koko sled, commit, batch API"] = (n, *best_of(repeats, lambda: koko_batches(side, n)))
            store.flush()
            del side, store  # releases sled's directory lock before the temp dir goes
        results["Django ORM, one transaction"] = (n, *best_of(
            repeats, lambda: batch(baseline, n, transaction.atomic, out)))
        results["Django ORM, autocommit"] = (n_durable, *best_of(
            repeats, lambda: batch(baseline, n_durable, nullcontext, out)))
        connection.close()

    rate = {k: (s / r, s / c, s / (r + c)) for k, (s, r, c) in results.items()}
    pattern = "rent all, then close all" if out else "rent+close cycles one by one"
    print(f"rent and close, story 3, {pattern}, best of {repeats} (one run, side by side):")
    print(f"  {'variant':<32}{'n':>6}{'rent/s':>10}{'close/s':>10}{'rent+close/s':>14}")
    for name, (size, _, _) in results.items():
        print(f"  {name:<32}{size:>6}" + "".join(f"{x:>{w},.0f}" for x, w in zip(rate[name], (10, 10, 14))))
    print("ratios koko/baseline:                        rent     close  rent+close")
    for mode, base in [("interval", "one transaction"), ("interval", "autocommit"), ("commit", "autocommit"),
                       ("commit", "one transaction")]:
        k, d = rate[f"koko sled, durability={mode}"], rate[f"Django ORM, {base}"]
        print(f"  koko {mode:<8} vs Django {base:<15}" + "".join(f"{a / b:9.1f}x" for a, b in zip(k, d)))
    k, d = rate["koko sled, commit, batch API"], rate["Django ORM, one transaction"]
    print("  koko batch API (durable) vs Django one transaction" + "".join(f"{a / b:9.1f}x" for a, b in zip(k, d)))
    ratio = k[2] / d[2]
    verdict = "not judged (--quick: a smoke run; the figures mean nothing)" if args.quick else (
        "met" if ratio >= 50 else "not met")
    print(f"target: {n} rent+close cycles, koko batch API on durable sled >= 50x Django one transaction: "
          f"{ratio:.1f}x, {verdict}")


if __name__ == "__main__":
    main()
