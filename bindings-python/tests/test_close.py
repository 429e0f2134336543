"""``BookStore.close()`` and ``with``: the sled lock is released at once, and every later call raises
``koko.StoreClosed`` (a ``StorageError``)."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Dict, List

import pytest

import koko

from conftest import utc


def test_with_block_releases_the_lock_for_the_same_process(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with koko.BookStore.open(path) as store:
        book = store.add_book(title="Emma", author="Jane Austen", category="novel")
    assert store.closed
    with koko.BookStore.open(path) as again:  # no garbage collection, no `del`: the lock went with the block
        assert again.books() == [book]
    with koko.BookStore.open(path) as third:
        assert third.book(book.id) == book


def test_close_releases_the_lock_and_twice_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = koko.BookStore.open(path)
    ada = store.register_customer(first_name="Ada", last_name="Lovelace")
    store.close()
    store.close()
    assert store.closed and repr(store) == "BookStore(closed)"
    reopened = koko.BookStore.open(path)
    assert reopened.customer(ada.id) == ada
    reopened.close()


def test_a_second_handle_is_refused_while_the_first_is_open(tmp_path: Path) -> None:
    path = tmp_path / "store"
    first = koko.BookStore.open(path)
    with pytest.raises(koko.StorageError) as raised:
        koko.BookStore.open(path)
    assert not isinstance(raised.value, koko.StoreClosed)
    first.close()
    koko.BookStore.open(path).close()


def test_store_closed_is_a_typed_storage_error(tmp_path: Path) -> None:
    with koko.BookStore.open(tmp_path / "store") as store:
        pass
    with pytest.raises(koko.StoreClosed, match=r"the store is closed \(BookStore.close\(\)") as raised:
        store.books()
    error = raised.value
    assert isinstance(error, koko.StorageError) and isinstance(error, koko.KokoError)
    assert error.kind == "StoreClosed"
    assert "StoreClosed" in koko._errors.__all__ and "StoreClosed" in koko.__all__


def _arguments(method: Any) -> Dict[str, Any]:
    """Placeholder arguments for every required parameter of a native method (from its text signature)."""
    args: Dict[str, Any] = {}
    for name, parameter in inspect.signature(method).parameters.items():
        if name == "self" or parameter.default is not inspect.Parameter.empty:
            continue
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
            continue
        args[name] = {"path": "koko-export.csv", "name": "a-consumer"}.get(name, 1)
    return args


def _instance_methods() -> List[str]:
    names = []
    for name, member in vars(koko.BookStore).items():
        if name.startswith("_") or name in ("close", "closed"):
            continue
        if isinstance(member, staticmethod) or not callable(getattr(koko.BookStore, name)):
            continue
        if name in ("open", "connect", "memory", "restore"):  # constructors: they make a store
            continue
        names.append(name)
    return sorted(names)


@pytest.mark.parametrize("backend", ["memory", "sled"])
def test_every_method_of_a_closed_store_raises_store_closed(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = koko.BookStore.memory() if backend == "memory" else koko.BookStore.open(tmp_path / "store")
    store.close()
    monkeypatch.chdir(tmp_path)
    methods = _instance_methods()
    assert {"books", "rent", "pay", "iter_books", "apply_batch", "notices", "events", "set_checkpoint"} <= set(methods)
    for name in methods:
        method = getattr(store, name)
        args = _arguments(method)
        if name == "apply_batch":
            args = {"batch": koko.Batch()}
        with pytest.raises(koko.StoreClosed):
            method(**args)
    assert not (tmp_path / "koko-export.csv").exists()


def test_a_closed_store_still_answers_closed_and_repr() -> None:
    store = koko.BookStore.memory()
    assert not store.closed and repr(store) == "BookStore(...)"
    store.close()
    assert store.closed and repr(store) == "BookStore(closed)"


def test_exit_closes_even_when_the_block_raises_and_does_not_swallow(tmp_path: Path) -> None:
    path = tmp_path / "store"
    with pytest.raises(koko.NotFound):
        with koko.BookStore.open(path) as store:
            store.rent(customer_id=7, book_id=1, at=utc(2024, 6, 1))
    assert store.closed
    with koko.BookStore.open(path) as again:
        assert again.rentals() == []
