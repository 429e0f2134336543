"""koko's exceptions turned into HTTP answers (DRF's EXCEPTION_HANDLER).

NotFound → 404, Unavailable → 400 "Book is unavailable", AlreadyReturned → 409, InactiveCustomer → 403,
Blocked → 403 naming the rule (``{"detail": ..., "rule": "limits.max_open_rentals"}``, ``"holds.waiting"``, ...),
Duplicate on the idempotency key → 409 naming the ``Idempotency-Key`` header (the key was used for another request),
other Duplicates and InvalidInput → 400 naming the API's field, StorageError → 503. koko guarantees that a call that
raised changed nothing. Django's database not answering (OperationalError, InterfaceError: e.g. the token lookup
while PostgreSQL restarts) → 503 too. The view's attributes (``bookstore.views.base.KokoView``: ``at_field``,
``api_fields``, ``blocked_detail``, ``duplicate_messages``) name its fields and word its messages.
"""

from __future__ import annotations

import logging

import koko
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)

# koko's argument names → this API's field names.
API_FIELDS = {
    "category": "book_type",
    "active": "is_active",
    "book_id": "book",
    "customer_id": "customer",
    "rented_at": "date_rented",
    "returned_at": "date_returned",
    "idempotency_key": "Idempotency-Key",  # the request header (see views.idempotency_key)
}


class BookUnavailable(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Book is unavailable"
    default_code = "unavailable"


class AlreadyClosed(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "Rental is already closed"
    default_code = "already_closed"


class CustomerInactive(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = "Customer is inactive and cannot rent"
    default_code = "inactive_customer"


class CustomerBlocked(exceptions.APIException):
    """A manual block, a plan limit or a waiting hold refused the request; the body names the rule (``"manual"``,
    ``"limits.max_open_rentals"``, ``"limits.max_balance"``, ``"limits.max_overdue_rentals"``,
    ``"limits.max_holds"``, ``"renewals.max"``, ``"holds.waiting"``). ``detail`` starts with what was refused (a
    view's ``blocked_detail``, "Customer cannot rent" by default)."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "blocked"

    def __init__(self, rule: str, reason: str, refused: str = "Customer cannot rent") -> None:
        super().__init__({"detail": f"{refused}: {reason}", "rule": rule})


class IdempotencyKeyReused(exceptions.APIException):
    """The ``Idempotency-Key`` was already used for a different request (another endpoint or another body)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "idempotency_key_reused"

    def __init__(self) -> None:
        super().__init__(
            {API_FIELDS["idempotency_key"]: ["This key was already used for a different request."]}
        )


class StorageUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The book store's storage is unavailable"
    default_code = "storage_unavailable"


def api_field(koko_field, view) -> str:
    if koko_field == "at":  # the time argument of a write: the view names it
        return view.at_field
    if not koko_field:
        return "non_field_errors"
    # a view's own names win (e.g. a fee's rental_id)
    return view.api_fields.get(koko_field) or API_FIELDS.get(koko_field, koko_field)


def translate(exc: koko.KokoError, view):
    """The DRF exception answering a koko error, or None for errors that should stay a 500."""
    if isinstance(exc, koko.NotFound):
        return exceptions.NotFound(str(exc))
    if isinstance(exc, koko.Unavailable):
        return BookUnavailable()
    if isinstance(exc, koko.AlreadyReturned):
        return AlreadyClosed()
    if isinstance(exc, koko.InactiveCustomer):
        return CustomerInactive()
    if isinstance(exc, koko.Blocked):
        rule = getattr(exc, "rule", None) or exc.field or "unknown"
        return CustomerBlocked(rule, exc.reason or str(exc), view.blocked_detail)
    if isinstance(exc, koko.Duplicate) and exc.field == "idempotency_key":
        return IdempotencyKeyReused()
    if isinstance(exc, koko.Duplicate):
        field = api_field(exc.field, view)
        noun = "book" if field == "title" else "record"
        message = view.duplicate_messages.get(exc.field, f"A {noun} with this {field} already exists.")
        return exceptions.ValidationError({field: [message]})
    if isinstance(exc, (koko.InvalidInput, koko.InvalidPlan)):
        return exceptions.ValidationError({api_field(exc.field, view): [exc.reason or str(exc)]})
    if isinstance(exc, koko.StorageError):
        return StorageUnavailable()
    return None


class DatabaseUnavailable(exceptions.APIException):
    """Django's own database (tokens, users) does not answer, e.g. a PostgreSQL primary restarting: a 503 the client
    may retry, like koko's StorageError, not a 500."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The API's database is unavailable"
    default_code = "database_unavailable"


def koko_exception_handler(exc, context):
    if isinstance(exc, (OperationalError, InterfaceError)):
        logger.error("Django's database does not answer: %s", exc)
        exc = DatabaseUnavailable()
    if isinstance(exc, koko.KokoError):
        translated = translate(exc, context["view"])  # koko is only called by koko's views (KokoView)
        if translated is None:
            return None  # Corruption and the like: a real 500
        exc = translated
    return exception_handler(exc, context)
