"""Koko: the rental and charging engine of a book store.

Exact ``decimal.Decimal`` money, versioned price plans, and storage that never double-rents a copy::

    >>> import koko
    >>> koko.PricePlan.story3().quote_days("novel", 2).total
    Decimal('4.50')
"""

from ._errors import (
    AlreadyReturned,
    Blocked,
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
    Account,
    AgedBalance,
    Batch,
    Block,
    Book,
    BookStore,
    Copy,
    Customer,
    Found,
    Hold,
    LedgerEntry,
    Notice,
    PlanVersion,
    PricePlan,
    Quote,
    QuoteLine,
    Receipt,
    Rental,
    RevenueLine,
    Statement,
    __version__,
)

__all__ = [
    "Account",
    "AgedBalance",
    "AlreadyReturned",
    "Batch",
    "Block",
    "Blocked",
    "Book",
    "BookStore",
    "Copy",
    "Corruption",
    "Customer",
    "Duplicate",
    "Found",
    "Hold",
    "InactiveCustomer",
    "InvalidInput",
    "InvalidPlan",
    "KokoError",
    "LedgerEntry",
    "NotFound",
    "Notice",
    "PlanVersion",
    "PricePlan",
    "Quote",
    "QuoteLine",
    "Receipt",
    "Rental",
    "RevenueLine",
    "Statement",
    "StorageError",
    "Unavailable",
    "__version__",
]
