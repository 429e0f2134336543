"""What the original API got wrong, each fixed and pinned by a test."""

import datetime as dt

import pytest

from .conftest import parse


@pytest.fixture
def open_rental(api):
    book = api.book(title="Dune", book_type="F")
    customer = api.customer()
    rental = api.rent(customer["id"], book["id"])
    return {"book": book, "customer": customer, "rental": rental}


def assert_unchanged(api, store, open_rental):
    rental = open_rental["rental"]
    assert api.get(f"/rentals/{rental['id']}/").data == rental
    assert store.rental(rental["id"]).status == "active"
    assert store.rental(rental["id"]).returned_at is None
    assert api.get(f"/books/{open_rental['book']['id']}/").data["rental_status"] == "Rented Out"


def test_every_answer_carries_the_rental_id(api, store, open_rental):
    rental = open_rental["rental"]
    assert isinstance(rental["id"], int) and store.rental(rental["id"]).book_id == open_rental["book"]["id"]
    listed = api.get(f"/customers/{open_rental['customer']['id']}/rentals/").data
    assert [r["id"] for r in listed] == [rental["id"]]
    closed = api.close(rental["id"], parse(rental["date_rented"]) + dt.timedelta(days=2))
    assert closed.data["id"] == rental["id"]


def test_closing_twice_is_409_and_changes_nothing(api, store, open_rental):
    rental = open_rental["rental"]
    first = api.close(rental["id"], parse(rental["date_rented"]) + dt.timedelta(days=2))
    assert first.status_code == 200
    second = api.close(rental["id"], parse(rental["date_rented"]) + dt.timedelta(days=9))
    assert second.status_code == 409
    assert "detail" in second.data
    after = api.get(f"/rentals/{rental['id']}/").data
    assert after["amount_charged"] == first.data["amount_charged"] == "6.00"
    assert after["date_returned"] == first.data["date_returned"]
    assert str(store.rental(rental["id"]).charge.total) == "6.00"


def test_missing_date_returned_is_400_and_changes_nothing(api, store, open_rental):
    response = api.put(f"/rentals/{open_rental['rental']['id']}/close/", {})
    assert response.status_code == 400
    assert "date_returned" in response.data
    assert_unchanged(api, store, open_rental)


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2024-13-01T00:00:00Z", "2024-06-05", 1717580000, None, "2024-06-05T10:00:00"]
)
def test_invalid_date_returned_is_400_and_changes_nothing(api, store, open_rental, value):
    response = api.put(f"/rentals/{open_rental['rental']['id']}/close/", {"date_returned": value})
    assert response.status_code == 400
    assert "date_returned" in response.data
    assert_unchanged(api, store, open_rental)


def test_date_returned_before_the_rental_began_is_400_and_changes_nothing(api, store, open_rental):
    rental = open_rental["rental"]
    response = api.close(rental["id"], parse(rental["date_rented"]) - dt.timedelta(minutes=1))
    assert response.status_code == 400
    assert "date_returned" in response.data
    assert_unchanged(api, store, open_rental)


def test_unknown_customer_is_404(api, store):
    book = api.book()
    assert api.post("/customers/999/rentals/", {"book": book["id"]}).status_code == 404
    assert api.get("/customers/999/rentals/").status_code == 404
    assert store.rentals() == []
    assert store.available_copies(book["id"]) == 1


def test_unknown_book_is_404(api, store):
    ada = api.customer()
    response = api.post(f"/customers/{ada['id']}/rentals/", {"book": 999})
    assert response.status_code == 404
    assert store.rentals() == []


def test_unknown_rental_close_is_404(api):
    assert api.close(999, "2024-06-05T10:00:00Z").status_code == 404


def test_inactive_customer_cannot_rent_403(api, store):
    book = api.book()
    ada = api.customer(is_active=False)
    response = api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]})
    assert response.status_code == 403
    assert "inactive" in response.data["detail"]
    assert store.rentals() == []
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Available"


def test_deactivated_then_reactivated_customer(api, store):
    book = api.book()
    ada = api.customer()
    api.put(f"/customers/{ada['id']}/", {"first_name": "Ada", "last_name": "Lovelace", "is_active": False})
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]}).status_code == 403
    api.patch(f"/customers/{ada['id']}/", {"is_active": True})
    assert api.post(f"/customers/{ada['id']}/rentals/", {"book": book["id"]}).status_code == 201
    assert len(store.customer_rentals(ada["id"])) == 1
