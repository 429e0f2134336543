"""The shared bad-input table (``core/tests/bad_input_table.json``, also run from Rust and JS).

Every case marked for Python raises the expected koko exception (its class and ``kind``, and field or entity, with
a message) — on a memory store and on a sled store for the store operations — and leaves the store exactly as it
was (a canonical dump of every record, customers' accounts and ledgers included, is compared), after which the
fixture's ``after_all`` operations still succeed. The hand-written ``test_bad_input.py`` holds no bad-input case:
every one is here.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import koko

TABLE = json.loads((Path(__file__).parents[2] / "core" / "tests" / "bad_input_table.json").read_text())
CASES = [c for c in TABLE["cases"] if "python" in c["runtimes"]]
PLAN_OPS = {"quote_days", "quote", "due_at", "quote_many", "price_curve", "plan_json", "plan_toml", "preset"}


class BadOffset(tzinfo):
    """A tzinfo whose utcoffset() is out of range (25 h): Python itself refuses it."""

    def utcoffset(self, dt: Optional[datetime]) -> timedelta:
        return timedelta(hours=25)


def resolve(value: Any, saved: Dict[str, int]) -> Any:
    """A table value as Python: tags become ids, datetimes, floats, huge strings, bytes, ..."""
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        tag, inner = next(iter(value.items()))
        tags: Dict[str, Callable[[Any], Any]] = {
            "$ref": lambda v: saved[v],
            "$datetime": lambda v: datetime.fromisoformat(v.replace("Z", "+00:00")),
            "$naive": datetime.fromisoformat,
            "$date_only": date.fromisoformat,
            "$float": float,
            "$int": int,
            "$decimal": Decimal,
            "$string_of": lambda v: v[0] * v[1],
            "$json": lambda v: json.dumps(resolve(v, saved)),
            "$bytes": lambda v: v.encode(),
            "$utf16": lambda v: "".join(map(chr, v)),
            "$plan": koko.PricePlan.preset,
            "$bad_offset": lambda v: datetime.fromisoformat(v).replace(tzinfo=BadOffset()),
        }
        if tag in tags:
            return tags[tag](inner)
        assert not tag.startswith("$"), f"the table uses a tag this runner does not know: {tag}"
    return {k: resolve(v, saved) for k, v in value.items()}


def plan_of(a: Dict[str, Any]) -> koko.PricePlan:
    return koko.PricePlan.preset(a.get("plan", "story3"))


def run(store: Optional[koko.BookStore], op: str, a: Dict[str, Any]) -> Any:
    """One operation of the table, as the Python API spells it."""
    plan_ops: Dict[str, Callable[[], Any]] = {
        "quote_days": lambda: plan_of(a).quote_days(a["category"], a["days"]),
        "quote": lambda: plan_of(a).quote(
            a["category"], a["rented_at"], a["returned_at"], **({"due_at": a["due_at"]} if "due_at" in a else {})
        ),
        "due_at": lambda: plan_of(a).due_at(a["category"], a["rented_at"]),
        "quote_many": lambda: plan_of(a).quote_many(a["categories"], a["days"]),
        "price_curve": lambda: plan_of(a).price_curve(a["category"], a["max_days"]),
        "plan_json": lambda: koko.PricePlan.from_json(a["document"]),
        "plan_toml": lambda: koko.PricePlan.from_toml(a["document"]),
        "preset": lambda: koko.PricePlan.preset(a["name"]),
    }
    if op in plan_ops:
        return plan_ops[op]()
    assert store is not None
    s = store
    keep = ("title", "author", "category", "isbn", "copies", "first_name", "last_name", "email", "active")
    fields = {k: v for k, v in a.items() if k in keep}
    key = {"idempotency_key": a["idempotency_key"]} if "idempotency_key" in a else {}
    when_why = {k: a[k] for k in ("at", "reason") if k in a}
    store_ops: Dict[str, Callable[[], Any]] = {
        "add_book": lambda: s.add_book(**fields),
        "update_book": lambda: s.update_book(a["book"], **fields),
        "add_copies": lambda: s.add_copies(a["book"], a["count"]),
        "withdraw_copy": lambda: s.withdraw_copy(a["copy"]),
        "reinstate_copy": lambda: s.reinstate_copy(a["copy"]),
        "book": lambda: s.book(a["book"]),
        "copies": lambda: s.copies(a["book"]),
        "register_customer": lambda: s.register_customer(**fields),
        "update_customer": lambda: s.update_customer(a["customer"], **fields),
        "deactivate_customer": lambda: s.deactivate_customer(a["customer"]),
        "activate_customer": lambda: s.activate_customer(a["customer"]),
        "customer": lambda: s.customer(a["customer"]),
        "customer_rentals": lambda: s.customer_rentals(a["customer"]),
        "rent": lambda: s.rent(
            customer_id=a["customer"], book_id=a.get("book"), copy_id=a.get("copy"), at=a["at"], **key
        ),
        "return_rental": lambda: s.return_rental(
            rental_id=a["rental"], at=a["at"], damage_fee=a.get("damage_fee"), note=a.get("note")
        ),
        "renew": lambda: s.renew(rental_id=a["rental"], at=a["at"]),
        "place_hold": lambda: s.place_hold(customer_id=a["customer"], book_id=a["book"], at=a["at"], **key),
        "cancel_hold": lambda: s.cancel_hold(a["hold"], at=a["at"], **key),
        "hold": lambda: s.hold(a["hold"]),
        "book_holds": lambda: s.holds(a["book"]),
        "customer_holds": lambda: s.customer_holds(a["customer"]),
        "expire_holds": lambda: s.expire_holds(a["at"]),
        "declare_lost": lambda: s.declare_lost(rental_id=a["rental"], at=a["at"], **key),
        "mark_found": lambda: s.mark_found(copy_id=a["copy"], at=a["at"], **key),
        "notices": lambda: s.notices(a["at"]),
        "mark_notified": lambda: s.mark_notified(a["keys"], at=a["at"]),
        "search_books": lambda: s.search_books(
            a.get("search"),
            category=a.get("category"),
            available=a.get("available"),
            after=a.get("after"),
            limit=a.get("limit"),
        ),
        "search_customers": lambda: s.search_customers(a["search"], after=a.get("after"), limit=a.get("limit")),
        "books_page": lambda: s.books(after=a.get("after"), limit=a.get("limit")),
        "quote_return": lambda: s.quote_return(a["rental"], a["at"]),
        "rental": lambda: s.rental(a["rental"]),
        "store_quote": lambda: s.quote(a["category"], a["rented_at"], a["returned_at"]),
        "publish_plan": lambda: s.publish_plan(a["plan"], a["effective_from"]),
        "revenue": lambda: s.revenue(a["from"], a["to"]),
        "overdue_rentals": lambda: s.overdue_rentals(a["at"]),
        "pay": lambda: s.pay(
            customer_id=a["customer"],
            amount=a["amount"],
            currency=a.get("currency"),
            note=a.get("note"),
            **when_why,
            **key,
        ),
        "waive": lambda: s.waive(customer_id=a["customer"], amount=a["amount"], **when_why, **key),
        "refund": lambda: s.refund(customer_id=a["customer"], amount=a["amount"], **when_why, **key),
        "post_fee": lambda: s.post_fee(
            customer_id=a["customer"], amount=a["amount"], rental_id=a.get("rental"), **when_why, **key
        ),
        "block_customer": lambda: s.block_customer(
            a["customer"], reason=a["reason"], at=a.get("at"), until=a.get("until"), **key
        ),
        "unblock_customer": lambda: s.unblock_customer(a["customer"], **key),
    }
    return store_ops[op]()


def dump(store: koko.BookStore) -> List[str]:
    """Every record's public attributes (customers' holds included), in id order."""
    def attrs(obj: Any) -> str:
        names = sorted(n for n in dir(obj) if not n.startswith("_") and not callable(getattr(obj, n)))
        return repr([(n, repr(getattr(obj, n))) for n in names])

    out = [attrs(b) + repr([attrs(c) for c in store.copies(b.id)]) for b in store.books()]
    out += [attrs(c) + repr(store.account(c.id)) + repr([attrs(e) for e in store.account(c.id).entries])
            + repr([attrs(h) for h in store.customer_holds(c.id)])
            for c in store.customers()]
    out += [attrs(r) + (repr(r.charge.total) if r.charge else "") for r in store.rentals()]
    out += [f"{v.id} {v.effective_from} {v.plan.to_json()}" for v in store.plan_versions()]
    return out


def run_steps(store: koko.BookStore, steps: List[Dict[str, Any]], saved: Dict[str, int]) -> None:
    for step in steps:
        made = run(store, step["op"], resolve(step["args"], saved))
        if "save" in step:
            saved[step["save"]] = made.id if not isinstance(made, list) else made[0].id
        for name, copy in zip(step.get("save_copies", []), store.copies(made.id) if "save_copies" in step else []):
            saved[name] = copy.id


def check(case: Dict[str, Any], store: Optional[koko.BookStore]) -> None:
    saved: Dict[str, int] = {}
    if store is not None:
        run_steps(store, TABLE["fixture"]["steps"], saved)
    before = dump(store) if store is not None else None
    args = resolve(case["args"], saved)
    with pytest.raises(koko.KokoError) as raised:
        run(store, case["op"], args)
    err, expect = raised.value, case["expect"]
    assert err.kind == expect["kind"], f"{err.kind}: {err}"
    assert isinstance(err, getattr(koko, expect["kind"])), f"a {type(err).__name__}, not a koko.{expect['kind']}"
    assert str(err), "an error without a message"
    if "field" in expect:
        assert err.field == expect["field"], f"field {err.field!r}: {err}"
    if "entity" in expect:
        assert str(err).startswith(expect["entity"] + " "), f"not about a {expect['entity']}: {err}"
    if store is not None:
        assert dump(store) == before, "a failed operation changed the store"
        run_steps(store, TABLE["fixture"]["after_all"], dict(saved))


def new_store(kind: str, tmp_path: Path) -> koko.BookStore:
    plan = koko.PricePlan.preset(TABLE["fixture"]["plan"])
    return koko.BookStore.memory(plan=plan) if kind == "memory" else koko.BookStore.open(tmp_path / "s", plan=plan)


PARAMS = [
    pytest.param(case, backend, id=f"{backend}: {case['name']}")
    for case in CASES
    for backend in (["plan"] if case["op"] in PLAN_OPS else ["memory", "sled"])
]


@pytest.mark.parametrize("case,backend", PARAMS)
def test_bad_input_is_a_typed_error_and_changes_nothing(case: Dict[str, Any], backend: str, tmp_path: Path) -> None:
    check(case, None if backend == "plan" else new_store(backend, tmp_path))


def test_the_table_has_python_cases() -> None:
    assert len(CASES) >= 374, f"only {len(CASES)} Python cases in the table: were some lost?"
