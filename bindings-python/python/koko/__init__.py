"""Koko: the rental and charging engine of a book store.

Exact ``decimal.Decimal`` money, versioned price plans, and storage that never double-rents a copy::

    >>> import koko
    >>> koko.PricePlan.story3().quote_days("novel", 2).total
    Decimal('4.50')
"""

from ._errors import (
    AlreadyReturned,
    Corruption,
    Duplicate,
    InactiveCustomer,
    InvalidInput,
    InvalidPlan,
    KokoError,
    NotFound,
    StorageError,
    Unavailable,
)
from ._koko import (
    Batch,
    Book,
    BookStore,
    Copy,
    Customer,
    PlanVersion,
    PricePlan,
    Quote,
    QuoteLine,
    Receipt,
    Rental,
    RevenueLine,
    __version__,
)

__all__ = [
    "AlreadyReturned",
    "Batch",
    "Book",
    "BookStore",
    "Copy",
    "Corruption",
    "Customer",
    "Duplicate",
    "InactiveCustomer",
    "InvalidInput",
    "InvalidPlan",
    "KokoError",
    "NotFound",
    "PlanVersion",
    "PricePlan",
    "Quote",
    "QuoteLine",
    "Receipt",
    "Rental",
    "RevenueLine",
    "StorageError",
    "Unavailable",
    "__version__",
]
