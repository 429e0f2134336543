"""PricePlan and Quote from Python: presets, documents, batches, money as Decimal."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

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


WEEKEND_PLAN = (
    '{"currency": "EUR", "calendar": {"time_zone": "Europe/Berlin", "closed_weekdays": ["saturday", "sunday"],'
    ' "closed_dates": ["2024-12-25"]},'
    ' "categories": {"regular": {"tiers": [{"from_day": 1, "rate": "1.00"}],'
    ' "late_fee": {"loan_days": 7, "per_day": "0.50", "count_closed_days": false}},'
    ' "reference": {"tiers": [{"from_day": 1, "rate": "1.00"}]}}}'
)


def test_due_at_moves_off_closed_days_and_is_aware_utc() -> None:
    plan = koko.PricePlan.from_json(WEEKEND_PLAN)
    # Rented Saturday 2024-06-01 12:00 CEST: a week later is a Saturday, so due Monday 12:00 CEST (10:00Z).
    due = plan.due_at("regular", utc(2024, 6, 1, 10))
    assert due == utc(2024, 6, 10, 10)
    assert due is not None and due.utcoffset() == timedelta(0)
    assert plan.due_at("reference", utc(2024, 6, 1, 10)) is None
    assert koko.PricePlan.story3().due_at("novel", utc(2024, 6, 1, 10)) is None


def test_quote_with_an_explicit_due_date() -> None:
    plan = koko.PricePlan.from_json(WEEKEND_PLAN)
    rented, returned = utc(2024, 6, 3, 10), utc(2024, 6, 18, 11)
    # The plan's due date is Monday 06-10 10:00Z: 8 days late, Tue 11 … Tue 18 without Sat 15 and Sun 16 = 6.
    assert plan.quote("regular", rented, returned).total == Decimal("18.00")
    assert plan.quote("regular", rented, returned, due_at=None) == plan.quote("regular", rented, returned)
    # Renewed to Monday 06-17 10:00Z: 25 h late is 1 day (Tue 18, open).
    renewed = plan.quote("regular", rented, returned, due_at=utc(2024, 6, 17, 10))
    assert renewed.total == Decimal("15.50")
    assert [l.description for l in renewed.lines] == ["days 1–15 at 1.00", "late fee: 1 day at 0.50"]
    # The same instant written in another offset is the same due date.
    berlin = timezone(timedelta(hours=2))
    assert plan.quote("regular", rented, returned, due_at=datetime(2024, 6, 17, 12, tzinfo=berlin)) == renewed


def test_due_at_is_keyword_only_and_checked() -> None:
    plan = koko.PricePlan.from_json(WEEKEND_PLAN)
    rented, returned = utc(2024, 6, 3, 10), utc(2024, 6, 5, 10)
    with pytest.raises(TypeError):
        plan.quote("regular", rented, returned, utc(2024, 6, 4, 10))  # type: ignore[misc]
    with pytest.raises(koko.InvalidInput) as before:
        plan.quote("regular", rented, returned, due_at=utc(2024, 6, 3, 9, 59, 59))
    assert before.value.field == "due_at" and isinstance(before.value, ValueError)
    with pytest.raises(koko.InvalidInput) as naive:
        plan.quote("regular", rented, returned, due_at=datetime(2024, 6, 10, 10))
    assert naive.value.field == "due_at"
    with pytest.raises(koko.InvalidInput) as unpriced:
        plan.due_at("poetry", rented)
    assert unpriced.value.field == "category"


def test_a_calendar_round_trips_and_a_store_uses_it() -> None:
    plan = koko.PricePlan.from_json(WEEKEND_PLAN)
    assert koko.PricePlan.from_json(plan.to_json()) == plan
    assert koko.PricePlan.from_toml(plan.to_toml()) == plan
    assert '"count_closed_days": false' in plan.to_json()
    store = koko.BookStore.memory(plan=plan)
    book = store.add_book(title="Emma", author="Jane Austen", category="regular")
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    # Rented Wednesday 2024-12-18 10:00Z: a week later is Christmas Day, closed, so due Thursday the 26th.
    rental = store.rent(customer_id=ada.id, book_id=book.id, at=utc(2024, 12, 18, 10))
    assert rental.due_at == utc(2024, 12, 26, 10)
