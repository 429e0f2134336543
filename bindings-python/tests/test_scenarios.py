"""The rule scenarios (``core/tests/scenarios/*.json``, worked out by hand; also run from Rust and over HTTP) through
the Python API, on a store in memory and on sled (reopened at each ``reopen`` step).

Each step is one call; its answer is turned into the JSON the scenario format describes
(``core/tests/scenarios/README.md``) and compared with what the step expects, or the koko exception it raises with
the kind and field the step names.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import koko

FOLDER = Path(__file__).parents[2] / "core" / "tests" / "scenarios"
FILES = sorted(FOLDER.glob("*.json"))
CASES: List[Tuple[str, Dict[str, Any], Dict[str, Any]]] = [
    (path.stem, json.loads(path.read_text()), scenario)
    for path in FILES
    for scenario in json.loads(path.read_text())["scenarios"]
]


def instant(text: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 time of the file (``...Z``) as an aware datetime."""
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))


def stamp(value: Optional[datetime]) -> Optional[str]:
    """An aware datetime as the files write it."""
    return None if value is None else value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(value: Optional[Decimal]) -> Optional[str]:
    return None if value is None else str(value)


def cents(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def plan_of(doc: Dict[str, Any], spec: Any) -> koko.PricePlan:
    if isinstance(spec, str):
        named = doc.get("plans", {}).get(spec)
        if named is None:
            return koko.PricePlan.preset(spec)
        spec = named
    return koko.PricePlan.from_json(json.dumps(spec))


def matches(expected: Any, got: Any) -> bool:
    """The scenario format's comparison: objects by the keys they name, lists item by item, the rest exactly."""
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(matches(v, got.get(k)) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(matches, expected, got))
    return expected == got


def rental(r: koko.Rental) -> Dict[str, Any]:
    return {
        "rental": r.id,
        "copy": r.copy_id,
        "book": r.book_id,
        "customer": r.customer_id,
        "rented_at": stamp(r.rented_at),
        "due_at": stamp(r.due_at),
        "renewals": [stamp(t) for t in r.renewals],
        "returned_at": stamp(r.returned_at),
        "lost": r.lost,
        "charge": money(r.charge.total) if r.charge is not None else None,
    }


def receipt(r: koko.Receipt) -> Dict[str, Any]:
    answer = rental(r.rental)
    answer["balance"] = money(r.balance)
    answer["lines"] = [[line.description, money(line.amount)] for line in r.charge.lines]
    return answer


def hold(h: koko.Hold) -> Dict[str, Any]:
    return {
        "hold": h.id,
        "book": h.book_id,
        "customer": h.customer_id,
        "status": h.status,
        "copy": h.copy_id,
        "ready_until": stamp(h.ready_until),
        "position": h.position,
        "rental": h.rental_id,
        "closed_at": stamp(h.closed_at),
    }


def entry(e: koko.LedgerEntry) -> Dict[str, Any]:
    return {
        "entry": e.id,
        "kind": e.kind,
        "amount": money(e.amount),
        "balance": money(e.balance_after),
        "rental": e.rental_id,
        "note": e.note,
    }


def pairs(entries: List[koko.LedgerEntry]) -> List[List[Any]]:
    return [[e.kind, money(e.amount)] for e in entries]


def notice(n: koko.Notice) -> Dict[str, Any]:
    return {
        "kind": n.kind,
        "level": n.level,
        "customer": n.customer_id,
        "book": n.book_id,
        "rental": n.rental_id,
        "hold": n.hold_id,
        "due_at": stamp(n.due_at),
        "amount": money(n.amount),
        "currency": n.currency,
        "key": n.key,
    }


def copy(store: koko.BookStore, c: koko.Copy) -> Dict[str, Any]:
    answer: Dict[str, Any] = {"copy": c.id, "book": c.book_id, "status": c.status}
    if c.status in ("rented", "lost"):
        answer["rental"] = c.rental_id
    if c.status == "on_hold":
        # The Python Copy does not name its hold: the ready hold of its book that names the copy.
        held = [h.id for h in store.holds(c.book_id) if h.status == "ready" and h.copy_id == c.id]
        answer["hold"] = held[0] if len(held) == 1 else held
    return answer


def find_copy(store: koko.BookStore, copy_id: int) -> koko.Copy:
    for book in store.books():
        for c in store.copies(book.id):
            if c.id == copy_id:
                return c
    raise AssertionError(f"no copy {copy_id}")


def run(store: koko.BookStore, call: str, a: Dict[str, Any]) -> Any:
    """One step's call, as the Python API spells it, answered in the scenario format."""
    key = {"idempotency_key": a["key"]} if "key" in a else {}
    at = instant(a.get("at"))

    def damage() -> Dict[str, Any]:
        d = a.get("damage")
        return {} if d is None else {"damage_fee": Decimal(d["fee"]), "note": d["note"]}

    calls: Dict[str, Callable[[], Any]] = {
        "add_book": lambda: (
            lambda b: {"book": b.id, "copies": [c.id for c in store.copies(b.id)]}
        )(
            store.add_book(
                title=a.get("title", ""),
                author=a.get("author", "A"),
                category=a["category"],
                isbn=a.get("isbn"),
                copies=a.get("copies"),
                **key,
            )
        ),
        "add_copies": lambda: {"copies": [copy(store, c) for c in store.add_copies(a["book"], a["count"], **key)]},
        "withdraw": lambda: copy(store, store.withdraw_copy(a["copy"], **key)),
        "reinstate": lambda: copy(store, store.reinstate_copy(a["copy"], **key)),
        "register": lambda: (lambda c: {"customer": c.id, "active": c.active})(
            store.register_customer(first_name=a["first_name"], last_name=a["last_name"], email=a.get("email"), **key)
        ),
        "deactivate": lambda: (lambda c: {"customer": c.id, "active": c.active})(
            store.deactivate_customer(a["customer"], **key)
        ),
        "activate": lambda: (lambda c: {"customer": c.id, "active": c.active})(
            store.activate_customer(a["customer"], **key)
        ),
        "rent": lambda: rental(
            store.rent(
                customer_id=a["customer"],
                **({"book_id": a["book"]} if "book" in a else {"copy_id": a["copy"]}),
                at=at,
                **key,
            )
        ),
        "return": lambda: receipt(store.return_rental(rental_id=a["rental"], at=at, **damage(), **key)),
        "return_copy": lambda: receipt(store.return_copy(copy_id=a["copy"], at=at, **key)),
        "declare_lost": lambda: receipt(store.declare_lost(rental_id=a["rental"], at=at, **key)),
        "renew": lambda: rental(store.renew(rental_id=a["rental"], at=at, **key)),
        "place_hold": lambda: hold(
            store.hold(store.place_hold(customer_id=a["customer"], book_id=a["book"], at=at, **key).id)
        ),
        "cancel_hold": lambda: hold(store.cancel_hold(a["hold"], at=at, **key)),
        "expire_holds": lambda: {"expired": [h.id for h in store.expire_holds(at)]},
        "mark_found": lambda: (
            lambda found: {**copy(store, found.copy), "credit": entry(found.credit) if found.credit else None}
        )(store.mark_found(copy_id=a["copy"], at=at, **key)),
        "pay": lambda: entry(
            store.pay(
                customer_id=a["customer"], amount=a["amount"], at=at, note=a.get("note"), currency=a.get("currency"), **key
            )
        ),
        "waive": lambda: entry(
            store.waive(customer_id=a["customer"], amount=a["amount"], reason=a["reason"], at=at, **key)
        ),
        "refund": lambda: entry(
            store.refund(customer_id=a["customer"], amount=a["amount"], reason=a["reason"], at=at, **key)
        ),
        "fee": lambda: entry(
            store.post_fee(
                customer_id=a["customer"],
                amount=a["amount"],
                reason=a["reason"],
                rental_id=a.get("rental"),
                at=at,
                **key,
            )
        ),
        "block": lambda: {
            "blocked": store.block_customer(
                a["customer"], reason=a["reason"], at=at, until=instant(a.get("until")), **key
            )
            is not None
        },
        "unblock": lambda: (store.unblock_customer(a["customer"], **key), {"blocked": False})[1],
        "mark_notified": lambda: {"marked": store.mark_notified(a["keys"], at)},
        "rental": lambda: rental(store.rental(a["rental"])),
        "open_rentals": lambda: {"rentals": [rental(r) for r in store.active_rentals()]},
        "copy": lambda: copy(store, find_copy(store, a["copy"])),
        "hold": lambda: hold(store.hold(a["hold"])),
        "book_holds": lambda: {"holds": [hold(h) for h in store.holds(a["book"])]},
        "customer_holds": lambda: {"holds": [hold(h) for h in store.customer_holds(a["customer"])]},
        "account": lambda: (
            lambda acc: {"balance": money(acc.balance), "blocked": acc.block is not None, "entries": pairs(acc.entries)}
        )(store.account(a["customer"])),
        "statement": lambda: (
            lambda s: {
                "opening": money(s.opening_balance),
                "closing": money(s.closing_balance),
                "entries": pairs(s.entries),
            }
        )(store.statement(a["customer"], instant(a["start"]), instant(a["end"]))),
        "aging": lambda: [
            {
                "customer": row.customer_id,
                "balance": cents(row.balance),
                "days_0_30": cents(row.days_0_30),
                "days_31_60": cents(row.days_31_60),
                "days_61_90": cents(row.days_61_90),
                "days_over_90": cents(row.days_over_90),
            }
            for row in store.aged_balances(instant(a["as_of"]))
        ],
        "notices": lambda: {"notices": [notice(n) for n in store.notices(at)]},
    }
    assert call in calls, f"the scenarios use a call this runner does not know: {call}"
    return calls[call]()


def call_of(step: Dict[str, Any]) -> str:
    calls = [k for k in step if k not in ("expect", "error", "note")]
    assert len(calls) == 1, f"a step names one call: {step}"
    return calls[0]


def stores(backend: str, plan: koko.PricePlan, tmp_path: Path) -> Iterator[koko.BookStore]:
    """The store of a scenario, then the same store reopened at each ``reopen`` step."""
    if backend == "memory":
        store = koko.BookStore.memory(plan=plan)
        while True:
            yield store
    path = tmp_path / "store"
    store = koko.BookStore.open(str(path), plan=plan)
    while True:
        yield store
        store.close()
        store = koko.BookStore.open(str(path))


@pytest.mark.parametrize("backend", ["memory", "sled"])
@pytest.mark.parametrize(
    "file,doc,scenario", CASES, ids=[f"{file}: {scenario['name']}" for file, _, scenario in CASES]
)
def test_scenario(file: str, doc: Dict[str, Any], scenario: Dict[str, Any], backend: str, tmp_path: Path) -> None:
    opened = stores(backend, plan_of(doc, scenario["plan"]), tmp_path)
    store = next(opened)
    for number, step in enumerate(scenario["steps"], start=1):
        call = call_of(step)
        if call == "reopen":
            store = next(opened)
            continue
        what = f"{file}.json / {scenario['name']} / step {number}: {json.dumps(step)}"
        if "error" in step:
            with pytest.raises(koko.KokoError) as caught:
                run(store, call, step[call])
            assert caught.value.kind == step["error"]["kind"], f"{what}: {caught.value!r}"
            if "field" in step["error"]:
                assert caught.value.field == step["error"]["field"], f"{what}: {caught.value!r}"
        else:
            got = run(store, call, step[call])
            if "expect" in step:
                assert matches(step["expect"], got), f"{what}\n  expected {step['expect']}\n  got      {got}"


def test_every_file_has_scenarios() -> None:
    assert {path.stem for path in FILES} >= {"circulation", "ledger", "notices", "renewals"}
    assert all(json.loads(path.read_text())["scenarios"] for path in FILES)
