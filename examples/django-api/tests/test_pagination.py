"""Keyset pages on every list (``bookstore.listing``), search and filters, and ``KOKO_API_PAGINATION=off``."""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import threading
from urllib.parse import urlsplit

import koko
import pytest

from bookstore import store as koko_store

pytestmark = pytest.mark.paginated

UTC = dt.timezone.utc
T0 = dt.datetime(2024, 6, 3, 10, tzinfo=UTC)


def relative(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def walk(api, url: str, direction: str = "next"):
    """Every page from ``url`` following ``direction`` links: (pages, the last page's answer)."""
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.raw
        pages.append([item["id"] for item in response.data["results"]])
        last, url = response.data, response.data[direction] and relative(response.data[direction])
    return pages, last


def add_books(store, count: int) -> None:
    batch = koko.Batch()
    for n in range(count):
        batch.add_book(title=f"Book {n:05d}", author="Anon", category=("regular", "fiction", "novel")[n % 3])
    assert not any(isinstance(made, koko.KokoError) for made in store.apply_batch(batch))


@pytest.mark.parametrize("limit", [100, 1000])
def test_walking_10000_books_sees_each_once_while_rentals_change(api, store, limit):
    add_books(store, 10_000)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    stop, changes, errors = threading.Event(), [0], []

    def churn():  # rents and returns through the store all along the walk: availability changes under the pages
        pick = random.Random(limit)
        while not stop.is_set():
            try:
                rental = store.rent(customer_id=ada.id, book_id=pick.randint(1, 10_000))
                store.return_rental(rental_id=rental.id)
                changes[0] += 1
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=churn)
    thread.start()
    try:
        forward, last = walk(api, f"/books/?limit={limit}")
        backward, first = walk(api, relative(last["previous"]), "previous")
    finally:
        stop.set()
        thread.join()
    assert not errors and changes[0] > 0
    seen = [book_id for page in forward for book_id in page]
    assert seen == list(range(1, 10_001))  # each exactly once, in order
    assert [len(page) for page in forward] == [limit] * (10_000 // limit)
    assert last["next"] is None and first["previous"] is None
    back = [book_id for page in reversed(backward) for book_id in page]
    assert back + forward[-1] == seen  # previous walks back over every page before the last
    assert all(len(page) == limit for page in backward)


def test_a_page_answers_links_and_the_default_limit(api, store):
    add_books(store, 120)
    first = api.get("/books/")
    assert first.status_code == 200
    assert (first.data["previous"], len(first.data["results"])) == (None, 50)
    assert first.data["next"].startswith("http://testserver/books/?cursor=")
    second = api.get(relative(first.data["next"]))
    assert [b["id"] for b in second.data["results"]] == list(range(51, 101))
    back = api.get(relative(second.data["previous"]))
    assert ([b["id"] for b in back.data["results"]], back.data["previous"]) == (list(range(1, 51)), None)
    kept = api.get("/books/?search=book&limit=7")
    assert "search=book" in kept.data["next"] and "limit=7" in kept.data["next"]  # filters carry over


@pytest.mark.parametrize("cursor", ["nonsense!", "YQ", base64.urlsafe_b64encode(b"x5").decode(),
                                    base64.urlsafe_b64encode(b"a-1").decode(), base64.urlsafe_b64encode(b"o3").decode()])
def test_an_invalid_cursor_is_400_naming_cursor(api, cursor):
    response = api.get(f"/books/?cursor={cursor}")
    assert response.status_code == 400 and list(response.data) == ["cursor"], response.raw


@pytest.mark.parametrize("limit", ["0", "1001", "-5", "ten", "1.5", ""])
def test_an_invalid_limit_is_400_naming_limit(api, limit):
    response = api.get(f"/customers/?limit={limit}")
    assert response.status_code == 400 and list(response.data) == ["limit"], response.raw


def test_small_lists_page_in_python_with_the_same_links(api):
    book = api.book(copies=5)
    first = api.get(f"/books/{book['id']}/copies/?limit=2")
    assert [c["id"] for c in first.data["results"]] == [1, 2] and first.data["previous"] is None
    second = api.get(relative(first.data["next"]))
    third = api.get(relative(second.data["next"]))
    assert [c["id"] for c in third.data["results"]] == [5] and third.data["next"] is None
    assert [c["id"] for c in api.get(relative(third.data["previous"])).data["results"]] == [3, 4]
    api.book("Dune", "Frank Herbert", "R")
    keyset = api.get("/books/?limit=1").data["next"]
    assert api.get(f"/books/{book['id']}/copies/?" + urlsplit(keyset).query).status_code == 400  # another kind


def test_pagination_off_serves_plain_lists(api, settings):
    api.book()
    settings.KOKO_API_PAGINATION = False
    response = api.get("/books/?limit=1&cursor=whatever")  # ignored
    assert response.status_code == 200 and [b["title"] for b in response.data] == ["The Hobbit"]
    assert api.get("/books/?search=hobbit").data[0]["title"] == "The Hobbit"


@pytest.fixture
def shelf(api):
    """Four books (novels are due back in 7 days) and three customers."""
    plan = json.loads(koko.PricePlan.story3().to_json())
    plan["categories"]["novel"]["late_fee"] = {"loan_days": 7, "per_day": "0.50"}
    koko_store.use_store(koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan))))
    hobbit = api.book("The Hobbit", "J. R. R. Tolkien", "N")
    rings = api.book("The Lord of the Rings", "J. R. R. Tolkien", "F")
    emile = api.book("Émile, ou De l'éducation", "Jean-Jacques Rousseau", "N")
    dune = api.book("Dune", "Frank Herbert", "R")
    ada = api.customer("Ada", "Lovelace", email="ada@example.org")
    alan = api.customer("Alan", "Turing")
    grace = api.customer("Grace", "Hopper", email="amazing.grace@example.org")
    return dict(hobbit=hobbit, rings=rings, emile=emile, dune=dune, ada=ada, alan=alan, grace=grace)


def titles(response):
    assert response.status_code == 200, response.raw
    return [book["title"] for book in response.data["results"]]


def test_book_search_and_filters(api, anonymous, shelf):
    api.rent(shelf["ada"]["id"], shelf["dune"]["id"])
    assert titles(anonymous.get("/books/?search=tolk")) == ["The Hobbit", "The Lord of the Rings"]
    assert titles(anonymous.get("/books/?search=TOLK%20lord")) == ["The Lord of the Rings"]
    assert titles(anonymous.get("/books/?search=tolk&category=fiction")) == ["The Lord of the Rings"]
    assert titles(anonymous.get("/books/?search=emile")) == ["Émile, ou De l'éducation"]  # accents ignored
    assert titles(anonymous.get("/books/?search=educ%20rousseau")) == ["Émile, ou De l'éducation"]
    assert titles(anonymous.get("/books/?category=novel")) == ["The Hobbit", "Émile, ou De l'éducation"]
    assert titles(anonymous.get("/books/?available=false")) == ["Dune"]
    assert titles(anonymous.get("/books/?available=true&category=regular")) == []
    assert titles(anonymous.get("/books/?search=tolk&available=true&limit=1")) == ["The Hobbit"]
    assert titles(anonymous.get("/books/?search=nothing")) == []
    assert titles(anonymous.get("/books/?search=")) == [b["title"] for b in shelf.values() if "title" in b]


@pytest.mark.parametrize("query,field", [("category=poetry", "category"), ("available=maybe", "available"),
                                         ("search=" + "x" * 201, "search")])
def test_bad_book_filters_are_400_naming_the_parameter(anonymous, query, field):
    response = anonymous.get(f"/books/?{query}")
    assert response.status_code == 400 and list(response.data) == [field], response.raw


def test_customer_search_is_staff_only(api, anonymous, as_customer, shelf):
    found = api.get("/customers/?search=ada")
    assert [c["last_name"] for c in found.data["results"]] == ["Lovelace"]
    assert [c["last_name"] for c in api.get("/customers/?search=AMAZING").data["results"]] == ["Hopper"]
    assert [c["last_name"] for c in api.get("/customers/?search=a").data["results"]] == [
        "Lovelace", "Turing", "Hopper"]
    assert anonymous.get("/customers/?search=ada").status_code == 401
    assert as_customer(shelf["ada"]["id"]).get("/customers/?search=ada").status_code == 403


@pytest.fixture
def lending(api, shelf):
    ada, alan = shelf["ada"]["id"], shelf["alan"]["id"]
    old = api.rent(ada, shelf["hobbit"]["id"], date_rented="2024-01-02T10:00:00Z")  # long overdue
    closed = api.rent(alan, shelf["rings"]["id"], date_rented="2024-06-03T10:00:00Z")
    assert api.close(closed["id"], "2024-06-05T10:00:00Z").status_code == 200
    lost = api.rent(alan, shelf["emile"]["id"], date_rented="2024-06-03T10:00:00Z")
    assert api.post(f"/rentals/{lost['id']}/lost/", {"at": "2024-06-10T10:00:00Z"}).status_code == 200
    fresh = api.rent(alan, shelf["dune"]["id"])  # due in days
    return dict(old=old["id"], closed=closed["id"], lost=lost["id"], fresh=fresh["id"], ada=ada, alan=alan)


def ids(response):
    assert response.status_code == 200, response.raw
    return [rental["id"] for rental in response.data["results"]]


def test_rental_filters(api, lending):
    assert ids(api.get("/rentals/")) == [lending[k] for k in ("old", "closed", "lost", "fresh")]
    assert ids(api.get("/rentals/?status=active")) == [lending["old"], lending["fresh"]]
    assert ids(api.get("/rentals/?status=closed")) == [lending["closed"]]
    assert ids(api.get("/rentals/?status=lost")) == [lending["lost"]]
    assert ids(api.get(f"/rentals/?customer={lending['alan']}")) == [lending[k] for k in ("closed", "lost", "fresh")]
    assert ids(api.get(f"/rentals/?customer={lending['alan']}&status=active")) == [lending["fresh"]]
    assert ids(api.get("/rentals/?overdue=true")) == [lending["old"]]
    assert ids(api.get(f"/rentals/?overdue=true&customer={lending['alan']}")) == []
    assert api.get("/rentals/?customer=99").status_code == 404
    assert api.get("/rentals/?limit=1").data["results"][0]["book_title"] == "The Hobbit"
    assert ids(api.get(f"/customers/{lending['alan']}/rentals/?limit=2")) == [lending["closed"], lending["lost"]]
    assert ids(api.get("/reports/overdue/")) == [lending["old"]]


@pytest.mark.parametrize("query,field", [("status=open", "status"), ("customer=abc", "customer"),
                                         ("customer=0", "customer"), ("overdue=yes", "overdue")])
def test_bad_rental_filters_are_400_naming_the_parameter(api, query, field):
    response = api.get(f"/rentals/?{query}")
    assert response.status_code == 400 and list(response.data) == [field], response.raw


def test_a_customer_lists_only_their_own_rentals(as_customer, anonymous, lending):
    ada = as_customer(lending["ada"])
    assert ids(ada.get("/rentals/")) == [lending["old"]]
    assert ids(ada.get("/rentals/?status=closed")) == []
    assert ids(ada.get(f"/rentals/?customer={lending['ada']}&overdue=true")) == [lending["old"]]
    assert ada.get(f"/rentals/?customer={lending['alan']}").status_code == 404  # as if it did not exist
    assert ada.get(f"/customers/{lending['alan']}/rentals/").status_code == 404
    assert anonymous.get("/rentals/").status_code == 401


def test_the_schema_describes_pages_and_filters(anonymous):
    schema = json.loads(anonymous.get("/schema/?format=json").raw)
    books = schema["paths"]["/books/"]["get"]
    assert {p["name"] for p in books["parameters"]} >= {"cursor", "limit", "search", "category", "available"}
    page = books["responses"]["200"]["content"]["application/json"]["schema"]
    page = schema["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert set(page["properties"]) == {"next", "previous", "results"} and "400" in books["responses"]
    rentals = schema["paths"]["/rentals/"]["get"]
    assert {p["name"] for p in rentals["parameters"]} >= {"cursor", "limit", "status", "customer", "overdue"}
    expire = schema["paths"]["/holds/expire/"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert expire["type"] == "array"  # the answer of a write is not a page
