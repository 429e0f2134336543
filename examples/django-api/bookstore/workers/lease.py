"""Named leases in Django's database: one holder at a time, on SQLite and PostgreSQL alike.

``take`` is one conditional UPDATE — the row is ours if it is free (expired) — which both databases run atomically:
of several workers racing for it, exactly one sees "1 row updated". A holder renews its lease while it works
(``renew``: an UPDATE that only matches while the holder is still ours) and releases it when done; a worker that dies
holding one loses it when it expires (``KOKO_API_WORKER_LEASE_SECONDS``). No lock is held in Redis or in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from contextlib import contextmanager
from typing import Iterator, Optional

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from ..models import WorkerLease

logger = logging.getLogger("bookstore.workers")

FREE = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)


def seconds() -> float:
    return float(getattr(settings, "KOKO_API_WORKER_LEASE_SECONDS", 300))


def take(name: str, ttl: Optional[float] = None) -> Optional[str]:
    """The lease ``name`` for ``ttl`` seconds: its holder token, or None when another holder has it (or the database
    is busy: the caller tries again at its next turn)."""
    token = secrets.token_hex(16)
    now = timezone.now()
    try:
        if not WorkerLease.objects.filter(name=name).exists():
            try:
                with transaction.atomic():
                    WorkerLease.objects.create(name=name, holder="", expires_at=FREE)
            except IntegrityError:
                pass  # another worker created it meanwhile
        taken = WorkerLease.objects.filter(name=name, expires_at__lte=now).update(
            holder=token, expires_at=now + dt.timedelta(seconds=ttl or seconds())
        )
    except DatabaseError as exc:  # e.g. SQLite's "database is locked" under concurrent writers
        logger.info("lease %s not taken: %s", name, exc)
        return None
    return token if taken == 1 else None


def renew(name: str, token: str, ttl: Optional[float] = None) -> bool:
    """Extends the lease while ``token`` still holds it; False when it was lost (expired and taken by another)."""
    try:
        return WorkerLease.objects.filter(name=name, holder=token).update(
            expires_at=timezone.now() + dt.timedelta(seconds=ttl or seconds())
        ) == 1
    except DatabaseError as exc:
        logger.warning("lease %s not renewed: %s", name, exc)
        return False


def release(name: str, token: str) -> None:
    """Frees the lease if ``token`` still holds it."""
    try:
        WorkerLease.objects.filter(name=name, holder=token).update(holder="", expires_at=FREE)
    except DatabaseError as exc:  # it expires by itself
        logger.warning("lease %s not released: %s", name, exc)


@contextmanager
def held(name: str, ttl: Optional[float] = None) -> Iterator[Optional[str]]:
    """``with held("notices") as token:`` — the token (None when another worker holds it), released on exit."""
    token = take(name, ttl)
    try:
        yield token
    finally:
        if token is not None:
            release(name, token)
