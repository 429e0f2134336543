"""Shared fixtures. These tests run against the installed ``koko`` wheel, not a source tree."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pytest

import koko

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "core" / "tests" / "vectors"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def store() -> koko.BookStore:
    return koko.BookStore.memory()


def store_on(backend: str, tmp_path: Path) -> Iterator[koko.BookStore]:
    """A fresh store on ``backend`` (``memory`` or ``sled``), closed afterwards: the body of a fixture
    parametrized over both backends."""
    if backend == "memory":
        yield koko.BookStore.memory()
        return
    with koko.BookStore.open(tmp_path / "store") as opened:
        yield opened


def dump(store: koko.BookStore) -> tuple:
    """Everything a store holds, for "nothing changed" checks."""
    books = store.books()
    copies = [c for b in books for c in store.copies(b.id)]
    return (books, copies, store.customers(), store.rentals(), store.plan_versions())
