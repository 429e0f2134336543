"""Every golden vector of core/tests/vectors gives the same days, total and lines in Python as in Rust."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any, Dict, List, Tuple

import pytest

import koko
from conftest import VECTORS


def load_cases() -> List[Tuple[str, Dict[str, Any]]]:
    cases = []
    for path in sorted(VECTORS.glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["cases"]:
            cases.append((f"{path.name}: {case['name']}", case))
    return cases


CASES = load_cases()


def plan_of(spec: Any) -> koko.PricePlan:
    if isinstance(spec, str):
        return koko.PricePlan.preset(spec)
    return koko.PricePlan.from_json(json.dumps(spec))


def instant(text: str) -> datetime:
    """An RFC 3339 timestamp as an aware datetime, its fraction truncated to the microseconds Python holds."""
    match = re.fullmatch(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", text)
    assert match, f"not an RFC 3339 timestamp: {text!r}"
    whole, fraction, offset = match.groups()
    micros = f".{(fraction + '000000')[:6]}" if fraction else ""
    return datetime.fromisoformat(whole + micros + offset.replace("Z", "+00:00"))


def run(case: Dict[str, Any]) -> koko.Quote:
    plan = plan_of(case["plan"])
    if "days" in case:
        return plan.quote_days(case["category"], case["days"])
    rented = instant(case["rented_at"])
    returned = instant(case["returned_at"])
    if "due_at" in case:
        return plan.quote(case["category"], rented, returned, due_at=instant(case["due_at"]))
    return plan.quote(case["category"], rented, returned)


def test_there_are_vectors() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_golden_vector(name: str, case: Dict[str, Any]) -> None:
    if "expect_due_at" in case:
        assert not {"returned_at", "days", "due_at", "expect", "expect_error"} & case.keys()
        due = plan_of(case["plan"]).due_at(case["category"], instant(case["rented_at"]))
        expected_due = case["expect_due_at"]
        if expected_due is None:
            assert due is None
        else:
            assert due is not None and due.utcoffset() == timedelta(0)
            assert due == instant(expected_due)
        return
    if "expect_error" in case:
        expected = case["expect_error"]
        with pytest.raises(koko.KokoError) as info:
            run(case)
        assert info.value.kind == expected["kind"]
        assert info.value.field == expected["field"]
        return
    expected = case["expect"]
    quote = run(case)
    assert quote.days == expected["days"]
    assert str(quote.total) == expected["total"]
    assert quote.currency == expected["currency"]
    assert [(line.description, str(line.amount)) for line in quote.lines] == [
        (line["description"], line["amount"]) for line in expected["lines"]
    ]
    assert sum((line.amount for line in quote.lines), start=quote.total * 0) == quote.total
