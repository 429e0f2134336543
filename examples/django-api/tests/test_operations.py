"""The engine operations issue 15 brought to HTTP: copies, plans, quotes, reports, the streamed CSV, /health/."""

import csv
import io
import json
import tempfile
from decimal import Decimal
from pathlib import Path

import koko
import pytest

from bookstore import store as koko_store

MONDAY = "2024-06-03T10:00:00Z"
THURSDAY = "2024-06-06T10:00:00Z"


def test_copies_are_added_listed_withdrawn_and_reinstated(api, store):
    book = api.book(title="Dune", book_type="F")
    added = api.post(f"/books/{book['id']}/copies/", {"count": 2})
    assert added.status_code == 201, added.raw
    assert [c["status"] for c in added.data] == ["available", "available"]
    copies = api.get(f"/books/{book['id']}/copies/").data
    assert len(copies) == 3 and store.available_copies(book["id"]) == 3
    withdrawn = api.post(f"/copies/{copies[0]['id']}/withdraw/")
    assert (withdrawn.status_code, withdrawn.data["status"]) == (200, "withdrawn")
    assert store.available_copies(book["id"]) == 2
    assert api.post(f"/copies/{copies[0]['id']}/reinstate/").data["status"] == "available"
    assert api.post(f"/books/{book['id']}/copies/", {"count": 0}).status_code == 400
    assert api.post("/copies/999/withdraw/").status_code == 404
    assert api.get("/books/999/copies/").status_code == 404


def test_the_copies_limit_is_kokos(api, store):
    """koko adds 1 to 10,000 copies per call (MAX_COPIES_PER_CALL): the API accepts just as many."""
    book = api.book()
    assert len(api.post(f"/books/{book['id']}/copies/", {"count": 10_000}).data) == 10_000
    assert store.available_copies(book["id"]) == 10_001
    over = api.post(f"/books/{book['id']}/copies/", {"count": 10_001})
    assert over.status_code == 400 and list(over.data) == ["count"]
    dune = api.book("Dune", "Frank Herbert", "R", copies=10_000)
    assert store.available_copies(dune["id"]) == 10_000
    over = api.post("/books/", {"title": "Emma", "author": "Jane Austen", "book_type": "N", "copies": 10_001})
    assert over.status_code == 400 and list(over.data) == ["copies"]


def _plan(rate: str) -> dict:
    return {
        "name": f"flat {rate}",
        "currency": "USD",
        "categories": {c: {"tiers": [{"from_day": 1, "rate": rate}]} for c in ("regular", "fiction", "novel")},
    }


def test_a_published_plan_becomes_current_and_is_listed(api, store):
    assert api.get("/plan/").data == json.loads(koko.PricePlan.story3().to_json())
    published = api.post("/plans/", {"effective_from": "2020-01-01T00:00:00Z", "plan": _plan("2.25")})
    assert published.status_code == 201, published.raw
    assert published.data["plan"]["name"] == "flat 2.25"
    current = api.get("/plan/").data
    assert koko.PricePlan.from_json(json.dumps(current)).quote_days("novel", 2).total == Decimal("4.50")
    assert [v["id"] for v in api.get("/plans/").data] == [1, published.data["id"]]


@pytest.mark.parametrize(
    "plan, field",
    [({"currency": "USD", "categories": {}}, "plan"), ({**_plan("1.00"), "currency": "XYZ"}, "plan"),
     ({**_plan("1.00"), "categories": {"regular": {"tiers": [{"from_day": 1, "rate": 1.5}]}}}, "plan"),
     ("not a plan", "plan")],
)
def test_a_bad_plan_is_400_naming_the_field_and_publishes_nothing(api, store, plan, field):
    response = api.post("/plans/", {"effective_from": "2030-01-01T00:00:00Z", "plan": plan})
    assert response.status_code == 400, response.raw
    assert field in response.data
    assert len(store.plan_versions()) == 1


def test_quotes_for_days_for_times_and_for_a_rental(api):
    book = api.book(title="Emma", book_type="N")
    by_days = api.get(f"/quotes/?book={book['id']}&days=2")
    assert by_days.status_code == 200, by_days.raw
    assert by_days.data == {
        "days": 2,
        "total": "4.50",
        "currency": "USD",
        "lines": [{"description": "days 1–2 at 1.50", "amount": "3.00"},
                  {"description": "minimum charge adjustment", "amount": "1.50"}],
    }
    by_times = api.get("/quotes/?book_type=R&rented_at=2024-06-01T10:00:00Z&returned_at=2024-06-04T10:00:00Z")
    assert (by_times.data["days"], by_times.data["total"]) == (3, "3.50")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    quote = api.get(f"/rentals/{rental['id']}/quote/?at={THURSDAY}")
    assert quote.data["total"] == "4.50"
    closed = api.close(rental["id"], THURSDAY)
    assert closed.data["amount_charged"] == quote.data["total"]


def test_a_closed_rental_shows_its_itemised_charge_and_its_quote_is_that_charge(api):
    # Emma (a novel, 1.50 a day, 4.50 at least) rented Monday, returned Thursday: 3 days, 4.50, no adjustment.
    book = api.book(title="Emma", book_type="N")
    ada = api.customer()
    rental = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    receipt = {"days": 3, "total": "4.50", "currency": "USD",
               "lines": [{"description": "days 1–3 at 1.50", "amount": "4.50"}]}
    assert api.get(f"/rentals/{rental['id']}/").data["charge"] is None  # still out
    closed = api.close(rental["id"], THURSDAY)
    assert closed.data["charge"] == receipt
    assert api.get(f"/rentals/{rental['id']}/").data["charge"] == receipt
    # The quote of a closed rental is what it was charged, whatever instant is asked (not a 409, not re-priced).
    for query in ("", "?at=2030-01-01T00:00:00Z"):
        quoted = api.get(f"/rentals/{rental['id']}/quote/{query}")
        assert (quoted.status_code, quoted.data) == (200, receipt), quoted.raw


@pytest.mark.parametrize(
    "query, field",
    [("days=2", "book"), ("book=1&book_type=N&days=2", "book"), ("book_type=N", "days"),
     ("book_type=N&days=2&rented_at=2024-06-01T10:00:00Z", "days"), ("book_type=N&rented_at=2024-06-01T10:00:00Z", "returned_at"),
     ("book_type=N&rented_at=2024-06-05T10:00:00Z&returned_at=2024-06-01T10:00:00Z", "returned_at"),
     ("book_type=X&days=1", "book_type"), ("book_type=N&days=-1", "days")],
)
def test_a_bad_quote_query_is_400_naming_the_parameter(api, query, field):
    response = api.get(f"/quotes/?{query}")
    assert response.status_code == 400, response.raw
    assert field in response.data


def test_overdue_revenue_and_outstanding_reports(api, store):
    plan = json.loads(koko.PricePlan.story3().to_json())
    plan["categories"]["novel"]["late_fee"] = {"loan_days": 7, "per_day": "0.50"}
    late = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(plan)))
    koko_store.use_store(late)
    book = api.book(title="Emma", book_type="N", copies=3)
    ada = api.customer()
    open_ = [api.rent(ada["id"], book["id"], date_rented=MONDAY)["id"] for _ in range(2)]
    returned = api.rent(ada["id"], book["id"], date_rented=MONDAY)
    api.close(returned["id"], THURSDAY)
    overdue = api.get("/reports/overdue/?at=2024-06-20T10:00:00Z")
    assert [r["id"] for r in overdue.data] == open_
    assert api.get("/reports/overdue/?at=2024-06-04T10:00:00Z").data == []
    revenue = api.get("/reports/revenue/?start=2024-06-01T00:00:00Z&end=2024-07-01T00:00:00Z").data
    assert revenue == [{"currency": "USD", "category": "novel", "book_type": "N", "rentals": 1, "total": "4.50"}]
    assert api.get("/reports/revenue/?start=2024-07-01T00:00:00Z&end=2024-06-01T00:00:00Z").status_code == 400
    outstanding = api.get(f"/reports/outstanding/?at={THURSDAY}").data
    assert outstanding == {"at": THURSDAY, "rentals": 2, "totals": [{"currency": "USD", "total": "9.00"}]}
    assert api.get("/reports/outstanding/?at=2024-06-01T10:00:00Z").status_code == 400


def test_the_active_rentals_csv_is_streamed_from_koko(api, store, tmp_path):
    book = api.book(title="Emma", book_type="N", copies=40)
    ada = api.customer()
    for _ in range(40):
        api.rent(ada["id"], book["id"], date_rented=MONDAY)
    response = api.client.get("/reports/active-rentals.csv", headers={"Authorization": f"Token {api.token}"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    store.export_active_rentals_csv(tmp_path / "active.csv")
    assert body == (tmp_path / "active.csv").read_bytes()
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 40 and rows[0]["category"] == "novel"


def test_backup_streams_a_consistent_dump_of_the_live_store_to_staff(api, anonymous, store, tmp_path):
    book = api.book(copies=2)
    ada = api.customer()
    api.rent(ada["id"], book["id"], date_rented=MONDAY)
    response = api.client.get("/backup/", headers={"Authorization": f"Token {api.token}"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    body = b"".join(response.streaming_content)
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert "koko_dump" in lines[0]
    kinds = [next(iter(record)) for record in lines[1:-1]]
    assert (kinds.count("book"), kinds.count("customer"), kinds.count("rental")) == (1, 1, 1)
    assert len(lines[1 + kinds.index("book")]["book"]["copies"]) == 2
    # It restores: a complete dump (its end line's counts match), the same records as the store's own backup.
    (tmp_path / "over-http.dump").write_bytes(body)
    copy = koko.BookStore.restore(tmp_path / "over-http.dump", str(tmp_path / "copy"))
    assert copy.rental(1).customer_id == ada["id"]
    mine = (tmp_path / "direct.dump")
    store.backup(mine)
    assert mine.read_text().splitlines()[1:] == body.decode().splitlines()[1:]
    # No dump is left behind in the temporary directory.
    assert not [p for p in Path(tempfile.gettempdir()).glob("koko-dump-*")]
    assert anonymous.get("/backup/").status_code == 401


def test_health_answers_200_and_503_when_the_store_is_closed(anonymous, store):
    healthy = anonymous.get("/health/")
    assert (healthy.status_code, healthy.data) == (200, {"status": "ok", "store": "ok", "database": "ok"})
    store.close()
    sick = anonymous.get("/health/")
    assert (sick.status_code, sick.data["status"], sick.data["store"]) == (503, "unavailable", "unavailable")


def test_every_list_answers_through_the_views_paginator(api, monkeypatch):
    """Every list endpoint pages through DRF's pagination_class (bookstore.pagination.KeysetPagination); the list a
    write answers (POST /holds/expire/) is not a page."""
    from bookstore.pagination import KeysetPagination

    seen = []
    real = KeysetPagination.paginate_queryset

    def spy(self, records, request, view=None):
        seen.append(request.path)
        return real(self, records, request, view)

    monkeypatch.setattr(KeysetPagination, "paginate_queryset", spy)
    book = api.book()
    ada = api.customer()
    lists = ["/books/", "/customers/", "/rentals/", f"/customers/{ada['id']}/rentals/", f"/books/{book['id']}/holds/",
             f"/customers/{ada['id']}/holds/", f"/customers/{ada['id']}/notices/", f"/books/{book['id']}/copies/",
             "/plans/", "/reports/overdue/", "/reports/aged-balances/",
             "/reports/revenue/?start=2024-01-01T00:00:00Z&end=2024-02-01T00:00:00Z"]
    for path in lists:
        assert api.get(path).status_code == 200, path
    expired = api.post("/holds/expire/")
    assert expired.status_code == 200 and expired.data == []
    assert sorted(seen) == sorted(p.split("?")[0] for p in lists)
