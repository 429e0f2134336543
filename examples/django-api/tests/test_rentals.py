import datetime as dt
import json

import pytest

from .conftest import UTC, parse

RENTAL_KEYS = {
    "id", "book", "customer_id", "rental_status", "book_title",
    "date_rented", "date_returned", "amount_charged", "currency", "charge",
}


def test_rent_answers_the_rental(api, store):
    book = api.book(title="The Hobbit")
    ada = api.customer()
    before = dt.datetime.now(UTC)
    response = api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]})
    after = dt.datetime.now(UTC)
    assert response.status_code == 201
    data = response.data
    assert set(data) == RENTAL_KEYS
    assert data["book"] == book["id"]
    assert data["customer_id"] == ada["id"]
    assert data["book_title"] == "The Hobbit"
    assert data["rental_status"] == "Active"
    assert data["date_returned"] is None and data["amount_charged"] is None and data["currency"] is None
    assert before <= parse(data["date_rented"]) <= after
    assert store.rental(data["id"]).status == "active"


def test_rent_at_a_given_time(api, store):
    book = api.book()
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented="2024-06-03T12:00:00+02:00")
    assert parse(rental["date_rented"]) == dt.datetime(2024, 6, 3, 10, tzinfo=UTC)
    assert store.rental(rental["id"]).rented_at == dt.datetime(2024, 6, 3, 10, tzinfo=UTC)


def test_list_a_customers_rentals(api):
    hobbit = api.book(title="The Hobbit")
    emma = api.book(title="Emma", book_type="R")
    ada = api.customer("Ada")
    alan = api.customer("Alan")
    first = api.rent(ada["id"], hobbit["id"])
    api.rent(alan["id"], emma["id"])
    response = api.get(f"/customers/{ada['id']}/rentals/")
    assert response.status_code == 200
    assert response.data == [first]


def test_list_shows_closed_rentals_with_their_charge(api):
    book = api.book(book_type="F")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented="2024-06-03T10:00:00Z")
    api.close(rental["id"], "2024-06-05T10:00:00Z")
    [listed] = api.get(f"/customers/{ada['id']}/rentals/").data
    assert listed["id"] == rental["id"]
    assert listed["rental_status"] == "Closed"
    assert listed["amount_charged"] == "6.00"
    assert listed["currency"] == "USD"
    assert parse(listed["date_returned"]) == dt.datetime(2024, 6, 5, 10, tzinfo=UTC)


def test_unavailable_book_is_400_and_changes_nothing(api, store):
    book = api.book()
    ada = api.customer("Ada")
    alan = api.customer("Alan")
    api.rent(ada["id"], book["id"])
    response = api.post(f"/customers/{alan['id']}/rentals/", {"book": book["id"]})
    assert response.status_code == 400
    assert response.data == {"detail": "Book is unavailable"}
    assert store.customer_rentals(alan["id"]) == []
    assert len(store.rentals()) == 1


def test_the_same_customer_cannot_rent_the_only_copy_twice(api, store):
    book = api.book()
    ada = api.customer()
    api.rent(ada["id"], book["id"])
    response = api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]})
    assert response.status_code == 400
    assert "Book is unavailable" in response.raw
    assert len(store.customer_rentals(ada["id"])) == 1


@pytest.mark.parametrize("body", [{}, {"book": "abc"}, {"book": 0}, {"book": -3}, {"book": 2**64}])
def test_bad_rent_body_is_400(api, store, body):
    ada = api.customer()
    api.book()
    response = api.post(f"/customers/{ada['id']}/rentals/", body)
    assert response.status_code == 400
    assert "book" in response.data
    assert store.rentals() == []


def test_naive_date_rented_is_400(api, store):
    book = api.book()
    ada = api.customer()
    response = api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"], "date_rented": "2024-06-03T10:00:00"})
    assert response.status_code == 400
    assert "date_rented" in response.data
    assert store.rentals() == []


def test_close_answers_id_amount_currency_status_and_date(api, store):
    book = api.book(book_type="N")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"])
    returned = parse(rental["date_rented"]) + dt.timedelta(hours=71)
    response = api.close(rental["id"], returned)
    assert response.status_code == 200
    data = response.data
    assert {"id", "amount_charged", "currency", "rental_status", "date_returned"} <= set(data)
    assert data["id"] == rental["id"]
    assert data["amount_charged"] == "4.50"
    assert data["currency"] == "USD"
    assert data["rental_status"] == "Closed"
    assert parse(data["date_returned"]) == returned
    assert store.rental(rental["id"]).status == "closed"


def test_amount_charged_is_a_json_string_not_a_float(api):
    book = api.book(book_type="N")
    rental = api.rent(api.customer()["id"], book["id"])
    response = api.close(rental["id"], parse(rental["date_rented"]) + dt.timedelta(days=1))
    assert isinstance(json.loads(response.raw)["amount_charged"], str)
    assert '"amount_charged":"4.50"' in response.raw.replace(" ", "")


@pytest.mark.parametrize(
    "book_type, held, amount",
    [
        ("N", dt.timedelta(hours=71), "4.50"),   # story 3: a novel costs at least 4.50
        ("R", dt.timedelta(hours=72), "3.50"),   # 1.00 + 1.00 + 1.50
        ("F", dt.timedelta(hours=48), "6.00"),   # 3.00 a day
        ("R", dt.timedelta(hours=1), "2.00"),    # a regular book costs at least 2.00
        ("N", dt.timedelta(days=4), "6.00"),     # 1.50 a day once past the minimum
        ("R", dt.timedelta(days=5), "6.50"),
    ],
)
def test_story3_charges_through_the_api(api, book_type, held, amount):
    book = api.book(book_type=book_type)
    rental = api.rent(api.customer()["id"], book["id"])
    response = api.close(rental["id"], parse(rental["date_rented"]) + held)
    assert response.status_code == 200, response.raw
    assert response.data["amount_charged"] == amount


def test_story3_charge_with_explicit_dates_and_offsets(api):
    book = api.book(book_type="R")
    rental = api.rent(api.customer()["id"], book["id"], date_rented="2024-06-03T10:00:00Z")
    response = api.close(rental["id"], "2024-06-06T12:00:00+02:00")  # exactly 72 h later
    assert response.data["amount_charged"] == "3.50"


def test_closing_frees_the_copy_for_the_next_customer(api):
    book = api.book()
    rental = api.rent(api.customer("Ada")["id"], book["id"])
    api.close(rental["id"], parse(rental["date_rented"]) + dt.timedelta(days=1))
    again = api.rent(api.customer("Alan")["id"], book["id"])
    assert again["id"] != rental["id"]
    assert again["rental_status"] == "Active"


def test_get_rental(api):
    book = api.book(title="Emma", book_type="R")
    rental = api.rent(api.customer()["id"], book["id"])
    response = api.get(f"/rentals/{rental['id']}/")
    assert response.status_code == 200
    assert response.data == rental
    assert api.get("/rentals/999/").status_code == 404
