"""Customer accounts from Python: money arguments, typed errors, receipts with the balance, idempotency keys.

The ledger's rules are the core's (and the shared scenarios cover them); these tests check what the binding adds:
conversions, error mapping, the records, and that every write takes an idempotency key.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

import koko
from conftest import utc

LIMITS_PLAN = """{
  "currency": "USD",
  "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],
                             "late_fee": {"loan_days": 7, "per_day": "0.50"}}},
  "limits": {"max_open_rentals": 1, "max_balance": "5.00", "max_overdue_rentals": 0}
}"""


def owing(store: koko.BookStore, amount: str = "4.50") -> int:
    """A customer who owes ``amount`` (as a fee), and has no credit; returns their id."""
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.post_fee(customer_id=ada.id, amount=amount, reason="damaged cover", at=utc(2024, 6, 1))
    return ada.id


# --- money and other arguments ---


@pytest.mark.parametrize(
    ("amount", "written"),
    [(Decimal("1.50"), "1.50"), ("1.5", "1.50"), (5, "5.00"), (Decimal("1E+1"), "10.00"), (Decimal("2.500"), "2.50")],
)
def test_money_as_decimal_int_or_str(store: koko.BookStore, amount: Any, written: str) -> None:
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    entry = store.pay(customer_id=ada.id, amount=amount, at=utc(2024, 6, 1))
    assert isinstance(entry.amount, Decimal) and str(entry.amount) == written
    assert isinstance(entry.balance_after, Decimal) and entry.balance_after == -Decimal(written)


BAD_PAYMENTS: List[Tuple[str, Dict[str, Any], str]] = [
    ("float", {"amount": 1.5}, "amount"),
    ("NaN", {"amount": Decimal("NaN")}, "amount"),
    ("sNaN", {"amount": Decimal("sNaN")}, "amount"),
    ("Infinity", {"amount": Decimal("Infinity")}, "amount"),
    ("-Infinity", {"amount": Decimal("-Infinity")}, "amount"),
    ("negative", {"amount": Decimal("-1.00")}, "amount"),
    ("negative str", {"amount": "-1.00"}, "amount"),
    ("zero", {"amount": 0}, "amount"),
    ("zero str", {"amount": "0.00"}, "amount"),
    ("3 decimals", {"amount": Decimal("1.001")}, "amount"),
    ("3 decimals str", {"amount": "1.001"}, "amount"),
    ("too large", {"amount": Decimal("1E+30")}, "amount"),
    ("huge int", {"amount": 10**40}, "amount"),
    ("bool", {"amount": True}, "amount"),
    ("None", {"amount": None}, "amount"),
    ("not a number", {"amount": "one fifty"}, "amount"),
    ("empty str", {"amount": ""}, "amount"),
    ("wrong currency", {"currency": "EUR"}, "currency"),
    ("not a currency", {"currency": "XYZ"}, "currency"),
    ("currency not a str", {"currency": 840}, "currency"),
    ("naive at", {"at": datetime(2024, 6, 2)}, "at"),
    ("at as str", {"at": "2024-06-02T00:00:00Z"}, "at"),
    ("customer id as str", {"customer_id": "1"}, "customer_id"),
    ("note not a str", {"note": 7}, "note"),
    ("empty key", {"idempotency_key": ""}, "idempotency_key"),
    ("key too long", {"idempotency_key": "k" * 256}, "idempotency_key"),
    ("key not a str", {"idempotency_key": 7}, "idempotency_key"),
]


@pytest.mark.parametrize(("args", "field"), [(a, f) for _, a, f in BAD_PAYMENTS], ids=[n for n, _, _ in BAD_PAYMENTS])
def test_bad_payment_is_invalid_input_naming_the_field(store: koko.BookStore, args: Dict[str, Any], field: str) -> None:
    customer = owing(store)
    before = store.account(customer)
    call: Dict[str, Any] = {"customer_id": customer, "amount": "1.00", "at": utc(2024, 6, 2), **args}
    with pytest.raises(koko.InvalidInput) as caught:
        store.pay(**call)
    assert caught.value.field == field, caught.value
    assert caught.value.reason
    assert isinstance(caught.value, ValueError)
    assert store.account(customer) == before


BAD_CREDITS: List[Tuple[str, str, Dict[str, Any], str]] = [
    ("waiver above the balance", "waive", {"amount": "4.51"}, "amount"),
    ("waiver float", "waive", {"amount": 1.0}, "amount"),
    ("waiver blank reason", "waive", {"reason": "   "}, "reason"),
    ("waiver reason None", "waive", {"reason": None}, "reason"),
    ("waiver naive at", "waive", {"at": datetime(2024, 6, 2)}, "at"),
    ("refund above the credit", "refund", {"amount": "0.01"}, "amount"),
    ("refund blank reason", "refund", {"reason": ""}, "reason"),
    ("refund NaN", "refund", {"amount": Decimal("NaN")}, "amount"),
    ("fee blank reason", "post_fee", {"reason": " "}, "reason"),
    ("fee zero", "post_fee", {"amount": "0"}, "amount"),
    ("fee 3 decimals", "post_fee", {"amount": "0.125"}, "amount"),
    ("fee rental id as str", "post_fee", {"rental_id": "1"}, "rental_id"),
]


@pytest.mark.parametrize(
    ("method", "args", "field"), [(m, a, f) for _, m, a, f in BAD_CREDITS], ids=[n for n, _, _, _ in BAD_CREDITS]
)
def test_bad_waiver_refund_or_fee(store: koko.BookStore, method: str, args: Dict[str, Any], field: str) -> None:
    customer = owing(store)
    before = store.account(customer)
    call: Dict[str, Any] = {"customer_id": customer, "amount": "1.00", "reason": "goodwill", "at": utc(2024, 6, 2)}
    with pytest.raises(koko.InvalidInput) as caught:
        getattr(store, method)(**{**call, **args})
    assert caught.value.field == field, caught.value
    assert store.account(customer) == before


def test_a_missing_reason_is_a_type_error(store: koko.BookStore) -> None:
    customer = owing(store)
    with pytest.raises(TypeError, match="reason"):
        store.waive(customer_id=customer, amount="1.00")  # type: ignore[call-arg]


def test_other_bad_arguments(store: koko.BookStore) -> None:
    customer = owing(store)
    cases: List[Tuple[Callable[[], Any], str]] = [
        (lambda: store.block_customer(customer, reason="x", at=datetime(2024, 6, 1)), "at"),
        (lambda: store.block_customer(customer, reason="x", until=datetime(2024, 7, 1)), "until"),
        (lambda: store.block_customer(customer, reason="x", at=utc(2024, 6, 2), until=utc(2024, 6, 1)), "until"),
        (lambda: store.block_customer(customer, reason=" "), "reason"),
        (lambda: store.statement(customer, datetime(2024, 1, 1), utc(2024, 2, 1)), "start"),
        (lambda: store.statement(customer, utc(2024, 1, 1), datetime(2024, 2, 1)), "end"),
        (lambda: store.statement(customer, utc(2024, 2, 1), utc(2024, 1, 1)), "end"),
        (lambda: store.aged_balances(datetime(2024, 6, 1)), "as_of"),
        (lambda: store.prune_idempotency_keys(datetime(2024, 6, 1)), "before"),
        (lambda: store.account("1"), "customer_id"),  # type: ignore[arg-type]
        (lambda: store.unblock_customer(0), "customer_id"),
    ]
    for call, field in cases:
        with pytest.raises(koko.InvalidInput) as caught:
            call()
        assert caught.value.field == field, caught.value


def test_unknown_customer_is_not_found(store: koko.BookStore) -> None:
    calls: List[Callable[[], Any]] = [
        lambda: store.account(99),
        lambda: store.pay(customer_id=99, amount="1.00"),
        lambda: store.post_fee(customer_id=99, amount="1.00", reason="lost card"),
        lambda: store.block_customer(99, reason="x"),
        lambda: store.unblock_customer(99),
    ]
    for call in calls:
        with pytest.raises(koko.NotFound):
            call()


def test_a_fee_for_another_customers_rental(store: koko.BookStore) -> None:
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    bob = store.register_customer(first_name="Bob", last_name="Dylan")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1))
    with pytest.raises(koko.InvalidInput) as caught:
        store.post_fee(customer_id=bob.id, amount="2.00", reason="torn page", rental_id=rental.id)
    assert caught.value.field == "rental"
    fee = store.post_fee(customer_id=ada.id, amount="2.00", reason="torn page", rental_id=rental.id)
    assert (fee.kind, fee.rental_id, fee.note, fee.amount) == ("fee", rental.id, "torn page", Decimal("2.00"))


# --- records ---


def test_account_statement_and_aging_records(store: koko.BookStore) -> None:
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 10))
    receipt = store.return_rental(rental_id=rental.id, at=utc(2024, 6, 5, 10))
    payment = store.pay(customer_id=ada.id, amount="1.00", at=utc(2024, 6, 6), note="cash")
    account = store.account(ada.id)
    assert isinstance(account, koko.Account)
    assert (account.customer_id, account.balance, account.currency, account.block) == (
        ada.id,
        Decimal("3.50"),
        "USD",
        None,
    )
    charge = account.entries[0]
    assert isinstance(charge, koko.LedgerEntry)
    assert (charge.kind, charge.amount, charge.currency, charge.rental_id, charge.note) == (
        "charge",
        receipt.charge.total,
        "USD",
        rental.id,
        None,
    )
    assert charge.at == utc(2024, 6, 5, 10) and charge.at.tzinfo is not None
    assert account.entries[1] == payment and payment.note == "cash"
    assert [e.id for e in account.entries] == sorted(e.id for e in account.entries)
    assert repr(payment).startswith("LedgerEntry(id=") and "Decimal('1.00')" in repr(payment)
    assert repr(account).startswith("Account(customer_id=")

    statement = store.statement(ada.id, utc(2024, 6, 6), utc(2024, 7, 1))
    assert isinstance(statement, koko.Statement)
    assert (statement.start, statement.end) == (utc(2024, 6, 6), utc(2024, 7, 1))
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("4.50"), Decimal("3.50"))
    assert statement.entries == [payment]
    assert repr(statement).startswith("Statement(customer_id=")

    rows = store.aged_balances(utc(2024, 8, 1))
    assert len(rows) == 1 and isinstance(rows[0], koko.AgedBalance)
    row = rows[0]
    assert (row.customer_id, row.balance, row.days_31_60) == (ada.id, Decimal("3.50"), Decimal("3.50"))
    assert row.days_0_30 == row.days_61_90 == row.days_over_90 == Decimal(0)
    assert repr(row).startswith("AgedBalance(customer_id=")
    [now] = store.aged_balances()  # as of now, long after June 2024: over 90 days
    assert (now.customer_id, now.balance, now.days_over_90) == (ada.id, Decimal("3.50"), Decimal("3.50"))


def test_block_record_and_blocked_error(store: koko.BookStore) -> None:
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=2)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    block = store.block_customer(ada.id, reason="lost card", at=utc(2024, 6, 1), until=utc(2024, 6, 10))
    assert isinstance(block, koko.Block)
    assert (block.reason, block.since, block.until) == ("lost card", utc(2024, 6, 1), utc(2024, 6, 10))
    assert store.account(ada.id).block == block
    assert repr(block).startswith("Block(reason='lost card'") or repr(block).startswith('Block(reason="lost card"')
    with pytest.raises(koko.Blocked) as caught:
        store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 5))
    err = caught.value
    assert isinstance(err, koko.KokoError) and not isinstance(err, ValueError)
    assert (err.kind, err.rule, err.field) == ("Blocked", "manual", "manual")
    assert err.reason is not None and "lost card" in err.reason
    assert store.rentals() == []
    assert store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 10)).id == 1
    store.block_customer(ada.id, reason="damaged two books")
    store.unblock_customer(ada.id)
    assert store.account(ada.id).block is None
    assert store.rent(customer_id=ada.id, book_id=book.id).id == 2


def test_plan_limits_raise_blocked_naming_the_rule() -> None:
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(LIMITS_PLAN))
    first = store.add_book(title="A", author="Author A", category="regular")
    second = store.add_book(title="B", author="Author B", category="regular")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    rental = store.rent(customer_id=ada.id, book_id=first.id, at=utc(2024, 6, 1))
    with pytest.raises(koko.Blocked) as caught:
        store.rent(customer_id=ada.id, book_id=second.id, at=utc(2024, 6, 1))
    assert caught.value.rule == "limits.max_open_rentals" == caught.value.field
    store.return_rental(rental_id=rental.id, at=utc(2024, 6, 8))
    with pytest.raises(koko.Blocked) as caught:
        store.rent(customer_id=ada.id, book_id=second.id, at=utc(2024, 6, 9))
    assert caught.value.rule == "limits.max_balance"
    assert caught.value.reason and "7.00" in caught.value.reason


def test_receipt_balance(store: koko.BookStore) -> None:
    book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.pay(customer_id=ada.id, amount="10", at=utc(2024, 6, 1))
    first = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 3, 10))
    receipt = store.return_rental(rental_id=first.id, at=utc(2024, 6, 5, 10))
    assert isinstance(receipt.balance, Decimal) and str(receipt.balance) == "-5.50"
    assert "balance=Decimal('-5.50')" in repr(receipt)
    assert "-5.50 USD" in str(receipt)
    second = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 6))
    assert str(store.return_rental(rental_id=second.id, at=utc(2024, 6, 7)).balance) == "-1.00"
    batch = koko.Batch()
    third = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 8))
    batch.return_rental(rental_id=third.id, at=utc(2024, 6, 9))
    [result] = store.apply_batch(batch)
    assert isinstance(result, koko.Receipt) and str(result.balance) == "3.50"


def test_a_closed_store_refuses_account_calls(store: koko.BookStore) -> None:
    customer = owing(store)
    store.close()
    with pytest.raises(koko.StorageError):
        store.account(customer)
    with pytest.raises(koko.StorageError):
        store.pay(customer_id=customer, amount="1.00")


# --- idempotency keys ---


def test_eight_threads_with_one_key_rent_once(tmp_path: Path) -> None:
    with koko.BookStore.open(tmp_path / "store") as store:
        book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=3)
        ada = store.register_customer(first_name="Ada", last_name="Lovelace")
        start = threading.Barrier(8)
        answers: List[Any] = []
        lock = threading.Lock()

        def rent() -> None:
            start.wait()
            try:
                answer: Any = store.rent(customer_id=ada.id, book_id=book.id, idempotency_key="k")
            except Exception as err:  # collected: the assertion below shows it
                answer = err
            with lock:
                answers.append(answer)

        threads = [threading.Thread(target=rent) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(answers) == 8
        assert all(isinstance(a, koko.Rental) for a in answers), answers
        assert {a.id for a in answers} == {answers[0].id}
        assert len(store.rentals()) == 1
        assert store.available_copies(book.id) == 2
        other = store.rent(customer_id=ada.id, book_id=book.id)
        assert other.id != answers[0].id
        assert store.available_copies(book.id) == 1


def test_a_retry_of_now_is_the_same_request(store: koko.BookStore) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=2)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    first = store.rent(customer_id=ada.id, book_id=book.id, idempotency_key="rent")
    time.sleep(0.01)
    again = store.rent(customer_id=ada.id, book_id=book.id, idempotency_key="rent")
    assert again == first and again.rented_at == first.rented_at
    assert store.available_copies(book.id) == 1
    receipt = store.return_rental(rental_id=first.id, idempotency_key="return")
    time.sleep(0.01)
    assert store.return_rental(rental_id=first.id, idempotency_key="return") == receipt
    payment = store.pay(customer_id=ada.id, amount=receipt.balance, idempotency_key="pay")
    time.sleep(0.01)
    assert store.pay(customer_id=ada.id, amount=receipt.balance, idempotency_key="pay") == payment
    assert [e.kind for e in store.account(ada.id).entries] == ["charge", "payment"]


def test_a_key_reused_for_another_request_is_duplicate(store: koko.BookStore) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction", copies=2)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1), idempotency_key="k")
    attempts: List[Callable[[], Any]] = [
        lambda: store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 2), idempotency_key="k"),
        lambda: store.rent(customer_id=ada.id, copy_id=2, at=utc(2024, 6, 1), idempotency_key="k"),
        lambda: store.pay(customer_id=ada.id, amount="1.00", idempotency_key="k"),
        lambda: store.add_copies(book.id, 1, idempotency_key="k"),
    ]
    for attempt in attempts:
        with pytest.raises(koko.Duplicate) as caught:
            attempt()
        assert caught.value.field == "idempotency_key"
    assert len(store.rentals()) == 1 and len(store.copies(book.id)) == 2
    assert store.account(ada.id).entries == []


def test_a_refused_request_stores_no_key(store: koko.BookStore) -> None:
    book = store.add_book(title="Dune", author="Frank Herbert", category="fiction")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.block_customer(ada.id, reason="lost card")
    with pytest.raises(koko.Blocked):
        store.rent(customer_id=ada.id, book_id=book.id, idempotency_key="k")
    store.unblock_customer(ada.id)
    assert store.rent(customer_id=ada.id, book_id=book.id, idempotency_key="k").id == 1


def test_the_same_amount_written_differently_is_the_same_request(store: koko.BookStore) -> None:
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    first = store.pay(customer_id=ada.id, amount="4.5", at=utc(2024, 6, 1), idempotency_key="p")
    assert store.pay(customer_id=ada.id, amount=Decimal("4.50"), at=utc(2024, 6, 1), idempotency_key="p") == first


def every_write(store: koko.BookStore) -> List[Tuple[str, Callable[[str], Any]]]:
    """Each write method of ``BookStore`` once, under the key it is given, on a store with a book (2 copies), a
    customer owing 4.50 and holding an open rental. In this order each one succeeds: the payment leaves a credit
    of 1.00 for the refund."""
    book = store.add_book(title="Emma", author="Jane Austen", category="novel", copies=2)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    open_rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 6, 1))
    store.post_fee(customer_id=ada.id, amount="4.50", reason="damaged cover", at=utc(2024, 6, 1))
    at = utc(2024, 6, 2)
    return [
        ("publish_plan", lambda k: store.publish_plan(koko.PricePlan.story3(), utc(2025, 1, 1), idempotency_key=k)),
        ("add_book", lambda k: store.add_book(title="Dune", author="F. H.", category="fiction", idempotency_key=k)),
        ("update_book", lambda k: store.update_book(book.id, title="Emma!", idempotency_key=k)),
        ("add_copies", lambda k: store.add_copies(book.id, 2, idempotency_key=k)),
        ("withdraw_copy", lambda k: store.withdraw_copy(2, idempotency_key=k)),
        ("register_customer", lambda k: store.register_customer(first_name="B", last_name="D", idempotency_key=k)),
        ("update_customer", lambda k: store.update_customer(ada.id, email="ada@example.org", idempotency_key=k)),
        ("deactivate_customer", lambda k: store.deactivate_customer(ada.id, idempotency_key=k)),
        ("activate_customer", lambda k: store.activate_customer(ada.id, idempotency_key=k)),
        ("reinstate_copy", lambda k: store.reinstate_copy(2, idempotency_key=k)),
        ("rent", lambda k: store.rent(customer_id=ada.id, copy_id=2, at=at, idempotency_key=k)),
        ("return_rental", lambda k: store.return_rental(rental_id=open_rental.id, at=at, idempotency_key=k)),
        ("waive", lambda k: store.waive(customer_id=ada.id, amount="1.00", reason="kind", at=at, idempotency_key=k)),
        ("post_fee", lambda k: store.post_fee(customer_id=ada.id, amount="1.00", reason="card", idempotency_key=k)),
        ("pay", lambda k: store.pay(customer_id=ada.id, amount="10.00", at=at, note="cash", idempotency_key=k)),
        ("block_customer", lambda k: store.block_customer(ada.id, reason="late", at=at, idempotency_key=k)),
        ("unblock_customer", lambda k: store.unblock_customer(ada.id, idempotency_key=k)),
        ("refund", lambda k: store.refund(customer_id=ada.id, amount="0.50", reason="kind", at=at, idempotency_key=k)),
    ]


def snapshot(store: koko.BookStore) -> Tuple[Any, ...]:
    books = store.books()
    customers = store.customers()
    return (
        books,
        [store.copies(b.id) for b in books],
        customers,
        store.rentals(),
        [v.id for v in store.plan_versions()],
        [store.account(c.id) for c in customers],
    )


def test_every_write_takes_a_key_and_a_retry_changes_nothing(store: koko.BookStore) -> None:
    writes = every_write(store)
    for name, write in writes:
        first = write(f"key-{name}")
        after_first = snapshot(store)
        assert write(f"key-{name}") == first, name
        assert snapshot(store) == after_first, f"{name}: the retry changed the store"
    assert store.prune_idempotency_keys(utc(2000, 1, 1)) == 0
    assert store.prune_idempotency_keys(datetime.now(timezone.utc) + timedelta(days=1)) == len(writes)


def test_pruned_keys_are_new_requests(store: koko.BookStore) -> None:
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.pay(customer_id=ada.id, amount="1.00", idempotency_key="p")
    store.pay(customer_id=ada.id, amount="1.00", idempotency_key="p")
    assert len(store.account(ada.id).entries) == 1
    assert store.prune_idempotency_keys(datetime.now(timezone.utc) - timedelta(hours=1)) == 0
    assert store.prune_idempotency_keys(datetime.now(timezone.utc) + timedelta(seconds=1)) == 1
    store.pay(customer_id=ada.id, amount="1.00", idempotency_key="p")
    assert len(store.account(ada.id).entries) == 2
