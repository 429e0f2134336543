"""Every golden vector of core/tests/vectors gives the same days, total and lines in Python as in Rust."""

from __future__ import annotations

import json
from datetime import datetime
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


def run(case: Dict[str, Any]) -> koko.Quote:
    plan = plan_of(case["plan"])
    if "days" in case:
        return plan.quote_days(case["category"], case["days"])
    rented = datetime.fromisoformat(case["rented_at"].replace("Z", "+00:00"))
    returned = datetime.fromisoformat(case["returned_at"].replace("Z", "+00:00"))
    return plan.quote(case["category"], rented, returned)


def test_there_are_vectors() -> None:
    assert len(CASES) >= 100


@pytest.mark.parametrize("name,case", CASES, ids=[name for name, _ in CASES])
def test_golden_vector(name: str, case: Dict[str, Any]) -> None:
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
