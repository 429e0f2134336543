"""GET /events/: koko's feed over HTTP (staff only), keyset pages by position, filtered by type."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.paginated


def fill(api, books: int = 3) -> None:
    for n in range(books):
        api.book(title=f"Book {n}")
    api.customer()


def walk(api, url: str) -> list:
    events = []
    while url:
        page = api.get(url)
        assert page.status_code == 200, page.raw
        events += page.data["results"]
        url = page.data["next"]
    return events


def test_pages_follow_positions_to_the_end(api, store):
    fill(api)
    expected = [(e.position, e.id, e.type) for e in store.events(limit=1000)]
    assert len(expected) == 5  # the plan, three books, a customer
    events = walk(api, "/events/?limit=2")
    assert [(e["position"], e["id"], e["type"]) for e in events] == expected
    assert [e["position"] for e in events] == list(range(1, 6))
    first = api.get("/events/?limit=2")
    assert first.data["next"].endswith("/events/?limit=2&after=2") or "after=2" in first.data["next"]
    book = events[1]
    assert book["type"] == "book.added" and book["subjects"] == {"book": 1}
    assert book["data"]["book"]["title"] == "Book 0" and book["data"]["v"] == 1
    assert book["at"].endswith("Z") and book["id"] == "evt_00000000000000000002"
    assert set(book) == {"id", "type", "position", "at", "subjects", "data"}


def test_a_full_last_page_has_no_next_link_and_after_the_end_is_empty(api, store):
    fill(api, books=1)  # three events
    page = api.get("/events/?limit=3")
    assert [e["position"] for e in page.data["results"]] == [1, 2, 3] and page.data["next"] is None
    at_end = api.get("/events/?after=3")
    assert (at_end.status_code, at_end.data) == (200, {"next": None, "results": []})
    api.book(title="Later")
    assert [e["type"] for e in api.get("/events/?after=3").data["results"]] == ["book.added"]


def test_types_filter_and_keep_their_order(api, store):
    fill(api)
    books = walk(api, "/events/?types=book.added&limit=1")
    assert [e["position"] for e in books] == [2, 3, 4]
    both = api.get("/events/?types=customer.registered,%20plan.published").data["results"]
    assert [e["type"] for e in both] == ["plan.published", "customer.registered"]
    assert api.get("/events/?after=4&types=book.added").data == {"next": None, "results": []}


@pytest.mark.parametrize("query, field", [
    ("types=rental.exploded", "types"),
    ("types=book.added,nope", "types"),
    ("types=book.added,,rental.opened", "types"),
    ("types=", "types"),
    ("after=-1", "after"),
    ("after=x", "after"),
    ("after=99", "after"),
    ("after=99999999999999999999", "after"),
    ("limit=0", "limit"),
    ("limit=1001", "limit"),
    ("limit=ten", "limit"),
])
def test_bad_queries_are_400s_naming_the_parameter(api, store, query, field):
    fill(api, books=1)
    answer = api.get(f"/events/?{query}")
    assert answer.status_code == 400, answer.raw
    assert list(answer.data) == [field], answer.data


def test_an_after_within_the_feed_is_fine_even_with_no_event_of_the_types_after_it(api, store):
    fill(api, books=1)
    assert api.get("/events/?after=2&types=hold.ready").data == {"next": None, "results": []}
    assert api.get("/events/?after=0").status_code == 200


def test_staff_only(api, anonymous, as_customer):
    ada = api.customer()
    assert anonymous.get("/events/").status_code == 401
    assert as_customer(ada["id"]).get("/events/").status_code == 403
