import pytest

BOOK_KEYS = {"id", "title", "author", "book_type", "rental_status"}


def test_list_is_empty_at_first(api):
    response = api.get("/books/")
    assert response.status_code == 200
    assert response.data == []


def test_create_book_answers_the_original_shape(api, store):
    response = api.post("/books/", {"title": "Dune", "author": "Frank Herbert", "book_type": "F"})
    assert response.status_code == 201
    assert set(response.data) == BOOK_KEYS
    assert response.data["title"] == "Dune"
    assert response.data["author"] == "Frank Herbert"
    assert response.data["book_type"] == "F"
    assert response.data["rental_status"] == "Available"
    assert store.book(response.data["id"]).title == "Dune"


@pytest.mark.parametrize("book_type, category", [("R", "regular"), ("F", "fiction"), ("N", "novel")])
def test_book_type_codes_map_to_koko_categories(api, store, book_type, category):
    book = api.book(title=f"A {category} book", book_type=book_type)
    assert store.book(book["id"]).category == category
    assert api.get(f"/books/{book['id']}/").data["book_type"] == book_type


def test_list_shows_every_book(api):
    first = api.book(title="Emma", book_type="R")
    second = api.book(title="Ulysses", book_type="N")
    response = api.get("/books/")
    assert response.status_code == 200
    assert [b["id"] for b in response.data] == [first["id"], second["id"]]
    assert all(set(b) == BOOK_KEYS for b in response.data)


def test_get_book(api):
    book = api.book(title="Emma", author="Jane Austen", book_type="R")
    response = api.get(f"/books/{book['id']}/")
    assert response.status_code == 200
    assert response.data == book


@pytest.mark.parametrize("url", ["/books/999/", "/books/0/", "/books/99999999999999999999999/"])
def test_unknown_book_is_404(api, url):
    assert api.get(url).status_code == 404


def test_put_replaces_title_author_and_type(api, store):
    book = api.book(title="Emma", author="Jane", book_type="R")
    response = api.put(f"/books/{book['id']}/", {"title": "Persuasion", "author": "Jane Austen", "book_type": "N"})
    assert response.status_code == 200
    assert response.data == {**book, "title": "Persuasion", "author": "Jane Austen", "book_type": "N"}
    saved = store.book(book["id"])
    assert (saved.title, saved.author, saved.category) == ("Persuasion", "Jane Austen", "novel")


def test_put_needs_every_writable_field(api, store):
    book = api.book(title="Emma", book_type="R")
    response = api.put(f"/books/{book['id']}/", {"title": "Persuasion"})
    assert response.status_code == 400
    assert set(response.data) == {"author", "book_type"}
    assert store.book(book["id"]).title == "Emma"


def test_patch_changes_only_what_it_names(api, store):
    book = api.book(title="Emma", author="Jane Austen", book_type="R")
    response = api.patch(f"/books/{book['id']}/", {"book_type": "F"})
    assert response.status_code == 200
    assert response.data == {**book, "book_type": "F"}
    assert store.book(book["id"]).category == "fiction"


def test_put_unknown_book_is_404(api):
    response = api.put("/books/42/", {"title": "X", "author": "Y", "book_type": "R"})
    assert response.status_code == 404


def test_duplicate_title_is_400_and_adds_nothing(api, store):
    api.book(title="Dune")
    response = api.post("/books/", {"title": "Dune", "author": "Someone Else", "book_type": "R"})
    assert response.status_code == 400
    assert "title" in response.data
    assert len(store.books()) == 1


def test_renaming_to_a_taken_title_is_400_and_changes_nothing(api, store):
    api.book(title="Dune")
    emma = api.book(title="Emma")
    response = api.put(f"/books/{emma['id']}/", {"title": "Dune", "author": "Jane", "book_type": "R"})
    assert response.status_code == 400
    assert "title" in response.data
    assert store.book(emma["id"]).title == "Emma"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "X", "author": "Y", "book_type": "Z"}, "book_type"),
        ({"title": "", "author": "Y", "book_type": "R"}, "title"),
        ({"author": "Y", "book_type": "R"}, "title"),
        ({"title": "X" * 501, "author": "Y", "book_type": "R"}, "title"),  # koko's own limit, reported by field
    ],
)
def test_invalid_book_is_400_naming_the_field(api, store, body, field):
    response = api.post("/books/", body)
    assert response.status_code == 400
    assert field in response.data
    assert store.books() == []


def test_rental_status_is_read_only(api):
    response = api.post("/books/", {"title": "Emma", "author": "J", "book_type": "R", "rental_status": "Rented Out"})
    assert response.status_code == 201
    assert response.data["rental_status"] == "Available"
    book_id = response.data["id"]
    response = api.put(f"/books/{book_id}/", {"title": "Emma", "author": "J", "book_type": "R", "rental_status": "Rented Out"})
    assert response.status_code == 200
    assert response.data["rental_status"] == "Available"


def test_rental_status_follows_koko_availability(api):
    book = api.book(title="Emma")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"])
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Rented Out"
    assert api.get("/books/").data[0]["rental_status"] == "Rented Out"
    api.close(rental["id"], "2999-01-01T00:00:00Z")
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Available"


def test_a_book_with_two_copies_stays_available_after_one_rental(api, store):
    book = api.book(title="Emma", copies=2)
    assert store.available_copies(book["id"]) == 2
    api.rent(api.customer()["id"], book["id"])
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Available"
    api.rent(api.customer(first_name="Bob")["id"], book["id"])
    assert api.get(f"/books/{book['id']}/").data["rental_status"] == "Rented Out"
