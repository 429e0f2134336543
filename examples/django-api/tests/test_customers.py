import pytest

# The original API's shape, plus the email address notices are sent to (null until given).
CUSTOMER_KEYS = {"id", "first_name", "last_name", "is_active", "email"}


def test_create_customer_answers_the_original_shape(api, store):
    response = api.post("/customers/", {"first_name": "Ada", "last_name": "Lovelace"})
    assert response.status_code == 201
    assert set(response.data) == CUSTOMER_KEYS
    assert response.data["first_name"] == "Ada"
    assert response.data["last_name"] == "Lovelace"
    assert response.data["is_active"] is True
    assert response.data["email"] is None
    assert store.customer(response.data["id"]).last_name == "Lovelace"


def test_a_customer_has_an_email_address_for_notices(api, store):
    response = api.post("/customers/", {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.org"})
    assert response.status_code == 201, response.raw
    assert response.data["email"] == "ada@example.org"
    assert store.customer(response.data["id"]).email == "ada@example.org"
    # PATCH changes it; a PUT without it keeps it; a malformed one is a 400 naming the field.
    patched = api.patch(f"/customers/{response.data['id']}/", {"email": "ada@lovelace.example"})
    assert patched.data["email"] == "ada@lovelace.example"
    kept = api.put(f"/customers/{response.data['id']}/", {"first_name": "Ada", "last_name": "King"})
    assert (kept.data["last_name"], kept.data["email"]) == ("King", "ada@lovelace.example")
    bad = api.post("/customers/", {"first_name": "A", "last_name": "B", "email": "not an address"})
    assert (bad.status_code, list(bad.data)) == (400, ["email"])
    assert len(store.customers()) == 1


def test_an_email_address_is_one_customers_and_a_second_is_400_naming_it(api, store):
    ada = api.customer(email="ada@example.org")
    response = api.post("/customers/", {"first_name": "Augusta", "last_name": "King", "email": "ADA@example.org"})
    assert response.status_code == 400, response.raw
    assert "email" in response.data
    assert len(store.customers()) == 1
    alan = api.customer(first_name="Alan", last_name="Turing")
    taken = api.patch(f"/customers/{alan['id']}/", {"email": "ada@example.org"})
    assert (taken.status_code, "email" in taken.data) == (400, True), taken.raw
    assert store.customer(alan["id"]).email is None and store.customer(ada["id"]).email == "ada@example.org"


def test_create_an_inactive_customer(api, store):
    response = api.post("/customers/", {"first_name": "Ada", "last_name": "Lovelace", "is_active": False})
    assert response.status_code == 201
    assert response.data["is_active"] is False
    assert store.customer(response.data["id"]).active is False


def test_list_customers(api):
    assert api.get("/customers/").data == []
    ada = api.customer("Ada", "Lovelace")
    alan = api.customer("Alan", "Turing")
    response = api.get("/customers/")
    assert response.status_code == 200
    assert response.data == [ada, alan]


def test_get_customer_and_unknown_customer(api):
    ada = api.customer()
    assert api.get(f"/customers/{ada['id']}/").data == ada
    assert api.get("/customers/999/").status_code == 404


def test_put_updates_names_and_is_active(api, store):
    ada = api.customer("Ada", "Byron")
    response = api.put(f"/customers/{ada['id']}/", {"first_name": "Augusta", "last_name": "Lovelace", "is_active": False})
    assert response.status_code == 200
    assert response.data == {
        "id": ada["id"], "first_name": "Augusta", "last_name": "Lovelace", "is_active": False, "email": None
    }
    saved = store.customer(ada["id"])
    assert (saved.first_name, saved.last_name, saved.active) == ("Augusta", "Lovelace", False)


def test_put_without_is_active_keeps_it(api, store):
    ada = api.customer(is_active=False)
    response = api.put(f"/customers/{ada['id']}/", {"first_name": "Ada", "last_name": "King"})
    assert response.status_code == 200
    assert response.data["is_active"] is False
    assert store.customer(ada["id"]).last_name == "King"


def test_put_unknown_customer_is_404(api):
    assert api.put("/customers/7/", {"first_name": "A", "last_name": "B"}).status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [({"first_name": "", "last_name": "B"}, "first_name"), ({"first_name": "A"}, "last_name"),
     ({"first_name": "A", "last_name": "B", "is_active": "maybe"}, "is_active")],
)
def test_invalid_customer_is_400(api, store, body, field):
    response = api.post("/customers/", body)
    assert response.status_code == 400
    assert field in response.data
    assert store.customers() == []
