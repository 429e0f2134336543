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
        renewed: List[datetime] = store.renew(rental_id=rental.id, idempotency_key="renew-1").renewals
        print(renewed)
    except koko.Blocked as refused:
        print(refused.rule)
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


def renewed_quote(plan: koko.PricePlan, rented_at: datetime, returned_at: datetime) -> Decimal:
    due: Optional[datetime] = plan.due_at("regular", rented_at)
    quote: koko.Quote = plan.quote("regular", rented_at, returned_at, due_at=due)
    return quote.total


def wrong_field_types(plan: koko.PricePlan) -> None:
    name: Optional[str] = plan.name
    categories: List[str] = plan.categories
    print(name, categories)


def settle(store: koko.BookStore, customer_id: int) -> Decimal:
    at = datetime(2024, 6, 1, tzinfo=timezone.utc)
    account: koko.Account = store.account(customer_id)
    owed: Decimal = account.balance
    currency: Optional[str] = account.currency
    block: Optional[koko.Block] = account.block
    if block is not None:
        until: Optional[datetime] = block.until
        print(block.reason, block.since, until)
    entry: koko.LedgerEntry = store.pay(
        customer_id=customer_id, amount=owed, at=at, note="cash", currency=currency, idempotency_key="pay-1"
    )
    store.pay(customer_id=customer_id, amount="1.50")
    store.pay(customer_id=customer_id, amount=2)
    kinds: List[str] = [e.kind for e in account.entries]
    rental: Optional[int] = entry.rental_id
    print(kinds, rental, entry.note, entry.currency, entry.at, entry.id, entry.customer_id)
    store.waive(customer_id=customer_id, amount=Decimal("1.00"), reason="goodwill")
    store.refund(customer_id=customer_id, amount="0.50", reason="cash back", at=at, idempotency_key="refund-1")
    store.post_fee(customer_id=customer_id, amount="3.00", reason="lost card", rental_id=None)
    new_block: koko.Block = store.block_customer(customer_id, reason="lost card", until=at)
    print(new_block)
    store.unblock_customer(customer_id, idempotency_key="unblock-1")
    statement: koko.Statement = store.statement(customer_id, at, at)
    lines: List[koko.LedgerEntry] = statement.entries
    print(statement.opening_balance + statement.closing_balance, lines)
    aged: List[koko.AgedBalance] = store.aged_balances(as_of=at)
    over_90: Decimal = sum((row.days_over_90 for row in aged), Decimal(0))
    pruned: int = store.prune_idempotency_keys(at)
    print(over_90, pruned)
    try:
        rented: koko.Rental = store.rent(customer_id=customer_id, book_id=1, idempotency_key="rent-1")
        receipt: koko.Receipt = store.return_rental(rental_id=rented.id, idempotency_key="return-1")
    except koko.Blocked as err:
        rule: Optional[str] = err.rule
        print(rule, err.reason)
        return owed
    return receipt.balance


def circulation(store: koko.BookStore, customer_id: int, book_id: int) -> List[str]:
    at = datetime(2024, 6, 1, tzinfo=timezone.utc)
    hold: koko.Hold = store.place_hold(customer_id=customer_id, book_id=book_id, at=at, idempotency_key="hold-1")
    position: Optional[int] = hold.position
    ready_until: Optional[datetime] = store.hold(hold.id).ready_until
    queue: List[koko.Hold] = store.holds(book_id)
    mine: List[koko.Hold] = store.customer_holds(customer_id)
    expired: List[koko.Hold] = store.expire_holds()
    cancelled: koko.Hold = store.cancel_hold(hold.id, at=at)
    print(position, ready_until, queue, mine, expired, cancelled.status, cancelled.closed_at)
    rental = store.rent(customer_id=customer_id, book_id=book_id)
    lost: koko.Receipt = store.declare_lost(rental_id=rental.id, idempotency_key="lost-1")
    print(lost.rental.lost, lost.balance)
    found: koko.Found = store.mark_found(copy_id=rental.copy_id)
    credit: Optional[koko.LedgerEntry] = found.credit
    print(found.copy.status, credit)
    again = store.rent(customer_id=customer_id, book_id=book_id)
    store.return_rental(rental_id=again.id, damage_fee=Decimal("3.00"), note="torn cover")
    notices: List[koko.Notice] = store.notices(at)
    amounts: List[Optional[Decimal]] = [n.amount for n in notices]
    sent: int = store.mark_notified([n.key for n in notices], at=at)
    print(amounts, sent)
    batch = koko.Batch()
    batch.place_hold(customer_id=customer_id, book_id=book_id)
    batch.declare_lost(rental_id=rental.id)
    for result in store.apply_batch(batch):
        if isinstance(result, koko.Hold):
            print(result.position)
    return [n.kind for n in notices]


def walk_and_close(path: str) -> int:
    with koko.BookStore.open(path) as store:
        titles: List[str] = [book.title for book in store.iter_books(page_size=100)]
        walk: koko.KeysetIterator[koko.Rental] = store.iter_rentals(status="active", customer_id=1)
        late: List[Decimal] = [r.charge.total for r in walk if r.charge is not None]
        emails = {c.email for c in store.iter_customers(after=10)}
        seen = {store.book(1), store.book(2)}
        print(titles, late, emails, seen)
    try:
        store.books()
    except koko.StoreClosed as closed:
        print(closed.kind)
    plans = {koko.PricePlan.story1(), koko.PricePlan.story3()}
    return len(plans)


def export_to(store: koko.BookStore, path: str) -> int:
    chunks = store.export_csv_chunks("ledger", chunk_size=1 << 16)
    with open(path, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    kind: str = chunks.kind
    return chunks.rows + len(kind) * 0
