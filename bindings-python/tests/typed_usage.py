"""A typed sample of the koko API, checked by mypy --strict in test_typing.py (it is not run)."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import List, Optional

import koko


def price_of(plan: koko.PricePlan, category: str, days: int) -> Decimal:
    quote: koko.Quote = plan.quote_days(category, days)
    lines: List[koko.QuoteLine] = quote.lines
    return sum((line.amount for line in lines), Decimal(0))


def rent_and_return(store: koko.BookStore) -> Optional[Decimal]:
    book: koko.Book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=2)
    customer: koko.Customer = store.register_customer(first_name="Ada", last_name="Lovelace")
    at = datetime(2024, 6, 1, tzinfo=timezone.utc)
    rental: koko.Rental = store.rent(customer_id=customer.id, book_id=book.id, at=at)
    try:
        receipt: koko.Receipt = store.return_rental(rental_id=rental.id)
    except koko.AlreadyReturned as err:
        print(err.kind)
        return None
    batch: List[Decimal] = koko.PricePlan.story3().quote_many(["novel", "regular"], [2, 5])
    print(batch, receipt.charge.currency)
    return receipt.charge.total


def drop_box(store: koko.BookStore, copy_ids: List[int]) -> List[Decimal]:
    batch = koko.Batch()
    for copy_id in copy_ids:
        batch.return_copy(copy_id=copy_id, at=datetime(2024, 6, 3, tzinfo=timezone.utc))
    totals: List[Decimal] = []
    for result in store.apply_batch(batch):
        if isinstance(result, koko.KokoError):
            print(result.kind)
        elif isinstance(result, koko.Receipt):
            totals.append(result.charge.total)
    return totals


def wrong_field_types(plan: koko.PricePlan) -> None:
    name: Optional[str] = plan.name
    categories: List[str] = plan.categories
    print(name, categories)
