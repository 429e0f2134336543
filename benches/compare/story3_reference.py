"""Story 3 as ten lines of Python would write it, with ``decimal.Decimal``: the reference the comparison scripts
measure Koko against (and check every Koko answer with)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")


def story3_pure(category: str, days: int) -> Decimal:
    """Story 3 as ten lines of Python would write it: regular 1.00/day for days 1-2 then 1.50, minimum 2.00;
    fiction 3.00/day; novel 1.50/day, minimum 4.50; at least one day."""
    days = max(days, 1)
    if category == "regular":
        total = Decimal("1.00") * min(days, 2) + Decimal("1.50") * max(days - 2, 0)
        total = max(total, Decimal("2.00"))
    elif category == "fiction":
        total = Decimal("3.00") * days
    elif category == "novel":
        total = max(Decimal("1.50") * days, Decimal("4.50"))
    else:
        raise ValueError(f"unknown category {category!r}")
    return total.quantize(CENT, rounding=ROUND_HALF_EVEN)


def story3_charge(category: str, rented: datetime, returned: datetime) -> Decimal:
    """Story 3 for a rental between two instants, as the original API computes it: whole elapsed days."""
    return story3_pure(category, (returned - rented).days)
