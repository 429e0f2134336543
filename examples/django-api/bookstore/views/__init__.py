"""The endpoints, one module per subject; ``base`` holds what they share."""

from .accounts import (
    AgedBalances,
    CustomerAccount,
    CustomerBlock,
    CustomerFees,
    CustomerPayments,
    CustomerRefunds,
    CustomerStatement,
    CustomerWaivers,
)
from .backup import StoreBackup
from .base import IDEMPOTENCY_HEADER, idempotency_key
from .catalogue import BookCopies, BookViewSet, CopyReinstate, CopyWithdraw, CustomerLoginView, CustomerViewSet
from .circulation import (
    BookHolds,
    CopyFound,
    CustomerHolds,
    CustomerNotices,
    HoldCancel,
    HoldDetail,
    HoldList,
    HoldsExpire,
    NoticesSend,
)
from .events import EventList
from .exports import ExportDetail, ExportFile, ExportList
from .health import Health
from .plans import CurrentPlan, PlanVersions, Quotes
from .rentals import CustomerRentals, RentalClose, RentalLost, RentalQuote, RentalRenew, RentalViewSet
from .reports import ActiveRentalsCsv, OutstandingCharges, OverdueRentals, Revenue
from .tokens import OwnToken, RotateToken
from .webhooks import (
    WebhookDeliveries,
    WebhookDetail,
    WebhookList,
    WebhookPause,
    WebhookResume,
    WebhookRetry,
    WebhookRotateSecret,
    WebhookSecret,
)

__all__ = [name for name in dir() if not name.startswith("_") and name[0].isupper()] + ["idempotency_key"]
