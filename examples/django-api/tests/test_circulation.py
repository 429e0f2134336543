"""Holds, lost and found copies, damage fees and notices over HTTP. The rules are koko's (worked out by hand below
from the plan); these tests check the endpoints, their bodies and the errors' status codes."""

import datetime as dt
import json

import koko
import pytest

from bookstore import store as koko_store

from .conftest import UTC

# Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewable twice; lost: 20.00 + 5.00 processing, the 20.00
# credited back when found. Novel: 1.50 a day, due after 14 days; lost: 15.00, not credited back. Fiction: 3.00 a
# day. A copy set aside waits 3 days; at most 2 holds each. Notices 2 days before the due date, then 1 and 7 days late.
PLAN = {
    "currency": "USD",
    "categories": {
        "regular": {
            "tiers": [{"from_day": 1, "rate": "1.00"}],
            "late_fee": {"loan_days": 7, "per_day": "0.50"},
            "renewals": {"max": 2},
            "replacement": {"fee": "20.00", "processing_fee": "5.00", "refund_when_found": True},
        },
        "novel": {
            "tiers": [{"from_day": 1, "rate": "1.50"}],
            "late_fee": {"loan_days": 14, "per_day": "0.25"},
            "replacement": {"fee": "15.00"},
        },
        "fiction": {"tiers": [{"from_day": 1, "rate": "3.00"}]},
    },
    "holds": {"pickup_days": 3},
    "limits": {"max_holds": 2},
    "notices": {"due_soon_days": 2, "overdue_days": [1, 7]},
}
HOLD_KEYS = {
    "id", "book_id", "customer_id", "placed_at", "status", "position", "copy_id", "ready_until", "closed_at",
    "rental_id",
}


def june(day: int, hour: int = 10) -> str:
    return f"2024-06-{day:02d}T{hour:02d}:00:00Z"


@pytest.fixture(autouse=True)
def store():
    """The process's store, for each test: a fresh memory store under PLAN."""
    fresh = koko.BookStore.memory(plan=koko.PricePlan.from_json(json.dumps(PLAN)))
    previous = koko_store.use_store(fresh)
    yield fresh
    koko_store.use_store(previous)


def hold(api, customer_id: int, book_id: int, at: str, **headers):
    return api.post("/holds/", {"customer_id": customer_id, "book_id": book_id, "at": at}, headers=headers or None)


# --- holds -------------------------------------------------------------------------------------------------------


def test_a_queue_for_a_book_that_is_out(api):
    ulysses = api.book(title="Ulysses", book_type="R")
    ada, bob, carol = api.customer("Ada"), api.customer("Bob"), api.customer("Carol")
    rental = api.rent(ada["id"], ulysses["id"], date_rented=june(3))  # due 10 June 10:00
    first = hold(api, bob["id"], ulysses["id"], june(4))
    assert first.status_code == 201, first.raw
    assert first.data == {
        "id": 1,
        "book_id": ulysses["id"],
        "customer_id": bob["id"],
        "placed_at": june(4),
        "status": "waiting",
        "position": 1,
        "copy_id": None,
        "ready_until": None,
        "closed_at": None,
        "rental_id": None,
    }
    second = hold(api, carol["id"], ulysses["id"], june(4, 11))
    assert (second.status_code, second.data["id"], second.data["position"]) == (201, 2, 2)
    assert api.get("/holds/1/").data == first.data
    assert api.get(f"/books/{ulysses['id']}/holds/").data == [first.data, second.data]
    assert api.get(f"/customers/{bob['id']}/holds/").data == [first.data]
    again = hold(api, bob["id"], ulysses["id"], june(4, 12))
    assert (again.status_code, again.data) == (
        400,
        {"book_id": ["This customer already has an active hold on this book."]},
    )
    # Bob waits for Ada's copy: she cannot keep it longer.
    refused = api.post(f"/rentals/{rental['id']}/renew/", {"at": june(5)})
    assert refused.status_code == 403, refused.raw
    assert refused.data["rule"] == "holds.waiting"
    assert refused.data["detail"].startswith("Rental cannot be renewed: ")

    # Ada returns it on 6 June 10:00: the copy is set aside for Bob until 9 June 10:00; Carol is next.
    assert api.close(rental["id"], june(6)).status_code == 200
    ready = api.get("/holds/1/").data
    assert (ready["status"], ready["copy_id"], ready["ready_until"], ready["position"]) == (
        "ready",
        1,  # the only copy
        june(9),
        None,
    )
    assert api.get("/holds/2/").data["position"] == 1
    assert api.get(f"/books/{ulysses['id']}/").data["rental_status"] == "Rented Out"  # set aside, not on the shelf
    taken = api.post(f"/customers/{carol['id']}/rentals/", {"book": ulysses["id"], "date_rented": june(7)})
    assert (taken.status_code, taken.data) == (400, {"detail": "Book is unavailable"})
    # Bob picks it up: his hold is fulfilled by the rental.
    picked = api.rent(bob["id"], ulysses["id"], date_rented=june(7))
    fulfilled = api.get("/holds/1/").data
    assert (fulfilled["status"], fulfilled["rental_id"], fulfilled["closed_at"]) == (
        "fulfilled",
        picked["id"],
        june(7),
    )
    assert [h["id"] for h in api.get(f"/books/{ulysses['id']}/holds/").data] == [2]


def test_a_hold_on_a_book_on_the_shelf_is_ready_at_once(api):
    emma = api.book(title="Emma", book_type="N", copies=2)
    ada = api.customer()
    placed = hold(api, ada["id"], emma["id"], june(4))
    assert placed.status_code == 201, placed.raw
    assert set(placed.data) == HOLD_KEYS
    assert (placed.data["status"], placed.data["copy_id"], placed.data["ready_until"]) == ("ready", 1, june(7))
    assert api.get(f"/books/{emma['id']}/").data["rental_status"] == "Available"  # the other copy


def test_hold_errors(api, store):
    books = [api.book(title=title, book_type="R") for title in ("Ulysses", "Dune", "Emma")]
    ada = api.customer()
    grace = api.customer("Grace", "Hopper", is_active=False)
    assert hold(api, ada["id"], 999, june(4)).status_code == 404
    assert hold(api, 999, books[0]["id"], june(4)).data == {"detail": "customer 999 not found"}
    inactive = hold(api, grace["id"], books[0]["id"], june(4))
    assert inactive.status_code == 403
    for body, field in [
        ({"customer_id": ada["id"]}, "book_id"),
        ({"customer_id": ada["id"], "book_id": "one"}, "book_id"),
        ({"customer_id": 0, "book_id": books[0]["id"]}, "customer_id"),
        ({"customer_id": ada["id"], "book_id": books[0]["id"], "at": "2024-06-04T10:00:00"}, "at"),
    ]:
        response = api.post("/holds/", body)
        assert (response.status_code, list(response.data)) == (400, [field]), response.raw
    assert store.customer_holds(ada["id"]) == []
    # Two holds at most.
    assert hold(api, ada["id"], books[0]["id"], june(4)).status_code == 201
    assert hold(api, ada["id"], books[1]["id"], june(4)).status_code == 201
    third = hold(api, ada["id"], books[2]["id"], june(4))
    assert third.status_code == 403
    assert third.data["rule"] == "limits.max_holds"
    assert third.data["detail"].startswith("Customer cannot place a hold: ")
    assert api.get("/holds/999/").status_code == 404
    assert api.get("/books/999/holds/").status_code == 404
    assert api.get("/customers/999/holds/").status_code == 404


def test_a_retried_hold_under_a_key_places_one(api, store):
    ulysses = api.book(title="Ulysses", book_type="R")
    ada, bob = api.customer("Ada"), api.customer("Bob")
    api.rent(ada["id"], ulysses["id"], date_rented=june(3))
    first = hold(api, bob["id"], ulysses["id"], june(4), **{"Idempotency-Key": "hold-7"})
    retry = hold(api, bob["id"], ulysses["id"], june(4), **{"Idempotency-Key": "hold-7"})
    assert (retry.status_code, retry.data) == (201, first.data)
    assert len(store.customer_holds(bob["id"])) == 1
    other = hold(api, bob["id"], ulysses["id"], june(5), **{"Idempotency-Key": "hold-7"})
    assert other.status_code == 409


def test_cancel_a_hold(api):
    dune = api.book(title="Dune", book_type="F")
    ada, bob = api.customer("Ada"), api.customer("Bob")
    api.rent(ada["id"], dune["id"], date_rented=june(3))
    hold(api, bob["id"], dune["id"], june(4))
    key = {"Idempotency-Key": "cancel-1"}
    cancelled = api.post("/holds/1/cancel/", {"at": june(5)}, headers=key)
    assert cancelled.status_code == 200, cancelled.raw
    assert (cancelled.data["status"], cancelled.data["closed_at"], cancelled.data["position"]) == (
        "cancelled",
        june(5),
        None,
    )
    assert api.post("/holds/1/cancel/", {"at": june(5)}, headers=key).data == cancelled.data
    twice = api.post("/holds/1/cancel/", {"at": june(6)})
    assert (twice.status_code, list(twice.data)) == (400, ["hold"])
    assert api.post("/holds/9/cancel/", {}).status_code == 404
    assert api.get(f"/books/{dune['id']}/holds/").data == []


def test_expire_the_holds_not_picked_up(api):
    dune = api.book(title="Dune", book_type="F")
    ada = api.customer()
    hold(api, ada["id"], dune["id"], june(4))  # ready until 7 June 10:00
    assert api.post("/holds/expire/", {"at": june(7)}).data == []  # not past at that very instant
    expired = api.post("/holds/expire/", {"at": june(7, 11)})
    assert expired.status_code == 200
    assert [(h["id"], h["status"], h["closed_at"]) for h in expired.data] == [(1, "expired", june(7, 11))]
    assert api.post("/holds/expire/", {"at": june(8)}).data == []
    naive = api.post("/holds/expire/", {"at": "2024-06-08T10:00:00"})
    assert (naive.status_code, list(naive.data)) == (400, ["at"])
    assert api.get(f"/books/{dune['id']}/").data["rental_status"] == "Available"


# --- lost and found, damage --------------------------------------------------------------------------------------


def test_declare_a_copy_lost_then_found(api):
    ulysses = api.book(title="Ulysses", book_type="R")
    ada, bob = api.customer("Ada"), api.customer("Bob")
    rental = api.rent(ada["id"], ulysses["id"], date_rented=june(1))  # due 8 June 10:00
    key = {"Idempotency-Key": "lost-1"}
    # 9 days (9.00) and 2 late days (1.00), plus 20.00 and 5.00.
    lost = api.post(f"/rentals/{rental['id']}/lost/", {"at": june(10)}, headers=key)
    assert lost.status_code == 200, lost.raw
    assert (lost.data["rental_status"], lost.data["date_returned"]) == ("Lost", june(10))
    assert (lost.data["amount_charged"], lost.data["currency"], lost.data["balance"]) == ("10.00", "USD", "35.00")
    assert api.post(f"/rentals/{rental['id']}/lost/", {"at": june(10)}, headers=key).data == lost.data
    assert api.post(f"/rentals/{rental['id']}/lost/", {"at": june(10)}).status_code == 409
    assert api.post("/rentals/999/lost/", {}).status_code == 404
    assert api.get(f"/rentals/{rental['id']}/").data["rental_status"] == "Lost"
    entries = api.get(f"/customers/{ada['id']}/account/").data["entries"]
    assert [(e["kind"], e["amount"]) for e in entries] == [("charge", "10.00"), ("fee", "20.00"), ("fee", "5.00")]

    # Bob queues for the title; the copy turns up on 12 June 10:00 and is set aside for him until 15 June 10:00, and
    # Ada gets the 20.00 back.
    assert hold(api, bob["id"], ulysses["id"], june(11)).data["status"] == "waiting"
    found = api.post("/copies/1/found/", {"at": june(12)})
    assert found.status_code == 200, found.raw
    assert found.data["copy"] == {"id": 1, "book_id": ulysses["id"], "status": "on_hold", "rental_id": None}
    credit = found.data["credit"]
    assert (credit["kind"], credit["amount"], credit["rental_id"], credit["balance_after"], credit["at"]) == (
        "waiver",
        "20.00",
        rental["id"],
        "15.00",
        june(12),
    )
    assert api.get("/holds/1/").data["ready_until"] == june(15)
    again = api.post("/copies/1/found/", {"at": june(12)})
    assert (again.status_code, list(again.data)) == (400, ["copy_id"])
    assert api.post("/copies/999/found/", {}).status_code == 404


def test_a_novel_found_credits_nothing(api):
    emma = api.book(title="Emma", book_type="N")
    ada = api.customer()
    rental = api.rent(ada["id"], emma["id"], date_rented=june(1))
    lost = api.post(f"/rentals/{rental['id']}/lost/", {"at": june(2)}).data
    assert (lost["amount_charged"], lost["balance"]) == ("1.50", "16.50")  # a day at 1.50, and 15.00
    found = api.post("/copies/1/found/", {"at": june(3)}).data
    assert (found["copy"]["status"], found["credit"]) == ("available", None)
    assert api.get(f"/books/{emma['id']}/").data["rental_status"] == "Available"


def test_return_with_a_damage_fee(api, store):
    ulysses = api.book(title="Ulysses", book_type="R")
    ada = api.customer()
    rental = api.rent(ada["id"], ulysses["id"], date_rented=june(3))
    url = f"/rentals/{rental['id']}/close/"
    for body, field in [
        ({"damage_fee": "3.00"}, "note"),
        ({"note": "torn cover"}, "damage_fee"),
        ({"damage_fee": 3.0, "note": "torn cover"}, "damage_fee"),
        ({"damage_fee": "0", "note": "torn cover"}, "damage_fee"),
        ({"damage_fee": "3.00", "note": "  "}, "note"),
    ]:
        response = api.put(url, {"date_returned": june(5), **body})
        assert (response.status_code, list(response.data)) == (400, [field]), response.raw
    assert store.rental(rental["id"]).status == "active"
    # 2 days (2.00), and the 3.00 fee in the balance.
    closed = api.put(url, {"date_returned": june(5), "damage_fee": "3.00", "note": "torn cover"})
    assert closed.status_code == 200, closed.raw
    assert (closed.data["rental_status"], closed.data["amount_charged"], closed.data["balance"]) == (
        "Closed",
        "2.00",
        "5.00",
    )
    fee = api.get(f"/customers/{ada['id']}/account/").data["entries"][-1]
    assert (fee["kind"], fee["amount"], fee["rental_id"], fee["note"]) == (
        "fee",
        "3.00",
        rental["id"],
        "damage: torn cover",
    )


# --- notices -----------------------------------------------------------------------------------------------------


def test_a_customers_pending_notices(api, store):
    ulysses = api.book(title="Ulysses", book_type="R")
    dune = api.book(title="Dune", book_type="F")
    ada, bob, carol = api.customer("Ada"), api.customer("Bob"), api.customer("Carol")
    # Rented 8 days and 1 hour ago: due 1 day and 1 hour ago, the first reminder — 8 days (8.00), 1 late day (0.50).
    rented = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=8, hours=1)
    rental = api.rent(ada["id"], ulysses["id"], date_rented=rented.isoformat())
    placed = hold(api, bob["id"], dune["id"], dt.datetime.now(UTC).isoformat()).data
    [overdue] = api.get(f"/customers/{ada['id']}/notices/").data
    due = rented + dt.timedelta(days=7)
    assert overdue == {
        "key": f"overdue:1:rental:{rental['id']}:{due.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "kind": "overdue",
        "level": 1,
        "customer_id": ada["id"],
        "book_id": ulysses["id"],
        "rental_id": rental["id"],
        "hold_id": None,
        "due_at": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "amount": "8.50",
        "currency": "USD",
    }
    [ready] = api.get(f"/customers/{bob['id']}/notices/").data
    assert (ready["kind"], ready["hold_id"], ready["due_at"], ready["amount"]) == (
        "hold_ready",
        placed["id"],
        placed["ready_until"],
        None,
    )
    assert api.get(f"/customers/{carol['id']}/notices/").data == []
    assert api.get("/customers/999/notices/").status_code == 404
    # Once sent, a notice is no longer pending.
    store.mark_notified([overdue["key"]])
    assert api.get(f"/customers/{ada['id']}/notices/").data == []
