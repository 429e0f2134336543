"""Two (or more) requests for the one copy at the same moment: koko lets exactly one through."""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from .conftest import Api, parse

ROUNDS = 30
THREADS = 4


# The threads authenticate with the test's staff token, so it must be committed: these tests run outside a
# transaction (Django's test database is a file, tests/conftest.py; threads use their own connections).
pytestmark = pytest.mark.django_db(transaction=True)


def _race(calls, token):
    """Run the calls on their own threads, released together by a barrier; each thread has its own Client."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        api = Api(Client(), token)
        barrier.wait()
        try:
            return call(api)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_rents_of_a_single_copy_let_exactly_one_through(api, store):
    customers = [api.customer(first_name=f"C{i}")["id"] for i in range(THREADS)]
    for round_ in range(ROUNDS):
        book_id = api.book(title=f"Only copy {round_}")["id"]
        calls = [
            (lambda a, c=c, b=book_id: a.post(f"/customers/{c}/rentals/", {"book": b})) for c in customers
        ]
        responses = _race(calls, api.token)
        codes = sorted(r.status_code for r in responses)
        assert codes == [201] + [400] * (THREADS - 1), (round_, codes)
        assert all(r.data == {"detail": "Book is unavailable"} for r in responses if r.status_code == 400)
        assert store.available_copies(book_id) == 0
        assert sum(1 for r in store.rentals() if r.book_id == book_id) == 1


def test_one_customer_double_submitting_gets_one_rental(api, store):
    ada = api.customer()["id"]
    for round_ in range(ROUNDS):
        book_id = api.book(title=f"Double click {round_}")["id"]
        responses = _race([lambda a, b=book_id: a.post(f"/customers/{ada}/rentals/", {"book": b})] * 2, api.token)
        assert sorted(r.status_code for r in responses) == [201, 400]
    assert len(store.customer_rentals(ada)) == ROUNDS


def test_concurrent_closes_of_one_rental_charge_once(api, store):
    ada = api.customer()["id"]
    for round_ in range(10):
        book_id = api.book(title=f"Returned twice {round_}", book_type="F")["id"]
        rental = api.rent(ada, book_id)
        returned = (parse(rental["date_rented"]) + dt.timedelta(days=2)).isoformat()
        responses = _race([lambda a, r=rental["id"]: a.close(r, returned)] * THREADS, api.token)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * (THREADS - 1)
        assert str(store.rental(rental["id"]).charge.total) == "6.00"
