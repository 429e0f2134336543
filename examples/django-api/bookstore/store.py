"""The process's one ``koko.BookStore``, created lazily from settings.

``get_store()`` opens it on first use (``KOKO_STORE``: a sled directory, ``memory``, or a PostgreSQL connection
string ``postgresql://…``) with the price plan named
by ``KOKO_PLAN``. ``use_store()`` swaps in another store (tests give each test a fresh ``BookStore.memory()``) and
``close_store()`` closes it, which releases sled's lock on its directory at once.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Optional

import koko
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PRESETS = ("story1", "story2", "story3")

_lock = threading.Lock()
_store: Optional[koko.BookStore] = None


def load_plan(spec: str) -> koko.PricePlan:
    """A preset name (``story1``/``story2``/``story3``) or the path of a ``.json``/``.toml`` plan file."""
    spec = (spec or "").strip()
    if spec.lower() in PRESETS:
        return koko.PricePlan.preset(spec.lower())
    path = Path(spec).expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise ImproperlyConfigured(
            f"KOKO_PLAN={spec!r}: expected one of {', '.join(PRESETS)} or a path to a .json or .toml plan file"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImproperlyConfigured(f"KOKO_PLAN={spec!r}: cannot read the plan file: {exc}") from exc
    try:
        return koko.PricePlan.from_json(text) if suffix == ".json" else koko.PricePlan.from_toml(text)
    except koko.InvalidPlan as exc:
        raise ImproperlyConfigured(f"KOKO_PLAN={spec!r}: {exc}") from exc


POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_store(location: str, plan: koko.PricePlan) -> koko.BookStore:
    """``memory`` for an in-memory store; ``postgresql://…`` for PostgreSQL (any number of worker processes);
    anything else is a sled directory (created if missing; one process at a time)."""
    if location.strip().lower() == "memory":
        return koko.BookStore.memory(plan=plan)
    if location.strip().lower().startswith(POSTGRES_SCHEMES):
        return koko.BookStore.connect(
            location.strip(),
            plan=plan,
            replica=getattr(settings, "KOKO_STORE_REPLICA", None),
            max_replica_lag_ms=getattr(settings, "KOKO_STORE_MAX_REPLICA_LAG_MS", 2000),
        )
    return koko.BookStore.open(location, plan=plan)


def get_store() -> koko.BookStore:
    global _store
    store = _store
    if store is not None:
        return store
    with _lock:
        if _store is None:
            _store = open_store(settings.KOKO_STORE, load_plan(settings.KOKO_PLAN))
        return _store


def use_store(store: Optional[koko.BookStore]) -> Optional[koko.BookStore]:
    """Make ``store`` the process's store (``None``: open from settings on next use); returns the previous one."""
    global _store
    with _lock:
        previous, _store = _store, store
    return previous


def close_store() -> None:
    """Close the store and forget it: a sled store releases its directory lock at once (``BookStore.close()``
    waits for the calls in progress); the next ``get_store()`` opens it again from settings."""
    previous = use_store(None)
    if previous is not None:
        previous.close()
