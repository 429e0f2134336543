"""Who may do what: staff, a customer (their own records, at the server's time), anonymous (catalogue, plan, quotes)."""

import pytest
from django.core.management import call_command

from .conftest import parse

MONDAY = "2024-06-03T10:00:00Z"


@pytest.fixture
def world(api, as_customer):
    """Two customers with a rental and a hold each, and a client for each role."""
    book = api.book(title="Dune", book_type="F", copies=3)
    ada, bob = api.customer(first_name="Ada")["id"], api.customer(first_name="Bob")["id"]
    rentals = {c: api.rent(c, book["id"], date_rented=MONDAY)["id"] for c in (ada, bob)}
    other = api.book(title="Emma", book_type="R")
    api.rent(ada, other["id"], date_rented=MONDAY)
    holds = {c: api.post("/holds/", {"customer_id": c, "book_id": other["id"]}).data["id"] for c in (bob,)}
    return {
        "book": book["id"],
        "ada": ada,
        "bob": bob,
        "rentals": rentals,
        "bob_hold": holds[bob],
        "as_ada": as_customer(ada),
        "anonymous": api.as_token(None),
    }


# --- customers ----------------------------------------------------------------------------------------------------


def test_a_customer_reads_their_own_records(world):
    ada, me = world["ada"], world["as_ada"]
    for path in (f"/customers/{ada}/", f"/customers/{ada}/rentals/", f"/customers/{ada}/account/",
                 f"/customers/{ada}/holds/", f"/customers/{ada}/notices/", f"/rentals/{world['rentals'][ada]}/",
                 f"/rentals/{world['rentals'][ada]}/quote/",
                 f"/customers/{ada}/statement/?start=2024-01-01T00:00:00Z&end=2025-01-01T00:00:00Z"):
        response = me.get(path)
        assert response.status_code == 200, (path, response.raw)
    assert {r["customer_id"] for r in me.get(f"/customers/{ada}/rentals/").data} == {ada}


def test_another_customers_records_are_not_found(world):
    bob, me = world["bob"], world["as_ada"]
    paths = [f"/customers/{bob}/", f"/customers/{bob}/rentals/", f"/customers/{bob}/account/",
             f"/customers/{bob}/holds/", f"/customers/{bob}/notices/", f"/rentals/{world['rentals'][bob]}/",
             f"/rentals/{world['rentals'][bob]}/quote/", f"/holds/{world['bob_hold']}/"]
    for path in paths:
        response = me.get(path)
        assert (response.status_code, response.data) == (404, {"detail": "Not found."}), path
    writes = [
        ("post", f"/customers/{bob}/rentals/", {"book": world["book"]}),
        ("put", f"/rentals/{world['rentals'][bob]}/close/", {}),
        ("post", f"/rentals/{world['rentals'][bob]}/renew/", {}),
        ("post", f"/holds/{world['bob_hold']}/cancel/", {}),
        ("post", "/holds/", {"customer_id": bob, "book_id": world["book"]}),
        ("post", "/holds/", {"customer_id": str(bob), "book_id": world["book"]}),
    ]
    for method, path, body in writes:
        response = getattr(me, method)(path, body)
        assert response.status_code == 404, (path, response.raw)
    assert world["as_ada"].get(f"/customers/{bob}/rentals/").status_code == 404
    assert len(me.get(f"/customers/{world['ada']}/rentals/").data) == 2  # nothing of Bob's changed hands


def test_a_customer_rents_and_returns_at_the_server_time_only(world, store):
    ada, me = world["ada"], world["as_ada"]
    backdated = me.post(f"/customers/{ada}/rentals/", {"book": world["book"], "date_rented": MONDAY})
    assert backdated.status_code == 403
    assert "date_rented" in backdated.data["detail"]
    rented = me.post(f"/customers/{ada}/rentals/", {"book": world["book"]})
    assert rented.status_code == 201, rented.raw
    assert me.put(f"/rentals/{rented.data['id']}/close/", {"date_returned": "2030-01-01T00:00:00Z"}).status_code == 403
    assert store.rental(rented.data["id"]).returned_at is None
    closed = me.put(f"/rentals/{rented.data['id']}/close/", {})
    assert closed.status_code == 200, closed.raw
    assert parse(closed.data["date_returned"]) >= parse(rented.data["date_rented"])
    assert me.post(f"/rentals/{world['rentals'][ada]}/renew/", {"at": MONDAY}).status_code == 403


def test_a_customer_places_and_cancels_their_own_hold_now(world):
    ada, me = world["ada"], world["as_ada"]
    assert me.post("/holds/", {"customer_id": ada, "book_id": world["book"], "at": MONDAY}).status_code == 403
    placed = me.post("/holds/", {"customer_id": ada, "book_id": world["book"]})
    assert placed.status_code == 201, placed.raw
    assert me.post(f"/holds/{placed.data['id']}/cancel/", {}).status_code == 200


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/plans/", {"effective_from": "2030-01-01T00:00:00Z", "plan": {"currency": "USD", "categories": {}}}),
        ("get", "/plans/", None),
        ("post", "/books/", {"title": "Mine", "author": "Me", "book_type": "R"}),
        ("patch", "/customers/{ada}/", {"first_name": "Queen"}),
        ("post", "/customers/{ada}/payments/", {"amount": "5.00"}),
        ("post", "/customers/{ada}/waivers/", {"amount": "5.00", "reason": "because"}),
        ("post", "/customers/{ada}/block/", {"reason": "no"}),
        ("post", "/customers/{ada}/login/", {"username": "ada2"}),
        ("get", "/customers/", None),
        ("get", "/books/{book}/copies/", None),
        ("post", "/holds/expire/", {}),
        ("get", "/reports/overdue/", None),
        ("get", "/reports/outstanding/", None),
        ("get", "/reports/active-rentals.csv", None),
        ("get", "/backup/", None),
        ("get", "/reports/aged-balances/", None),
        ("post", "/rentals/{rental}/lost/", {}),
    ],
)
def test_staff_only_operations_are_403_for_a_customer(world, method, path, body):
    path = path.format(ada=world["ada"], book=world["book"], rental=world["rentals"][world["ada"]])
    response = getattr(world["as_ada"], method)(path, body) if body is not None else world["as_ada"].get(path)
    assert response.status_code == 403, response.raw


# --- anonymous ----------------------------------------------------------------------------------------------------


def test_anonymous_reads_the_catalogue_the_plan_and_quotes(world):
    anonymous = world["anonymous"]
    for path in ("/books/", f"/books/{world['book']}/", "/plan/", f"/quotes/?book={world['book']}&days=3",
                 "/quotes/?book_type=N&rented_at=2024-06-01T10:00:00Z&returned_at=2024-06-03T10:00:00Z",
                 "/health/", "/schema/"):
        assert anonymous.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "method, path",
    [("post", "/books/"), ("put", "/books/{book}/"), ("post", "/customers/"), ("get", "/customers/{ada}/"),
     ("get", "/customers/{ada}/rentals/"), ("post", "/customers/{ada}/rentals/"), ("put", "/rentals/{rental}/close/"),
     ("post", "/holds/"), ("post", "/plans/"), ("get", "/reports/revenue/"), ("get", "/rentals/{rental}/")],
)
def test_anonymous_writes_and_private_reads_are_401(world, method, path):
    path = path.format(ada=world["ada"], book=world["book"], rental=world["rentals"][world["ada"]])
    response = getattr(world["anonymous"], method)(path)
    assert response.status_code == 401, response.raw
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401_even_where_anonymous_may_read(world, api):
    assert api.as_token("not-a-token").get("/books/").status_code == 401


# --- logins -------------------------------------------------------------------------------------------------------


def test_the_login_endpoint_and_command_issue_one_token_per_customer(world, api, capsys):
    bob = world["bob"]
    first = api.post(f"/customers/{bob}/login/", {"username": "bob"})
    assert first.status_code == 201, first.raw
    assert first.data["customer_id"] == bob
    again = api.post(f"/customers/{bob}/login/", {"username": "bob"})
    assert (again.status_code, again.data["token"]) == (200, first.data["token"])
    call_command("customer_login", str(bob), "bob")
    assert capsys.readouterr().out.strip() == first.data["token"]
    taken = api.post(f"/customers/{world['ada']}/login/", {"username": "bob"})
    assert taken.status_code == 400 and "username" in taken.data
    second_name = api.post(f"/customers/{bob}/login/", {"username": "robert"})
    assert second_name.status_code == 400 and "already logs in as 'bob'" in second_name.data["username"][0]
    assert api.post("/customers/999/login/", {"username": "ghost"}).status_code == 404
    as_bob = api.as_token(first.data["token"])
    assert as_bob.get(f"/customers/{bob}/").data["first_name"] == "Bob"


def test_customer_login_command_refuses_an_unknown_customer(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="customer 999 not found"):
        call_command("customer_login", "999", "ghost")


def test_a_token_request_reads_the_user_and_its_customer_in_one_query(world, django_assert_num_queries):
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.get(user__customer_login__customer_id=world["ada"]).key
    client = Client(headers={"Authorization": f"Token {token}"})
    # One query for the token, user and customer link, and nothing else: on sled or in memory the throttles count in
    # the process's memory, not in Django's database.
    with django_assert_num_queries(1) as queries:
        assert client.get(f"/customers/{world['ada']}/").status_code == 200
    assert "authtoken_token" in queries.captured_queries[0]["sql"]


def test_a_token_is_rotated_and_the_old_one_stops_working(api, as_customer):
    ada = api.customer()["id"]
    customer = as_customer(ada)
    rotated = customer.post("/auth/token/rotate/")
    assert rotated.status_code == 200, rotated.raw
    new = rotated.data["token"]
    assert new != customer.token
    assert customer.get(f"/customers/{ada}/").status_code == 401  # the old key
    assert customer.as_token(new).get(f"/customers/{ada}/").status_code == 200


def test_a_token_is_revoked_by_its_holder(api):
    assert api.get("/customers/").status_code == 200
    assert api.delete("/auth/token/").status_code == 204
    assert api.get("/customers/").status_code == 401


def test_staff_revoke_a_customers_login_and_may_issue_a_new_one(api, as_customer):
    ada = api.customer()["id"]
    customer = as_customer(ada)
    assert api.delete(f"/customers/{ada}/login/").status_code == 204
    assert customer.get(f"/customers/{ada}/").status_code == 401
    again = api.post(f"/customers/{ada}/login/", {"username": f"customer{ada}"})
    assert again.status_code == 201 and again.data["token"] != customer.token  # a new token was made
    assert customer.as_token(again.data["token"]).get(f"/customers/{ada}/").status_code == 200
    bob = api.customer(first_name="Bob")["id"]
    assert api.delete(f"/customers/{bob}/login/").status_code == 404  # no login to revoke


def test_tokens_are_managed_only_by_their_holders(api, anonymous, as_customer):
    assert anonymous.post("/auth/token/rotate/").status_code == 401
    assert anonymous.delete("/auth/token/").status_code == 401
    ada, bob = api.customer()["id"], api.customer(first_name="Bob")["id"]
    as_customer(bob)
    assert as_customer(ada).delete(f"/customers/{bob}/login/").status_code == 403
