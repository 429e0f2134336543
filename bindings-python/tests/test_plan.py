"""PricePlan and Quote from Python: presets, documents, batches, money as Decimal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import koko
from conftest import utc


def test_the_contract_example() -> None:
    assert str(koko.PricePlan.story3().quote_days("novel", 2).total) == "4.50"


def test_quote_has_decimal_money_and_itemised_lines() -> None:
    rented = utc(2024, 1, 1, 12)
    quote = koko.PricePlan.story3().quote("regular", rented, rented + timedelta(hours=72))
    assert quote.days == 3
    assert quote.total == Decimal("3.50") and isinstance(quote.total, Decimal)
    assert quote.currency == "USD"
    assert [(l.description, l.amount) for l in quote.lines] == [
        ("days 1–2 at 1.00", Decimal("2.00")),
        ("day 3 at 1.50", Decimal("1.50")),
    ]
    assert "Decimal('3.50')" in repr(quote)
    assert quote == koko.PricePlan.story3().quote_days("regular", 3)


def test_quote_many_matches_single_quotes() -> None:
    plan = koko.PricePlan.story3()
    days = list(range(0, 40))
    categories = ["regular", "fiction", "novel"] * 13 + ["regular"]
    totals = plan.quote_many(categories, days)
    assert totals == [plan.quote_days(c, d).total for c, d in zip(categories, days)]
    assert plan.quote_many("novel", [1, 3, 4]) == [Decimal("4.50"), Decimal("4.50"), Decimal("6.00")]
    assert plan.quote_many("novel", []) == []


def test_price_curve() -> None:
    assert [str(t) for t in koko.PricePlan.story3().price_curve("regular", 4)] == ["2.00", "2.00", "3.50", "5.00"]


def test_plans_round_trip_through_json_and_toml() -> None:
    plan = koko.PricePlan.story3()
    assert koko.PricePlan.from_json(plan.to_json()) == plan
    assert koko.PricePlan.from_toml(plan.to_toml()) == plan
    assert plan.name == "story3"
    assert plan.categories == ["fiction", "novel", "regular"]
    custom = koko.PricePlan.from_toml(
        'currency = "JPY"\n[default]\ntiers = [{ from_day = 1, rate = "150" }]\n'
    )
    assert custom.currency == "JPY"
    assert str(custom.quote_days("manga", 3).total) == "450"


def test_calendar_days_in_a_time_zone() -> None:
    plan = koko.PricePlan.from_json(
        '{"currency": "EUR", "day_count": {"policy": "calendar_days", "time_zone": "Europe/Berlin"},'
        ' "default": {"tiers": [{"from_day": 1, "rate": "2.00"}]}}'
    )
    quote = plan.quote("any", utc(2024, 3, 30, 22, 30), utc(2024, 3, 31, 22, 30))
    assert (quote.days, quote.total) == (2, Decimal("4.00"))
