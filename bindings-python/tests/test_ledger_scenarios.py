"""The shared ledger scenarios (``core/tests/ledger/scenarios.json``, also run from Rust), through the Python API.

Each scenario runs on a fresh in-memory store; each step is one call. ``expect`` is what the call answers, ``error``
the koko exception it raises (its ``kind``, and its ``field`` or rule when given). Money is compared as a
``Decimal`` and, where the file writes it with the currency's decimals, as the exact string the store answers.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import pytest

import koko

SCENARIOS = json.loads(
    (Path(__file__).parents[2] / "core" / "tests" / "ledger" / "scenarios.json").read_text()
)["scenarios"]


KINDS = {"pay": "payment", "waive": "waiver", "refund": "refund"}


def instant(text: str) -> datetime:
    """An RFC 3339 time of the file (``...Z``) as an aware datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def when(text: Optional[str]) -> Optional[datetime]:
    """An optional time of the file; ``None`` leaves it to the store's clock."""
    return None if text is None else instant(text)


def plan_of(plan: Any) -> koko.PricePlan:
    if isinstance(plan, str):
        return koko.PricePlan.preset(plan)
    return koko.PricePlan.from_json(json.dumps(plan))


def money(actual: Decimal, expected: str, what: str) -> None:
    """The amount equals ``expected``; written with two decimals, it is also spelled exactly so."""
    assert isinstance(actual, Decimal), f"{what}: {actual!r} is not a Decimal"
    assert actual == Decimal(expected), f"{what}: {actual} != {expected}"
    if "." in expected and len(expected.split(".")[1]) == 2:
        assert str(actual) == expected, f"{what}: written {str(actual)!r}, expected {expected!r}"


def entries(actual: List[koko.LedgerEntry], expected: List[List[str]], what: str) -> None:
    assert [e.kind for e in actual] == [kind for kind, _ in expected], what
    for i, (entry, (_, amount)) in enumerate(zip(actual, expected)):
        money(entry.amount, amount, f"{what}[{i}].amount")


def key(a: Dict[str, Any]) -> Dict[str, Any]:
    return {"idempotency_key": a["key"]} if "key" in a else {}


def run(store: koko.BookStore, op: str, a: Dict[str, Any]) -> Any:
    """One step's call, as the Python API spells it."""
    calls: Dict[str, Callable[[], Any]] = {
        "add_book": lambda: store.add_book(
            title=a["title"], author=a["author"], category=a["category"], copies=a.get("copies"), **key(a)
        ),
        "register": lambda: store.register_customer(first_name=a["first_name"], last_name=a["last_name"], **key(a)),
        "rent": lambda: store.rent(customer_id=a["customer"], book_id=a["book"], at=when(a.get("at")), **key(a)),
        "return": lambda: store.return_rental(rental_id=a["rental"], at=when(a.get("at")), **key(a)),
        "pay": lambda: store.pay(
            customer_id=a["customer"],
            amount=a["amount"],
            at=when(a.get("at")),
            note=a.get("note"),
            currency=a.get("currency"),
            **key(a),
        ),
        "waive": lambda: store.waive(
            customer_id=a["customer"], amount=a["amount"], reason=a["reason"], at=when(a.get("at")), **key(a)
        ),
        "refund": lambda: store.refund(
            customer_id=a["customer"], amount=a["amount"], reason=a["reason"], at=when(a.get("at")), **key(a)
        ),
        "block": lambda: store.block_customer(
            a["customer"], reason=a["reason"], at=when(a.get("at")), until=when(a.get("until")), **key(a)
        ),
        "unblock": lambda: store.unblock_customer(a["customer"], **key(a)),
        "account": lambda: store.account(a["customer"]),
        "statement": lambda: store.statement(a["customer"], instant(a["start"]), instant(a["end"])),
        "aging": lambda: store.aged_balances(when(a.get("as_of"))),
    }
    assert op in calls, f"the scenarios use a step this runner does not know: {op}"
    return calls[op]()


def check(op: str, result: Any, expect: Any, what: str) -> None:
    """``result`` is what ``expect`` says the step answers."""
    if op == "rent":
        assert isinstance(result, koko.Rental) and result.id == expect["rental"], what
    elif op == "return":
        assert isinstance(result, koko.Receipt), what
        money(result.charge.total, expect["charge"], f"{what} charge")
        money(result.balance, expect["balance"], f"{what} balance")
    elif op in ("pay", "waive", "refund"):
        assert isinstance(result, koko.LedgerEntry) and result.kind == KINDS[op], what
        money(result.balance_after, expect["balance"], f"{what} balance_after")
        money(result.amount, expect["amount"], f"{what} amount")
    elif op == "account":
        assert isinstance(result, koko.Account), what
        money(result.balance, expect["balance"], f"{what} balance")
        assert (result.block is not None) == expect["blocked"], what
        entries(result.entries, expect["entries"], f"{what} entries")
    elif op == "statement":
        assert isinstance(result, koko.Statement), what
        money(result.opening_balance, expect["opening"], f"{what} opening")
        money(result.closing_balance, expect["closing"], f"{what} closing")
        entries(result.entries, expect["entries"], f"{what} entries")
    elif op == "aging":
        assert [r.customer_id for r in result] == [row["customer"] for row in expect], what
        for row, want in zip(result, expect):
            for bucket in ("balance", "days_0_30", "days_31_60", "days_61_90", "days_over_90"):
                assert getattr(row, bucket) == Decimal(want[bucket]), f"{what} {bucket}"
    else:
        raise AssertionError(f"{what}: no expectation is defined for {op}")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_ledger_scenario(scenario: Dict[str, Any]) -> None:
    store = koko.BookStore.memory(plan=plan_of(scenario["plan"]))
    for number, step in enumerate(scenario["steps"], start=1):
        ops = [k for k in step if k not in ("expect", "error")]
        assert len(ops) == 1, f"step {number} names {ops}"
        op = ops[0]
        what = f"step {number} ({op} {json.dumps(step[op])})"
        if "error" in step:
            with pytest.raises(koko.KokoError) as caught:
                run(store, op, step[op])
            assert caught.value.kind == step["error"]["kind"], f"{what}: {caught.value!r}"
            if "field" in step["error"]:
                assert caught.value.field == step["error"]["field"], f"{what}: {caught.value!r}"
        else:
            result = run(store, op, step[op])
            if "expect" in step:
                check(op, result, step["expect"], what)
