"""Koko's exceptions: one class per core error variant, all under :class:`KokoError`.

``InvalidInput`` and ``InvalidPlan`` are also ``ValueError``s and ``NotFound`` is also a ``LookupError``, so code
that catches the built-ins keeps working.
"""

from __future__ import annotations

from typing import Optional


class KokoError(Exception):
    """Base of every error Koko raises.

    ``kind`` is the core variant's name (``"NotFound"``, ``"InvalidInput"``, ...); ``field`` and ``reason`` are set
    where the error names a field (``InvalidInput``, ``InvalidPlan``, ``Duplicate``) or a rule (``Blocked``: ``field``
    is the rule).
    """

    kind = "KokoError"

    def __init__(self, message: str, *, field: Optional[str] = None, reason: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason


class NotFound(KokoError, LookupError):
    """No book, copy, customer, rental, hold or price plan has that id."""

    kind = "NotFound"


class Unavailable(KokoError):
    """The book has no available copy, or the copy is rented out, withdrawn, lost or set aside for another
    customer's hold."""

    kind = "Unavailable"


class AlreadyReturned(KokoError):
    """The rental was already closed; nothing changed."""

    kind = "AlreadyReturned"


class InactiveCustomer(KokoError):
    """The customer is deactivated and cannot rent or place a hold."""

    kind = "InactiveCustomer"


class Blocked(KokoError):
    """A rule refused a rent, a renewal or a hold and nothing changed: a plan limit, a staff block, or a waiting hold.

    ``rule`` (also ``field``) names it: ``"limits.max_open_rentals"``, ``"limits.max_balance"``,
    ``"limits.max_overdue_rentals"``, ``"limits.max_holds"``, ``"renewals.max"``, ``"holds.waiting"`` (a renewal
    refused because another customer waits for the book) or ``"manual"``; ``reason`` says why.
    """

    kind = "Blocked"

    @property
    def rule(self) -> Optional[str]:
        """The rule that refused the request (the same as ``field``)."""
        return self.field


class Duplicate(KokoError):
    """A unique value (a title, an ISBN, a plan's start, a customer's active hold on a book: ``field == "book"``) is
    taken, or an idempotency key was used for another request (``field == "idempotency_key"``); ``field`` names
    it."""

    kind = "Duplicate"


class InvalidInput(KokoError, ValueError):
    """An argument was rejected before anything changed; ``field`` names it and ``reason`` says why."""

    kind = "InvalidInput"


class InvalidPlan(KokoError, ValueError):
    """A price plan failed validation; ``field`` is the path of the offending field."""

    kind = "InvalidPlan"


class StorageError(KokoError):
    """The storage backend failed (I/O, a locked or full disk)."""

    kind = "Storage"


class StoreClosed(StorageError):
    """The ``BookStore`` was closed (``close()`` or the end of its ``with`` block): open it again to go on. A
    ``StorageError``, so code that catches those keeps working."""

    kind = "StoreClosed"


class Corruption(KokoError):
    """Stored data could not be decoded or breaks an invariant."""

    kind = "Corruption"


__all__ = [
    "KokoError",
    "NotFound",
    "Unavailable",
    "AlreadyReturned",
    "InactiveCustomer",
    "Blocked",
    "Duplicate",
    "InvalidInput",
    "InvalidPlan",
    "StorageError",
    "StoreClosed",
    "Corruption",
]
