"""Customer accounts over HTTP: the ledger, payments, waivers, refunds, fees, statements, aging, blocks, plan limits
and Idempotency-Key retries. Every rule is koko's; these tests check the HTTP glue around it."""

import datetime as dt
import json
from urllib.parse import urlencode

import koko
import pytest

from bookstore import store as koko_store

from .conftest import UTC, parse

ENTRY_KEYS = {"id", "customer_id", "kind", "amount", "currency", "at", "rental_id", "note", "balance_after"}
MONDAY = "2024-06-03T10:00:00Z"
WEDNESDAY = "2024-06-05T10:00:00Z"  # 48 h after MONDAY: a fiction book costs 6.00 (story 3)


@pytest.fixture
def owing(api) -> dict:
    """Ada, who rented a fiction book on MONDAY and returned it on WEDNESDAY: she owes 6.00."""
    book = api.book(title="Dune", author="Frank Herbert", book_type="F")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    closed = api.close(rental["id"], WEDNESDAY)
    assert closed.status_code == 200, closed.raw
    return {"customer": ada, "book": book, "rental": rental, "closed": closed.data}


def _account(api, customer_id: int) -> dict:
    response = api.get(f"/customers/{customer_id}/account/")
    assert response.status_code == 200, response.raw
    return response.data


def _post(api, customer_id: int, what: str, body: dict, key=None):
    headers = {"Idempotency-Key": key} if key is not None else None
    return api.post(f"/customers/{customer_id}/{what}/", body, headers=headers)


# --- the account -------------------------------------------------------------------------------------------------


def test_a_new_customer_has_an_empty_account(api):
    ada = api.customer()
    assert _account(api, ada["id"]) == {
        "customer_id": ada["id"],
        "balance": "0.00",
        "currency": "USD",
        "block": None,
        "entries": [],
    }


def test_account_after_a_rent_and_a_return_shows_the_charge_and_balance(api, owing):
    ada, rental = owing["customer"], owing["rental"]
    assert owing["closed"]["amount_charged"] == "6.00"
    assert owing["closed"]["balance"] == "6.00"  # the close answer carries the balance after the charge
    account = _account(api, ada["id"])
    assert (account["balance"], account["currency"], account["block"]) == ("6.00", "USD", None)
    [charge] = account["entries"]
    assert set(charge) == ENTRY_KEYS
    assert charge["kind"] == "charge"
    assert charge["amount"] == "6.00" and charge["balance_after"] == "6.00"
    assert (charge["customer_id"], charge["rental_id"], charge["currency"]) == (ada["id"], rental["id"], "USD")
    assert parse(charge["at"]) == parse(WEDNESDAY)
    assert isinstance(json.loads(api.get(f"/customers/{ada['id']}/account/").raw)["balance"], str)


def test_an_active_rental_posts_nothing(api):
    book = api.book()
    ada = api.customer()
    api.rent(ada["id"], book["id"])
    assert _account(api, ada["id"])["entries"] == []


def test_close_answers_the_balance_after_earlier_payments(api, owing):
    ada = owing["customer"]
    assert _post(api, ada["id"], "payments", {"amount": "10.00"}).status_code == 201  # a credit of 4.00
    book = api.book(title="Emma", author="Jane Austen", book_type="R")
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    closed = api.close(rental["id"], "2024-06-06T10:00:00Z")  # 72 h: 3.50
    assert (closed.data["amount_charged"], closed.data["balance"]) == ("3.50", "-0.50")


def test_account_of_an_unknown_customer_is_404(api):
    assert api.get("/customers/999/account/").status_code == 404


# --- payments ----------------------------------------------------------------------------------------------------


def test_payment_answers_201_with_the_entry(api, owing):
    ada = owing["customer"]
    response = _post(api, ada["id"], "payments", {"amount": "5.00", "note": "cash", "at": "2024-06-06T09:00:00Z"})
    assert response.status_code == 201, response.raw
    entry = response.data
    assert set(entry) == ENTRY_KEYS
    assert (entry["kind"], entry["amount"], entry["balance_after"], entry["note"]) == ("payment", "5.00", "1.00", "cash")
    assert entry["rental_id"] is None
    assert parse(entry["at"]) == dt.datetime(2024, 6, 6, 9, tzinfo=UTC)
    account = _account(api, ada["id"])
    assert account["balance"] == "1.00"
    assert account["entries"][-1] == entry


def test_payment_without_a_time_is_dated_now_and_may_leave_a_credit(api, owing):
    ada = owing["customer"]
    before = dt.datetime.now(UTC)
    entry = _post(api, ada["id"], "payments", {"amount": "8", "currency": "USD"}).data
    after = dt.datetime.now(UTC)
    assert (entry["amount"], entry["balance_after"]) == ("8.00", "-2.00")
    assert before <= parse(entry["at"]) <= after
    assert _account(api, ada["id"])["balance"] == "-2.00"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),  # USD has two decimals
        ({"amount": 5.0}, "amount"),  # a JSON number: amounts are decimal strings, in as out
        ({"amount": 5}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": "five"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": None}, "amount"),
        ({}, "amount"),
        ({"amount": "5.00", "currency": "EUR"}, "currency"),  # the store's currency is USD
        ({"amount": "5.00", "currency": "XYZ"}, "currency"),
        ({"amount": "5.00", "at": "2024-06-06T09:00:00"}, "at"),  # naive
    ],
)
def test_bad_payment_is_400_naming_the_field_and_posts_nothing(api, owing, body, field):
    ada = owing["customer"]
    response = _post(api, ada["id"], "payments", body)
    assert response.status_code == 400, response.raw
    assert field in response.data, response.data
    account = _account(api, ada["id"])
    assert (account["balance"], len(account["entries"])) == ("6.00", 1)


def test_a_json_number_is_refused_with_a_hint(api, owing):
    response = _post(api, owing["customer"]["id"], "payments", {"amount": 5.5})
    assert response.status_code == 400
    assert "string" in response.data["amount"][0]


def test_payment_for_an_unknown_customer_is_404(api):
    assert _post(api, 999, "payments", {"amount": "5.00"}).status_code == 404


# --- waivers and refunds ---------------------------------------------------------------------------------------


def test_waiver_answers_the_entry_with_its_reason(api, owing):
    ada = owing["customer"]
    response = _post(api, ada["id"], "waivers", {"amount": "2.00", "reason": "goodwill"})
    assert response.status_code == 201, response.raw
    assert response.data["kind"] == "waiver"
    assert (response.data["amount"], response.data["balance_after"], response.data["note"]) == ("2.00", "4.00", "goodwill")
    assert _account(api, ada["id"])["balance"] == "4.00"


def test_refund_answers_the_entry(api, owing):
    ada = owing["customer"]
    _post(api, ada["id"], "payments", {"amount": "10.00"})  # a credit of 4.00
    response = _post(api, ada["id"], "refunds", {"amount": "4.00", "reason": "closing the account"})
    assert response.status_code == 201, response.raw
    assert (response.data["kind"], response.data["balance_after"]) == ("refund", "0.00")
    assert _account(api, ada["id"])["balance"] == "0.00"


@pytest.mark.parametrize(
    "what, body, field",
    [
        ("waivers", {"amount": "6.01", "reason": "too much"}, "amount"),  # above the 6.00 owed
        ("waivers", {"amount": "-1.00", "reason": "negative"}, "amount"),
        ("waivers", {"amount": "0", "reason": "zero"}, "amount"),
        ("waivers", {"amount": "1.001", "reason": "three decimals"}, "amount"),
        ("waivers", {"amount": 1.5, "reason": "a JSON number"}, "amount"),
        ("waivers", {"amount": "1.00", "reason": ""}, "reason"),
        ("waivers", {"amount": "1.00", "reason": "   "}, "reason"),
        ("waivers", {"amount": "1.00"}, "reason"),
        ("waivers", {"amount": "1.00", "reason": "late", "at": "2024-06-06"}, "at"),
        ("refunds", {"amount": "0.01", "reason": "no credit"}, "amount"),  # she owes: there is no credit
        ("refunds", {"amount": "-1.00", "reason": "negative"}, "amount"),
        ("refunds", {"amount": "1.00", "reason": ""}, "reason"),
    ],
)
def test_bad_waiver_or_refund_is_400_naming_the_field(api, owing, what, body, field):
    ada = owing["customer"]
    response = _post(api, ada["id"], what, body)
    assert response.status_code == 400, response.raw
    assert field in response.data, response.data
    assert len(_account(api, ada["id"])["entries"]) == 1


def test_refund_above_the_credit_is_400(api, owing):
    ada = owing["customer"]
    _post(api, ada["id"], "payments", {"amount": "7.00"})  # a credit of 1.00
    response = _post(api, ada["id"], "refunds", {"amount": "1.01", "reason": "too much"})
    assert response.status_code == 400
    assert "amount" in response.data
    assert _account(api, ada["id"])["balance"] == "-1.00"


# --- fees --------------------------------------------------------------------------------------------------------


def test_fee_for_a_rental(api, owing):
    ada, rental = owing["customer"], owing["rental"]
    body = {"amount": "12.50", "reason": "torn cover", "rental_id": rental["id"], "at": "2024-06-05T11:00:00Z"}
    response = _post(api, ada["id"], "fees", body)
    assert response.status_code == 201, response.raw
    entry = response.data
    assert (entry["kind"], entry["amount"], entry["rental_id"], entry["note"]) == ("fee", "12.50", rental["id"], "torn cover")
    assert entry["balance_after"] == "18.50"


def test_fee_without_a_rental(api):
    ada = api.customer()
    response = _post(api, ada["id"], "fees", {"amount": "1.00", "reason": "lost library card"})
    assert response.status_code == 201, response.raw
    assert (response.data["rental_id"], response.data["balance_after"]) == (None, "1.00")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"amount": "0", "reason": "zero"}, "amount"),
        ({"amount": "1.00", "reason": ""}, "reason"),
        ({"amount": "1.00", "reason": "x", "rental_id": 0}, "rental_id"),
        ({"amount": "1.00", "reason": "x", "rental_id": "abc"}, "rental_id"),
    ],
)
def test_bad_fee_is_400(api, owing, body, field):
    response = _post(api, owing["customer"]["id"], "fees", body)
    assert response.status_code == 400, response.raw
    assert field in response.data


def test_fee_on_another_customers_rental_is_400_naming_rental_id(api, owing):
    alan = api.customer("Alan", "Turing")
    response = _post(api, alan["id"], "fees", {"amount": "1.00", "reason": "x", "rental_id": owing["rental"]["id"]})
    assert response.status_code == 400, response.raw
    assert "rental_id" in response.data
    assert _account(api, alan["id"])["entries"] == []


def test_fee_on_an_unknown_rental_is_404(api):
    ada = api.customer()
    assert _post(api, ada["id"], "fees", {"amount": "1.00", "reason": "x", "rental_id": 999}).status_code == 404


# --- statements and aging ----------------------------------------------------------------------------------------


def _statement(api, customer_id: int, **query):
    return api.get(f"/customers/{customer_id}/statement/?{urlencode(query)}")


def test_statement_of_a_period(api, owing):
    ada = owing["customer"]
    _post(api, ada["id"], "payments", {"amount": "2.00", "at": "2024-06-10T10:00:00Z"})
    _post(api, ada["id"], "payments", {"amount": "1.00", "at": "2024-07-02T10:00:00Z"})
    response = _statement(api, ada["id"], start="2024-06-06T00:00:00Z", end="2024-07-01T00:00:00+02:00")
    assert response.status_code == 200, response.raw
    statement = response.data
    assert set(statement) == {"customer_id", "start", "end", "opening_balance", "entries", "closing_balance"}
    assert statement["customer_id"] == ada["id"]
    assert parse(statement["start"]) == dt.datetime(2024, 6, 6, tzinfo=UTC)
    assert parse(statement["end"]) == dt.datetime(2024, 6, 30, 22, tzinfo=UTC)
    assert (statement["opening_balance"], statement["closing_balance"]) == ("6.00", "4.00")
    assert [(e["kind"], e["amount"]) for e in statement["entries"]] == [("payment", "2.00")]


@pytest.mark.parametrize(
    "query, field",
    [
        ({"end": "2024-07-01T00:00:00Z"}, "start"),
        ({"start": "2024-06-01T00:00:00Z"}, "end"),
        ({"start": "2024-06-01T00:00:00", "end": "2024-07-01T00:00:00Z"}, "start"),  # naive
        ({"start": "2024-06-01T00:00:00Z", "end": "2024-07-01"}, "end"),
        ({"start": "2024-07-01T00:00:00Z", "end": "2024-06-01T00:00:00Z"}, "end"),  # koko: end before start
    ],
)
def test_statement_needs_an_aware_start_and_end(api, owing, query, field):
    response = _statement(api, owing["customer"]["id"], **query)
    assert response.status_code == 400, response.raw
    assert field in response.data


def test_statement_of_an_unknown_customer_is_404(api):
    assert _statement(api, 999, start="2024-06-01T00:00:00Z", end="2024-07-01T00:00:00Z").status_code == 404


def test_aged_balances(api, owing):
    ada = owing["customer"]
    alan = api.customer("Alan", "Turing")
    _post(api, alan["id"], "fees", {"amount": "2.00", "reason": "late", "at": "2024-07-25T10:00:00Z"})
    api.customer("Grace", "Hopper")  # owes nothing: no row
    response = api.get("/reports/aged-balances/?" + urlencode({"as_of": "2024-08-01T00:00:00Z"}))
    assert response.status_code == 200, response.raw
    zero = "0.00"
    assert response.data == [
        {"customer_id": ada["id"], "balance": "6.00", "days_0_30": zero, "days_31_60": "6.00",
         "days_61_90": zero, "days_over_90": zero},
        {"customer_id": alan["id"], "balance": "2.00", "days_0_30": "2.00", "days_31_60": zero,
         "days_61_90": zero, "days_over_90": zero},
    ]


def test_aged_balances_default_to_now(api, owing):
    [row] = api.get("/reports/aged-balances/").data
    assert (row["customer_id"], row["days_over_90"]) == (owing["customer"]["id"], "6.00")  # June 2024 is long ago


def test_aged_balances_as_of_must_be_aware(api):
    response = api.get("/reports/aged-balances/?as_of=2024-08-01T00:00:00")
    assert response.status_code == 400
    assert "as_of" in response.data


# --- blocks and limits -------------------------------------------------------------------------------------------


def test_a_blocked_customer_cannot_rent_until_unblocked(api, store):
    book = api.book()
    ada = api.customer()
    response = api.post(f"/customers/{ada['id']}/block/", {"reason": "unpaid fees"})
    assert response.status_code == 200, response.raw
    assert set(response.data) == {"reason", "since", "until"}
    assert (response.data["reason"], response.data["until"]) == ("unpaid fees", None)
    assert _account(api, ada["id"])["block"] == response.data

    refused = api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]})
    assert refused.status_code == 403, refused.raw
    assert refused.data["rule"] == "manual"
    assert "unpaid fees" in refused.data["detail"]
    assert store.rentals() == []

    unblocked = api.delete(f"/customers/{ada['id']}/block/")
    assert unblocked.status_code == 204
    assert _account(api, ada["id"])["block"] is None
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]}).status_code == 201


def test_a_block_until_a_date(api):
    book = api.book()
    ada = api.customer()
    until = (dt.datetime.now(UTC) + dt.timedelta(days=7)).replace(microsecond=0)
    response = api.post(f"/customers/{ada['id']}/block/", {"reason": "cooling off", "until": until.isoformat()})
    assert response.status_code == 200, response.raw
    assert parse(response.data["until"]) == until
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]}).status_code == 403
    # a rent dated after the block ends is allowed
    later = (until + dt.timedelta(hours=1)).isoformat()
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"], "date_rented": later}).status_code == 201


@pytest.mark.parametrize(
    "body, field",
    [
        ({"reason": ""}, "reason"),
        ({}, "reason"),
        ({"reason": "x", "until": "2030-01-01T00:00:00"}, "until"),  # naive
        ({"reason": "x", "until": "2001-01-01T00:00:00Z"}, "until"),  # koko: before the block starts
    ],
)
def test_bad_block_is_400(api, body, field):
    ada = api.customer()
    response = api.post(f"/customers/{ada['id']}/block/", body)
    assert response.status_code == 400, response.raw
    assert field in response.data
    assert _account(api, ada["id"])["block"] is None


def test_blocking_an_unknown_customer_is_404(api):
    assert api.post("/customers/999/block/", {"reason": "x"}).status_code == 404
    assert api.delete("/customers/999/block/").status_code == 404


@pytest.fixture
def one_open_rental_plan():
    """The process's store, for this test: story 3 with ``"limits": {"max_open_rentals": 1}``."""
    plan = json.loads(koko.PricePlan.story3().to_json())
    plan["limits"] = {"max_open_rentals": 1}
    limited = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan)))
    previous = koko_store.use_store(limited)
    yield limited
    koko_store.use_store(previous)


def test_a_plan_limit_refuses_the_second_open_rental(api, one_open_rental_plan):
    store = one_open_rental_plan
    hobbit = api.book(title="The Hobbit")
    emma = api.book(title="Emma", book_type="R")
    ada = api.customer()
    first = api.rent(ada["id"], hobbit["id"], date_rented=MONDAY)
    refused = api.post(f"/customers/{ada['id']}/rentals/", {"book": emma["id"], "date_rented": MONDAY})
    assert refused.status_code == 403, refused.raw
    assert refused.data["rule"] == "limits.max_open_rentals"
    assert set(refused.data) == {"detail", "rule"}
    assert store.available_copies(emma["id"]) == 1
    assert api.close(first["id"], WEDNESDAY).status_code == 200
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": emma["id"]}).status_code == 201


# --- Idempotency-Key ---------------------------------------------------------------------------------------------


def _rent(api, customer_id, book_id, key, **extra):
    return api.post(
        f"/customers/{customer_id}/rentals/", {"book": book_id, **extra}, headers={"Idempotency-Key": key}
    )


@pytest.mark.parametrize("extra", [{}, {"date_rented": MONDAY}])
def test_a_retried_rent_answers_the_same_rental_and_takes_one_copy(api, store, extra):
    book = api.book(copies=3)
    ada = api.customer()
    first = _rent(api, ada["id"], book["id"], "rent-42", **extra)
    second = _rent(api, ada["id"], book["id"], "rent-42", **extra)
    assert (first.status_code, second.status_code) == (201, 201), second.raw
    assert second.data == first.data
    assert store.available_copies(book["id"]) == 2
    assert [r.id for r in store.customer_rentals(ada["id"])] == [first.data["id"]]
    # another key is another rent
    third = _rent(api, ada["id"], book["id"], "rent-43", **extra)
    assert third.status_code == 201 and third.data["id"] != first.data["id"]
    assert store.available_copies(book["id"]) == 1


def test_the_same_key_with_a_different_body_is_409(api, store):
    hobbit = api.book(title="The Hobbit")
    emma = api.book(title="Emma")
    ada = api.customer()
    assert _rent(api, ada["id"], hobbit["id"], "k1").status_code == 201
    response = _rent(api, ada["id"], emma["id"], "k1")
    assert response.status_code == 409, response.raw
    assert "Idempotency-Key" in response.data
    assert store.available_copies(emma["id"]) == 1
    # ... and on another endpoint
    reused = _post(api, ada["id"], "payments", {"amount": "1.00"}, key="k1")
    assert reused.status_code == 409
    assert _account(api, ada["id"])["entries"] == []


def test_a_retried_payment_posts_one_entry(api, owing):
    ada = owing["customer"]
    first = _post(api, ada["id"], "payments", {"amount": "5.00", "note": "card"}, key="pay-1")
    second = _post(api, ada["id"], "payments", {"amount": "5.00", "note": "card"}, key="pay-1")
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.data == first.data
    account = _account(api, ada["id"])
    assert account["balance"] == "1.00"
    assert [e["kind"] for e in account["entries"]] == ["charge", "payment"]
    changed = _post(api, ada["id"], "payments", {"amount": "6.00", "note": "card"}, key="pay-1")
    assert changed.status_code == 409
    assert _account(api, ada["id"])["balance"] == "1.00"


@pytest.mark.parametrize(
    "what, body",
    [
        ("waivers", {"amount": "1.00", "reason": "goodwill"}),
        ("fees", {"amount": "1.00", "reason": "late"}),
    ],
)
def test_retried_waivers_and_fees_post_once(api, owing, what, body):
    ada = owing["customer"]
    first = _post(api, ada["id"], what, body, key=f"{what}-1")
    second = _post(api, ada["id"], what, body, key=f"{what}-1")
    assert (first.status_code, second.status_code, second.data) == (201, 201, first.data)
    assert len(_account(api, ada["id"])["entries"]) == 2


def test_a_retried_return_answers_the_first_receipt(api, store):
    book = api.book(book_type="F")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    headers = {"Idempotency-Key": "return-1"}
    body = {"date_returned": WEDNESDAY}
    first = api.put(f"/rentals/{rental['id']}/close/", body, headers=headers)
    second = api.put(f"/rentals/{rental['id']}/close/", body, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200), second.raw
    assert second.data == first.data
    assert (first.data["amount_charged"], first.data["balance"]) == ("6.00", "6.00")
    assert len(_account(api, ada["id"])["entries"]) == 1
    # without the key, closing again is still the 409 it always was
    assert api.put(f"/rentals/{rental['id']}/close/", body).status_code == 409


def test_retried_creates_and_blocks_make_one_record(api, store):
    headers = {"Idempotency-Key": "book-1"}
    body = {"title": "Dune", "author": "Frank Herbert", "book_type": "F"}
    first, second = (api.post("/books/", body, headers=headers) for _ in range(2))
    assert (first.status_code, second.status_code, second.data["id"]) == (201, 201, first.data["id"])
    assert len(store.books()) == 1

    headers = {"Idempotency-Key": "customer-1"}
    body = {"first_name": "Ada", "last_name": "Lovelace", "is_active": False}
    first, second = (api.post("/customers/", body, headers=headers) for _ in range(2))
    assert (first.status_code, second.status_code, second.data) == (201, 201, first.data)
    assert len(store.customers()) == 1

    ada = first.data["id"]
    headers = {"Idempotency-Key": "block-1"}
    first, second = (api.post(f"/customers/{ada}/block/", {"reason": "x"}, headers=headers) for _ in range(2))
    assert (first.status_code, second.status_code, second.data) == (200, 200, first.data)


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_bad_idempotency_key_is_400_naming_the_header(api, store, key):
    book = api.book()
    ada = api.customer()
    response = _rent(api, ada["id"], book["id"], key)
    assert response.status_code == 400, response.raw
    assert "Idempotency-Key" in response.data
    assert store.rentals() == []


@pytest.mark.django_db(transaction=True)
def test_simultaneous_retries_under_one_key_rent_once(api, store):
    from .test_concurrency import _race

    ada = api.customer()["id"]
    for round_ in range(10):
        book_id = api.book(title=f"Retried {round_}", copies=4)["id"]
        calls = [lambda a, b=book_id, k=f"race-{round_}": _rent(a, ada, b, k)] * 4
        responses = _race(calls, api.token)
        assert [r.status_code for r in responses] == [201] * 4, [r.raw for r in responses]
        assert len({r.data["id"] for r in responses}) == 1
        assert store.available_copies(book_id) == 3


# --- renewals ----------------------------------------------------------------------------------------------------


@pytest.fixture
def renewable_plan():
    """The process's store, for this test: story 3 with regular books due after 7 days and renewable once."""
    plan = json.loads(koko.PricePlan.story3().to_json())
    plan["categories"]["regular"]["late_fee"] = {"loan_days": 7, "per_day": "0.50"}
    plan["categories"]["regular"]["renewals"] = {"max": 1, "from": "due_date"}
    store = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan)))
    previous = koko_store.use_store(store)
    yield store
    koko_store.use_store(previous)


def test_a_rental_is_renewed_once_then_refused(api, renewable_plan):
    book = api.book(title="Ulysses", book_type="R")
    fiction = api.book(title="Dune", book_type="F")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    url = f"/rentals/{rental['id']}/renew/"
    # Due 10 June 10:00; renewed from the due date: 17 June 10:00. A retry under the key answers the same.
    renewed = api.post(url, {"at": WEDNESDAY}, headers={"Idempotency-Key": "renew-1"})
    assert renewed.status_code == 200, renewed.raw
    assert parse(renewed.data["due_date"]) == dt.datetime(2024, 6, 17, 10, tzinfo=UTC)
    assert [parse(at) for at in renewed.data["renewals"]] == [dt.datetime(2024, 6, 5, 10, tzinfo=UTC)]
    again = api.post(url, {"at": WEDNESDAY}, headers={"Idempotency-Key": "renew-1"})
    assert (again.status_code, again.data) == (200, renewed.data)
    refused = api.post(url, {"at": WEDNESDAY})
    assert refused.status_code == 403, refused.raw
    assert refused.data["rule"] == "renewals.max"
    # Story 3's fiction has no loan period: nothing to renew.
    open_fiction = api.rent(ada["id"], fiction["id"], date_rented=MONDAY)
    assert api.post(f"/rentals/{open_fiction['id']}/renew/", {}).status_code == 400
    assert api.post("/rentals/999/renew/", {}).status_code == 404
