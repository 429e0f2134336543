"""Holds, lost and found copies, damage fees and notices from Python, on a memory store and on sled (reopened
before the final checks). The stories and their numbers are core/tests/circulation.rs and core/tests/notices.rs,
worked out by hand from the rules: a copy that comes back goes to the first waiting hold of its book (ready for
``holds.pickup_days``), only that customer can rent it, ``expire_holds`` passes a copy not picked up to the next
in line, a waiting hold refuses the renewal of the copy that would serve it, a lost rental is charged what accrued
plus the tariff's replacement fees, a found copy credits the replacement fee back when the plan says so, and a
damage fee is a ``fee`` entry of the return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator, List, Tuple

import pytest

import koko
from conftest import utc

# Regular: 1.00 a day, due after 7 days, 0.50 a late day, renewable twice; a lost copy costs 20.00 plus 5.00
# processing, the 20.00 credited back when found. Novel: 1.50 a day, due after 14 days, 0.25 a late day; a lost
# copy costs 15.00, not credited when found. A copy set aside waits 3 days; at most 2 holds per customer.
CIRCULATION_PLAN = {
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
    },
    "holds": {"pickup_days": 3},
    "limits": {"max_holds": 2},
}

# 1.00 a day, due after 7 days, 0.50 a late day, renewable once; remind 2 days before, then 1, 7 and 14 days late.
NOTICES_PLAN = {
    "currency": "USD",
    "default": {
        "tiers": [{"from_day": 1, "rate": "1.00"}],
        "late_fee": {"loan_days": 7, "per_day": "0.50"},
        "renewals": {"max": 1},
    },
    "notices": {"due_soon_days": 2, "overdue_days": [1, 7, 14]},
}


def t(day: int, hour: int) -> datetime:
    return utc(2024, 6, day, hour)


def plan(document: dict) -> koko.PricePlan:
    return koko.PricePlan.from_json(json.dumps(document))


Opener = Callable[[koko.PricePlan], koko.BookStore]


@pytest.fixture(params=["memory", "sled"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the backend's store (a second call reopens the same sled directory, after closing the first)."""
    opened: List[koko.BookStore] = []

    def open_store(p: koko.PricePlan) -> koko.BookStore:
        if request.param == "memory":
            if not opened:
                opened.append(koko.BookStore.memory(plan=p))
            return opened[0]
        for earlier in opened:
            earlier.close()
        opened.append(koko.BookStore.open(tmp_path / "store", plan=p))
        return opened[-1]

    yield open_store
    for store in opened:
        store.close()


def refused(call: Callable[[], object]) -> Tuple[str, str]:
    """The kind and field (a ``Blocked`` error's rule) of the error ``call`` raises."""
    with pytest.raises(koko.KokoError) as raised:
        call()
    return raised.value.kind, raised.value.field or ""


@dataclass
class Ids:
    ulysses: int
    emma: int
    dune: int
    ada: int
    bob: int
    carol: int
    dan: int


def balance(store: koko.BookStore, who: int) -> Decimal:
    return store.account(who).balance


def copy_status(store: koko.BookStore, book_id: int, copy_id: int) -> str:
    [copy] = [c for c in store.copies(book_id) if c.id == copy_id]
    return copy.status


def story(store: koko.BookStore) -> Ids:
    # Copies: Ulysses 1; Emma 2 and 3; Dune 4.
    ulysses = store.add_book(title="Ulysses", author="A", category="regular").id
    emma = store.add_book(title="Emma", author="A", category="novel", copies=2).id
    dune = store.add_book(title="Dune", author="A", category="regular").id
    ada, bob, carol, dan = (
        store.register_customer(first_name=name, last_name="Reader").id for name in ("Ada", "Bob", "Carol", "Dan")
    )

    # Ada has the only Ulysses; Bob and then Carol queue for it.
    r1 = store.rent(customer_id=ada, book_id=ulysses, at=t(1, 10))
    assert r1.due_at == t(8, 10)
    h1 = store.place_hold(customer_id=bob, book_id=ulysses, at=t(2, 10))
    h2 = store.place_hold(customer_id=carol, book_id=ulysses, at=t(2, 11))
    assert (h1.id, h1.status, h1.position, h1.copy_id, h1.placed_at) == (1, "waiting", 1, None, t(2, 10))
    assert (h2.id, h2.position) == (2, 2)
    assert refused(lambda: store.place_hold(customer_id=bob, book_id=ulysses, at=t(2, 12))) == ("Duplicate", "book")
    # Bob waits for this very copy: Ada cannot keep it longer.
    assert refused(lambda: store.renew(rental_id=r1.id, at=t(5, 10))) == ("Blocked", "holds.waiting")
    # Emma is on the shelf: Carol's hold is ready at once, on the first copy, until 5 June 12:00.
    h3 = store.place_hold(customer_id=carol, book_id=emma, at=t(2, 12))
    assert (h3.status, h3.copy_id, h3.ready_until, h3.position) == ("ready", 2, t(5, 12), None)
    assert copy_status(store, emma, 2) == "on_hold"
    # Carol has two holds, the limit.
    assert refused(lambda: store.place_hold(customer_id=carol, book_id=dune, at=t(2, 13))) == (
        "Blocked",
        "limits.max_holds",
    )
    # Bob cannot take the copy set aside for Carol; renting Emma by title gives him the other one.
    assert refused(lambda: store.rent(customer_id=bob, copy_id=2, at=t(3, 10))) == ("Unavailable", "")
    r2 = store.rent(customer_id=bob, book_id=emma, at=t(3, 10))
    assert (r2.id, r2.copy_id) == (2, 3)

    # Ada returns Ulysses after 5 days (5.00): the copy is set aside for Bob until 9 June 10:00.
    receipt = store.return_rental(rental_id=r1.id, at=t(6, 10))
    assert (receipt.charge.total, receipt.balance) == (Decimal("5.00"), Decimal("5.00"))
    h1 = store.hold(h1.id)
    assert (h1.status, h1.copy_id, h1.ready_until) == ("ready", 1, t(9, 10))
    assert store.hold(h2.id).position == 1
    assert [(h.id, h.status, h.position) for h in store.holds(ulysses)] == [(1, "ready", None), (2, "waiting", 1)]
    assert refused(lambda: store.rent(customer_id=carol, book_id=ulysses, at=t(6, 11))) == ("Unavailable", "")

    # Carol's Emma hold ran out on 5 June 12:00; Emma's copy has nobody waiting and goes back on the shelf.
    expired = store.expire_holds(at=t(6, 12))
    assert [(h.id, h.status, h.closed_at) for h in expired] == [(h3.id, "expired", t(6, 12))]
    assert copy_status(store, emma, 2) == "available"
    # Bob's hold is ready until 9 June 10:00 exactly: not past at that instant, past an hour later, when the copy
    # passes to Carol until 12 June 11:00.
    assert store.expire_holds(t(9, 10)) == []
    assert [h.id for h in store.expire_holds(t(9, 11))] == [h1.id]
    h2 = store.hold(h2.id)
    assert (h2.status, h2.copy_id, h2.ready_until) == ("ready", 1, t(12, 11))
    # Carol picks it up: her hold is fulfilled by rental 3, due 17 June 10:00.
    r3 = store.rent(customer_id=carol, book_id=ulysses, at=t(10, 10))
    assert (r3.id, r3.copy_id, r3.due_at) == (3, 1, t(17, 10))
    h2 = store.hold(h2.id)
    assert (h2.status, h2.rental_id, h2.closed_at) == ("fulfilled", r3.id, t(10, 10))

    # Carol loses Ulysses, declared on 18 June 10:00: 8 days (8.00) and 1 late day (0.50) accrued, plus 20.00 and
    # 5.00. She pays it all.
    lost = store.declare_lost(rental_id=r3.id, at=t(18, 10))
    assert (lost.charge.total, lost.balance) == (Decimal("8.50"), Decimal("33.50"))
    assert (lost.rental.status, lost.rental.lost, lost.rental.returned_at) == ("lost", True, t(18, 10))
    [copy] = store.copies(ulysses)
    assert (copy.status, copy.rental_id) == ("lost", r3.id)
    assert refused(lambda: store.declare_lost(rental_id=r3.id, at=t(18, 11))) == ("AlreadyReturned", "")
    assert refused(lambda: store.reinstate_copy(1)) == ("InvalidInput", "copy")
    store.pay(customer_id=carol, amount="33.50")

    # Bob loses Emma (rented 3 June, due 17 June), declared on 20 June 10:00: 17 days at 1.50 (25.50) and 3 late
    # days at 0.25 (0.75), plus 15.00.
    lost = store.declare_lost(rental_id=r2.id, at=t(20, 10))
    assert (lost.charge.total, lost.balance) == (Decimal("26.25"), Decimal("41.25"))
    # Ada takes the other Emma; Dan queues for the title.
    r4 = store.rent(customer_id=ada, book_id=emma, at=t(20, 11))
    assert r4.copy_id == 2
    h4 = store.place_hold(customer_id=dan, book_id=emma, at=t(21, 10))
    assert (h4.status, h4.position) == ("waiting", 1)

    # Bob's Emma turns up: no credit (a novel's replacement is not refunded when found), and it goes to Dan.
    found = store.mark_found(copy_id=3, at=t(22, 10))
    assert (found.copy.id, found.copy.status, found.credit) == (3, "on_hold", None)
    assert store.hold(h4.id).ready_until == t(25, 10)
    assert refused(lambda: store.mark_found(copy_id=3, at=t(22, 11))) == ("InvalidInput", "copy")

    # Ada returns her Emma with a torn cover after 2 days: 3.00 charged, 3.00 damage fee; nobody waits for Emma.
    assert refused(
        lambda: store.return_rental(rental_id=r4.id, at=t(22, 11), damage_fee=Decimal(0), note="torn cover")
    ) == ("InvalidInput", "damage_fee")
    assert refused(lambda: store.return_rental(rental_id=r4.id, at=t(22, 11), damage_fee="3.00", note=" ")) == (
        "InvalidInput",
        "note",
    )
    receipt = store.return_rental(rental_id=r4.id, at=t(22, 11), damage_fee=Decimal("3.00"), note="torn cover")
    assert (receipt.charge.total, receipt.balance) == (Decimal("3.00"), Decimal("11.00"))
    assert copy_status(store, emma, 2) == "available"
    fee = store.account(ada).entries[-1]  # the core prefixes the note with what the fee is for
    assert (fee.kind, fee.amount, fee.note, fee.rental_id, fee.at) == (
        "fee",
        Decimal("3.00"),
        "damage: torn cover",
        r4.id,
        t(22, 11),
    )

    # Carol's Ulysses is found: the 20.00 comes back as a credit (she had paid), never the processing fee.
    found = store.mark_found(copy_id=1, at=t(23, 10))
    assert found.copy.status == "available"
    assert found.credit is not None
    assert (found.credit.kind, found.credit.amount, found.credit.rental_id) == ("waiver", Decimal("20.00"), r3.id)
    assert balance(store, carol) == Decimal("-20.00")

    # A copy set aside cannot be withdrawn; Dan cancels, and his copy goes back on the shelf.
    assert refused(lambda: store.withdraw_copy(3)) == ("Unavailable", "")
    cancelled = store.cancel_hold(h4.id, at=t(23, 12))
    assert (cancelled.status, cancelled.closed_at) == ("cancelled", t(23, 12))
    assert copy_status(store, emma, 3) == "available"
    assert refused(lambda: store.cancel_hold(h4.id, at=t(23, 13))) == ("InvalidInput", "hold")
    # An inactive customer cannot queue.
    store.deactivate_customer(dan)
    assert refused(lambda: store.place_hold(customer_id=dan, book_id=dune, at=t(24, 10))) == ("InactiveCustomer", "")
    return Ids(ulysses, emma, dune, ada, bob, carol, dan)


def check(store: koko.BookStore, ids: Ids) -> None:
    """What the story left, read back (after a reopen on sled)."""

    def statuses(holds: List[koko.Hold]) -> List[Tuple[int, str]]:
        return [(h.id, h.status) for h in holds]

    assert statuses(store.customer_holds(ids.carol)) == [(2, "fulfilled"), (3, "expired")]
    assert statuses(store.customer_holds(ids.bob)) == [(1, "expired")]
    assert statuses(store.customer_holds(ids.dan)) == [(4, "cancelled")]
    assert store.holds(ids.ulysses) == [] and store.holds(ids.emma) == []
    assert [balance(store, c) for c in (ids.ada, ids.bob, ids.carol, ids.dan)] == [
        Decimal("11.00"),
        Decimal("41.25"),
        Decimal("-20.00"),
        Decimal("0.00"),
    ]
    # Bob's ledger: the charge, then the replacement fee of the lost copy.
    assert [(e.kind, e.amount) for e in store.account(ids.bob).entries] == [
        ("charge", Decimal("26.25")),
        ("fee", Decimal("15.00")),
    ]
    lost = store.rental(2)
    assert (lost.lost, lost.status, lost.returned_at) == (True, "lost", t(20, 10))
    assert (store.rental(1).lost, store.rental(1).status) == (False, "closed")
    # A queue of two, read back in order with positions.
    h5 = store.place_hold(customer_id=ids.ada, book_id=ids.ulysses, at=t(25, 10))
    assert h5.status == "ready"
    rental = store.rent(customer_id=ids.ada, book_id=ids.ulysses, at=t(25, 11))
    h6 = store.place_hold(customer_id=ids.bob, book_id=ids.ulysses, at=t(25, 12))
    h7 = store.place_hold(customer_id=ids.carol, book_id=ids.ulysses, at=t(25, 13))
    assert [(h.id, h.position) for h in store.holds(ids.ulysses)] == [(h6.id, 1), (h7.id, 2)]
    store.cancel_hold(h6.id, at=t(25, 14))
    assert store.hold(h7.id).position == 1
    store.return_rental(rental_id=rental.id, at=t(26, 10))
    assert store.hold(h7.id).status == "ready"


def test_the_circulation_story(opener: Opener) -> None:
    p = plan(CIRCULATION_PLAN)
    ids = story(opener(p))
    check(opener(p), ids)


def test_notices(opener: Opener) -> None:
    store = opener(plan(NOTICES_PLAN))
    emma = store.add_book(title="Emma", author="A", category="regular").id
    dune = store.add_book(title="Dune", author="A", category="regular").id
    ada = store.register_customer(first_name="Ada", last_name="Reader").id
    bob = store.register_customer(first_name="Bob", last_name="Reader").id
    r1 = store.rent(customer_id=ada, book_id=emma, at=t(1, 10))  # due 8 June 10:00
    r2 = store.rent(customer_id=bob, book_id=dune, at=t(3, 10))  # due 10 June 10:00

    def listed(at: datetime) -> List[Tuple[str, int, int, str]]:
        return [
            (n.kind, n.level, n.rental_id or n.hold_id or 0, "" if n.amount is None else str(n.amount))
            for n in store.notices(at)
        ]

    # 5 June: nothing due within 2 days. 6 June 10:00: Emma is due in exactly 2 days (5 days so far: 5.00).
    assert listed(t(5, 10)) == []
    [soon] = store.notices(t(6, 10))
    assert (soon.kind, soon.level, soon.customer_id, soon.book_id, soon.rental_id, soon.hold_id) == (
        "due_soon",
        0,
        ada,
        emma,
        r1.id,
        None,
    )
    assert (soon.due_at, soon.amount, soon.currency) == (t(8, 10), Decimal("5.00"), "USD")
    # Sent; on 8 June 10:00 Dune is due in exactly 2 days (5 days: 5.00), Emma is due at that very instant —
    # neither due soon again nor late.
    assert store.mark_notified([soon.key], at=t(6, 11)) == 1
    assert store.mark_notified((soon.key,), at=t(6, 12)) == 0  # marking again changes nothing
    assert listed(t(8, 9)) == []
    assert listed(t(8, 10)) == [("due_soon", 0, r2.id, "5.00")]
    # 9 June 10:00: Emma a day late — the first reminder, 8 days (8.00) and 1 late day (0.50).
    assert listed(t(9, 10)) == [("overdue", 1, r1.id, "8.50"), ("due_soon", 0, r2.id, "6.00")]
    # Bob renews: Dune is due 17 June 10:00, a new due date with its own notices.
    store.renew(rental_id=r2.id, at=t(9, 11))
    # 16 June 10:00: Emma 8 days late — the second reminder (15 days: 15.00, 8 late days: 4.00); the first one was
    # never sent and is not sent late. Dune due in a day: 13 days, 13.00.
    assert listed(t(16, 10)) == [("overdue", 2, r1.id, "19.00"), ("due_soon", 0, r2.id, "13.00")]
    # A hold on Emma; once Ada returns it, the copy is ready for Bob until 23 June 11:00 (7 days by default).
    hold = store.place_hold(customer_id=bob, book_id=emma, at=t(16, 10))
    store.return_rental(rental_id=r1.id, at=t(16, 11))
    [ready] = [n for n in store.notices(t(16, 12)) if n.kind == "hold_ready"]
    assert (ready.customer_id, ready.hold_id, ready.rental_id, ready.due_at, ready.level) == (
        bob,
        hold.id,
        None,
        t(23, 11),
        0,
    )
    assert (ready.amount, ready.currency) == (None, None)
    store.mark_notified([ready.key], at=t(16, 13))
    assert all(n.kind != "hold_ready" for n in store.notices(t(16, 14)))
    # Bad keys are refused before anything is marked.
    assert refused(lambda: store.mark_notified([""], at=t(16, 15))) == ("InvalidInput", "keys")
    assert refused(lambda: store.mark_notified([], at=t(16, 15))) == ("InvalidInput", "keys")


# --- arguments ---------------------------------------------------------------------------------------------------


@pytest.fixture
def shop() -> Tuple[koko.BookStore, int, int, int]:
    """A circulation store with Ulysses (one regular copy) rented by Ada on 1 June; Bob has no rental."""
    store = koko.BookStore.memory(plan=plan(CIRCULATION_PLAN))
    book = store.add_book(title="Ulysses", author="A", category="regular").id
    ada = store.register_customer(first_name="Ada", last_name="Reader").id
    bob = store.register_customer(first_name="Bob", last_name="Reader").id
    rental = store.rent(customer_id=ada, book_id=book, at=t(1, 10)).id
    return store, book, bob, rental


NAIVE = datetime(2024, 6, 2, 10)


@pytest.mark.parametrize(
    "call,field",
    [
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=b, at=NAIVE), "at"),
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=str(b)), "book_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=0, book_id=b), "customer_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=True, book_id=b), "customer_id"),
        (lambda s, b, c, r: s.place_hold(customer_id=c, book_id=b, idempotency_key=""), "idempotency_key"),
        (lambda s, b, c, r: s.cancel_hold(-1), "hold_id"),
        (lambda s, b, c, r: s.cancel_hold(1.0), "hold_id"),
        (lambda s, b, c, r: s.hold("1"), "hold_id"),
        (lambda s, b, c, r: s.holds(None), "book_id"),
        (lambda s, b, c, r: s.customer_holds(2**64), "customer_id"),
        (lambda s, b, c, r: s.expire_holds(NAIVE), "at"),
        (lambda s, b, c, r: s.expire_holds("2024-06-02T10:00:00Z"), "at"),
        (lambda s, b, c, r: s.declare_lost(rental_id=r, at=NAIVE), "at"),
        (lambda s, b, c, r: s.declare_lost(rental_id=r, at=utc(2024, 5, 31)), "at"),
        (lambda s, b, c, r: s.mark_found(copy_id=0), "copy_id"),
        (lambda s, b, c, r: s.mark_found(copy_id=1), "copy"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee=3.0, note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="3.00"), "note"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="-1", note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="1.005", note="torn"), "damage_fee"),
        (lambda s, b, c, r: s.return_rental(rental_id=r, at=t(3, 10), damage_fee="3", note=3), "note"),
        (lambda s, b, c, r: s.notices(NAIVE), "at"),
        (lambda s, b, c, r: s.mark_notified("hold_ready:0:hold:1"), "keys"),
        (lambda s, b, c, r: s.mark_notified([1]), "keys"),
        (lambda s, b, c, r: s.mark_notified(["x" * 256]), "keys"),
        (lambda s, b, c, r: s.mark_notified(["k"], at=NAIVE), "at"),
    ],
)
def test_bad_arguments_are_invalid_input_and_change_nothing(
    shop: Tuple[koko.BookStore, int, int, int], call: Callable[..., object], field: str
) -> None:
    store, book, bob, rental = shop
    before = (store.rentals(), store.copies(book), store.customer_holds(bob), store.account(1), store.notices(t(2, 10)))
    with pytest.raises(koko.InvalidInput) as bad:
        call(store, book, bob, rental)
    assert bad.value.field == field, bad.value
    assert isinstance(bad.value, ValueError)
    after = (store.rentals(), store.copies(book), store.customer_holds(bob), store.account(1), store.notices(t(2, 10)))
    assert after == before


def test_unknown_ids_are_not_found(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, _ = shop
    for call, entity in [
        (lambda: store.hold(9), "hold"),
        (lambda: store.cancel_hold(9, at=t(2, 10)), "hold"),
        (lambda: store.holds(9), "book"),
        (lambda: store.customer_holds(9), "customer"),
        (lambda: store.place_hold(customer_id=9, book_id=book, at=t(2, 10)), "customer"),
        (lambda: store.place_hold(customer_id=bob, book_id=9, at=t(2, 10)), "book"),
        (lambda: store.declare_lost(rental_id=9, at=t(2, 10)), "rental"),
        (lambda: store.mark_found(copy_id=9, at=t(2, 10)), "copy"),
    ]:
        with pytest.raises(koko.NotFound) as missing:
            call()
        assert str(missing.value).startswith(entity + " "), missing.value


# --- idempotency keys --------------------------------------------------------------------------------------------


def test_a_retried_place_hold_answers_the_same_hold(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, _ = shop
    first = store.place_hold(customer_id=bob, book_id=book, at=t(2, 10), idempotency_key="hold-1")
    assert (first.id, first.status, first.position) == (1, "waiting", 1)
    assert store.place_hold(customer_id=bob, book_id=book, at=t(2, 10), idempotency_key="hold-1") == first
    assert store.customer_holds(bob) == [first]
    # "Now" is the same request a moment later; another book or time under the key is not.
    now = store.place_hold(customer_id=1, book_id=book, idempotency_key="hold-now")
    assert store.place_hold(customer_id=1, book_id=book, idempotency_key="hold-now") == now
    assert refused(
        lambda: store.place_hold(customer_id=bob, book_id=book, at=t(2, 11), idempotency_key="hold-1")
    ) == ("Duplicate", "idempotency_key")


def test_a_retried_declare_lost_charges_once(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, _, _, rental = shop
    # 1 June 10:00 to 10 June 10:00: 9 days (9.00), 2 days late (1.00), plus 20.00 and 5.00.
    first = store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="lost-1")
    assert (first.charge.total, first.balance) == (Decimal("10.00"), Decimal("35.00"))
    store.pay(customer_id=1, amount="35.00")
    again = store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="lost-1")
    assert again == first  # the first receipt, with the balance as it was then
    assert [(e.kind, e.amount) for e in store.account(1).entries] == [
        ("charge", Decimal("10.00")),
        ("fee", Decimal("20.00")),
        ("fee", Decimal("5.00")),
        ("payment", Decimal("35.00")),
    ]
    assert refused(lambda: store.declare_lost(rental_id=rental, at=t(10, 10), idempotency_key="other")) == (
        "AlreadyReturned",
        "",
    )


def test_a_retried_damaged_return_and_found_copy(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, _, rental = shop
    # 2 days (2.00) and a 4.50 damage fee, written as an int and a str alike.
    first = store.return_rental(rental_id=rental, at=t(3, 10), damage_fee="4.50", note="wet", idempotency_key="r-1")
    assert (first.charge.total, first.balance) == (Decimal("2.00"), Decimal("6.50"))
    again = store.return_rental(
        rental_id=rental, at=t(3, 10), damage_fee=Decimal("4.5"), note="wet", idempotency_key="r-1"
    )
    assert again == first
    other = store.rent(customer_id=1, book_id=book, at=t(4, 10))
    store.declare_lost(rental_id=other.id, at=t(5, 10))
    found = store.mark_found(copy_id=other.copy_id, at=t(6, 10), idempotency_key="found-1")
    assert found.credit is not None and found.credit.amount == Decimal("20.00")
    assert store.mark_found(copy_id=other.copy_id, at=t(6, 10), idempotency_key="found-1") == found
    assert [e.kind for e in store.account(1).entries].count("waiver") == 1


# --- batches -----------------------------------------------------------------------------------------------------


def test_circulation_in_a_batch(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, rental = shop
    batch = koko.Batch()
    batch.place_hold(customer_id=bob, book_id=book, at=t(2, 10))
    batch.declare_lost(rental_id=rental, at=t(3, 10))
    batch.mark_found(copy_id=1, at=t(4, 10))
    batch.expire_holds(at=t(8, 10))
    batch.cancel_hold(1, at=t(8, 11))
    batch.mark_found(copy_id=1, at=t(8, 12))
    hold, lost, found, expired, cancelled, again = store.apply_batch(batch)
    assert isinstance(hold, koko.Hold) and (hold.id, hold.status) == (1, "waiting")
    # 2 days (2.00), then 20.00 and 5.00: the receipt's balance is after the fees.
    assert isinstance(lost, koko.Receipt) and (lost.charge.total, lost.balance) == (Decimal("2.00"), Decimal("27.00"))
    # Found on 4 June: set aside for Bob until 7 June 10:00, and the 20.00 credited back.
    assert isinstance(found, koko.Found) and found.copy.status == "on_hold"
    assert found.credit is not None and found.credit.balance_after == Decimal("7.00")
    assert isinstance(expired, list) and [(h.id, h.status) for h in expired] == [(1, "expired")]
    assert isinstance(cancelled, koko.InvalidInput) and cancelled.field == "hold"
    assert isinstance(again, koko.InvalidInput) and again.field == "copy"
    assert len(batch) == 6 and "place_hold" in repr(batch)


def test_a_damaged_return_in_a_batch_answers_the_balance_after_the_fee(
    shop: Tuple[koko.BookStore, int, int, int],
) -> None:
    store, _, _, rental = shop
    batch = koko.Batch()
    batch.return_rental(rental_id=rental, at=t(3, 10), damage_fee=2, note="coffee stain")
    with pytest.raises(koko.InvalidInput) as bad:
        batch.return_rental(rental_id=rental, at=t(3, 10), damage_fee=2.5, note="stain")
    assert bad.value.field == "damage_fee"
    [receipt] = store.apply_batch(batch)
    assert isinstance(receipt, koko.Receipt)
    assert (receipt.charge.total, receipt.balance) == (Decimal("2.00"), Decimal("4.00"))


def test_a_copy_added_for_a_waiting_hold_is_ready_from_the_store_clock() -> None:
    store = koko.BookStore.memory(plan=plan(CIRCULATION_PLAN))
    book = store.add_book(title="Ulysses", author="A", category="regular").id
    ada = store.register_customer(first_name="Ada", last_name="Reader").id
    bob = store.register_customer(first_name="Bob", last_name="Reader").id
    store.rent(customer_id=ada, book_id=book)
    hold = store.place_hold(customer_id=bob, book_id=book)
    before = datetime.now(timezone.utc)
    [added] = store.add_copies(book, 1, idempotency_key="copies-1")
    after = datetime.now(timezone.utc)
    assert added.status == "on_hold"
    ready = store.hold(hold.id)
    assert ready.status == "ready" and ready.ready_until is not None
    # Three pickup days from now.
    assert before.timestamp() + 3 * 86400 - 1 <= ready.ready_until.timestamp() <= after.timestamp() + 3 * 86400 + 1
    assert store.add_copies(book, 1, idempotency_key="copies-1") == [added]  # a retry a moment later


# --- records -----------------------------------------------------------------------------------------------------


def test_records_repr_and_equality(shop: Tuple[koko.BookStore, int, int, int]) -> None:
    store, book, bob, rental = shop
    hold = store.place_hold(customer_id=bob, book_id=book, at=t(2, 10))
    assert repr(hold) == (
        'Hold(id=1, book_id=1, customer_id=2, placed_at="2024-06-02T10:00:00+00:00", status="waiting", '
        "copy_id=None, ready_until=None, closed_at=None, rental_id=None, position=1)"
    )
    assert hold == store.hold(hold.id) and hold != store.cancel_hold(hold.id, at=t(2, 11))
    store.declare_lost(rental_id=rental, at=t(3, 10))
    found = store.mark_found(copy_id=1, at=t(4, 10))
    assert repr(found).startswith('Found(copy=Copy(id=1, book_id=1, status="available", rental_id=None), credit=')
    assert "LedgerEntry(" in repr(found) and "amount=Decimal('20.00')" in repr(found)
    notices_store = koko.BookStore.memory(plan=plan(NOTICES_PLAN))
    notices_store.add_book(title="Emma", author="A", category="regular")
    notices_store.register_customer(first_name="Ada", last_name="Reader")
    notices_store.rent(customer_id=1, book_id=1, at=t(1, 10))
    [notice] = notices_store.notices(t(9, 10))
    assert repr(notice) == (
        'Notice(key="overdue:1:rental:1:2024-06-08T10:00:00Z", kind="overdue", level=1, customer_id=1, book_id=1, '
        "rental_id=1, hold_id=None, due_at=\"2024-06-08T10:00:00+00:00\", amount=Decimal('8.50'), currency=\"USD\")"
    )
    assert notice == notices_store.notices(t(9, 10))[0]
