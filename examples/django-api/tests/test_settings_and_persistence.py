"""KOKO_STORE and KOKO_PLAN, and a sled store that keeps its data across a restart."""

import datetime as dt
import json
import runpy
from pathlib import Path

import koko
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from bookstore import store as koko_store

from .conftest import Api

PROJECT = Path(__file__).resolve().parent.parent


def _settings_with_env(monkeypatch, **env):
    for name in ("KOKO_STORE", "KOKO_PLAN", "KOKO_API_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(PROJECT / "kokoapi" / "settings.py"))


def test_defaults_are_a_sled_store_in_the_project_and_story3(monkeypatch):
    values = _settings_with_env(monkeypatch)
    assert Path(values["KOKO_STORE"]) == PROJECT / "koko-data"
    assert values["KOKO_PLAN"] == "story3"
    # Django's own small database (users, tokens, the throttles' cache) is a SQLite file beside the sled store.
    assert values["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(values["DATABASES"]["default"]["NAME"]) == PROJECT / "koko-data-auth.sqlite3"


def test_env_vars_choose_store_and_plan(monkeypatch):
    values = _settings_with_env(monkeypatch, KOKO_STORE="memory", KOKO_PLAN="story1")
    assert (values["KOKO_STORE"], values["KOKO_PLAN"]) == ("memory", "story1")


def _restart(settings, location, plan="story3"):
    """What a new process would do: close the store, then open it again from settings on the next request."""
    koko_store.close_store()
    settings.KOKO_STORE = str(location)
    settings.KOKO_PLAN = plan


def test_sled_store_keeps_books_customers_and_rentals_across_a_restart(settings, tmp_path, client, staff_token):
    data_dir = tmp_path / "koko-data"
    _restart(settings, data_dir)
    api = Api(client, staff_token)
    book = api.book(title="Dune", book_type="F")
    ada = api.customer()
    closed = api.rent(ada["id"], book["id"], date_rented="2024-06-03T10:00:00Z")
    closed = api.close(closed["id"], "2024-06-05T10:00:00Z").data
    assert closed.pop("balance") == "6.00"  # the close answer alone carries the customer's balance
    emma = api.book(title="Emma", book_type="R")
    active = api.rent(ada["id"], emma["id"])
    assert data_dir.is_dir()
    assert isinstance(koko_store.get_store(), koko.BookStore)

    _restart(settings, data_dir, plan="story1")  # an existing store keeps the plan it was created with
    assert api.get("/books/").data == [
        {**book, "rental_status": "Available"},
        {**emma, "rental_status": "Rented Out"},
    ]
    assert api.get(f"/customers/{ada['id']}/").data == ada
    assert api.get(f"/customers/{ada['id']}/rentals/").data == [closed, active]
    assert closed["amount_charged"] == "6.00"
    assert api.get(f"/rentals/{active['id']}/").data["rental_status"] == "Active"
    assert koko_store.get_store().current_plan().name == "story3"
    koko_store.close_store()


def test_memory_store_from_settings_starts_empty_each_time(settings, client, staff_token):
    _restart(settings, "memory")
    api = Api(client, staff_token)
    api.book(title="Gone")
    assert len(api.get("/books/").data) == 1
    _restart(settings, "memory")
    assert api.get("/books/").data == []


@pytest.mark.parametrize("plan, amount", [("story1", "3.00"), ("story2", "4.50"), ("story3", "3.50")])
def test_koko_plan_presets_price_through_the_api(settings, client, plan, amount, staff_token):
    _restart(settings, "memory", plan=plan)
    api = Api(client, staff_token)
    book = api.book(book_type="R")
    rental = api.rent(api.customer()["id"], book["id"], date_rented="2024-06-03T10:00:00Z")
    assert api.close(rental["id"], "2024-06-06T10:00:00Z").data["amount_charged"] == amount


def _custom_plan() -> dict:
    plan = json.loads(koko.PricePlan.story3().to_json())
    plan["name"] = "euro-test"
    plan["currency"] = "EUR"
    plan["categories"]["fiction"] = {"tiers": [{"from_day": 1, "rate": "7.77"}]}
    return plan


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_koko_plan_from_a_file(settings, client, tmp_path, suffix, staff_token):
    plan = koko.PricePlan.from_json(json.dumps(_custom_plan()))
    path = tmp_path / f"plan{suffix}"
    path.write_text(plan.to_json() if suffix == ".json" else plan.to_toml(), encoding="utf-8")
    _restart(settings, "memory", plan=str(path))
    api = Api(client, staff_token)
    book = api.book(book_type="F")
    rental = api.rent(api.customer()["id"], book["id"], date_rented="2024-06-03T10:00:00Z")
    closed = api.close(rental["id"], "2024-06-05T10:00:00Z").data
    assert (closed["amount_charged"], closed["currency"]) == ("15.54", "EUR")


@pytest.mark.parametrize("spec", ["story9", "plan.yaml", "/nonexistent/plan.json"])
def test_bad_koko_plan_is_improperly_configured(spec):
    with pytest.raises(ImproperlyConfigured):
        koko_store.load_plan(spec)


def test_invalid_plan_file_is_improperly_configured(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"name": "broken"}', encoding="utf-8")
    with pytest.raises(ImproperlyConfigured, match="broken.json"):
        koko_store.load_plan(str(path))


def test_manage_py_check_reports_a_bad_plan(settings):
    call_command("check")  # the default settings pass
    settings.KOKO_PLAN = "story9"
    with pytest.raises(SystemCheckError, match="koko.E001"):
        call_command("check")


def test_store_is_created_once_per_process(settings):
    _restart(settings, "memory")
    first = koko_store.get_store()
    first.add_book(title="Kept", author="A", category="novel")
    assert koko_store.get_store() is first
    assert [b.title for b in koko_store.get_store().books()] == ["Kept"]


def test_a_sled_directory_held_by_another_handle_answers_503(settings, tmp_path, client, staff_token):
    """Sled locks its directory: a second process (here a second handle) cannot serve it."""
    data_dir = tmp_path / "locked"
    holder = koko.BookStore.open(str(data_dir))
    _restart(settings, data_dir)
    response = Api(client, staff_token).get("/books/")
    assert response.status_code == 503
    assert "storage" in response.data["detail"]
    holder.close()
    assert Api(client, staff_token).get("/books/").status_code == 200  # the lock is gone: the next request opens the store
    koko_store.close_store()


def test_a_replica_is_passed_to_koko_on_postgresql(monkeypatch, settings):
    """``KOKO_STORE_REPLICA`` and its lag bound reach ``koko.BookStore.connect``."""
    from types import SimpleNamespace

    import koko

    from bookstore import store as koko_store

    seen = {}
    fake = SimpleNamespace(BookStore=SimpleNamespace(connect=lambda url, **kw: seen.update(url=url, **kw) or "store"))
    monkeypatch.setattr(koko_store, "koko", fake)
    settings.KOKO_STORE_REPLICA = "postgresql://koko@replica/koko"
    settings.KOKO_STORE_MAX_REPLICA_LAG_MS = 750
    assert koko_store.open_store("postgresql://koko@primary/koko", koko.PricePlan.story3()) == "store"
    assert seen["url"] == "postgresql://koko@primary/koko"
    assert (seen["replica"], seen["max_replica_lag_ms"]) == ("postgresql://koko@replica/koko", 750)
