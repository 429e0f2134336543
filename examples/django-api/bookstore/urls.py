from django.urls import path, register_converter
from rest_framework.routers import SimpleRouter

from . import views


class IdConverter:
    """A koko id: a positive integer that fits in 64 bits (anything else is simply not found)."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

# The collections and their records: /books/ and /books/<id>/ ("book-list", "book-detail"), and so on.
router = SimpleRouter(use_regex_path=False)
router.register("books", views.BookViewSet, basename="book")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("rentals", views.RentalViewSet, basename="rental")

urlpatterns = router.urls + [
    path("books/<id:pk>/holds/", views.BookHolds.as_view(), name="book-holds"),
    path("books/<id:pk>/copies/", views.BookCopies.as_view(), name="book-copies"),
    path("copies/<id:pk>/withdraw/", views.CopyWithdraw.as_view(), name="copy-withdraw"),
    path("copies/<id:pk>/reinstate/", views.CopyReinstate.as_view(), name="copy-reinstate"),
    path("copies/<id:pk>/found/", views.CopyFound.as_view(), name="copy-found"),
    path("customers/<id:pk>/rentals/", views.CustomerRentals.as_view(), name="customer-rentals"),
    path("customers/<id:pk>/account/", views.CustomerAccount.as_view(), name="customer-account"),
    path("customers/<id:pk>/payments/", views.CustomerPayments.as_view(), name="customer-payments"),
    path("customers/<id:pk>/waivers/", views.CustomerWaivers.as_view(), name="customer-waivers"),
    path("customers/<id:pk>/refunds/", views.CustomerRefunds.as_view(), name="customer-refunds"),
    path("customers/<id:pk>/fees/", views.CustomerFees.as_view(), name="customer-fees"),
    path("customers/<id:pk>/statement/", views.CustomerStatement.as_view(), name="customer-statement"),
    path("customers/<id:pk>/block/", views.CustomerBlock.as_view(), name="customer-block"),
    path("customers/<id:pk>/holds/", views.CustomerHolds.as_view(), name="customer-holds"),
    path("customers/<id:pk>/notices/", views.CustomerNotices.as_view(), name="customer-notices"),
    path("customers/<id:pk>/login/", views.CustomerLoginView.as_view(), name="customer-login"),
    path("holds/", views.HoldList.as_view(), name="hold-list"),
    path("notices/send/", views.NoticesSend.as_view(), name="notices-send"),
    path("holds/expire/", views.HoldsExpire.as_view(), name="holds-expire"),
    path("holds/<id:pk>/", views.HoldDetail.as_view(), name="hold-detail"),
    path("holds/<id:pk>/cancel/", views.HoldCancel.as_view(), name="hold-cancel"),
    path("rentals/<id:pk>/close/", views.RentalClose.as_view(), name="rental-close"),
    path("rentals/<id:pk>/renew/", views.RentalRenew.as_view(), name="rental-renew"),
    path("rentals/<id:pk>/lost/", views.RentalLost.as_view(), name="rental-lost"),
    path("rentals/<id:pk>/quote/", views.RentalQuote.as_view(), name="rental-quote"),
    path("plan/", views.CurrentPlan.as_view(), name="plan"),
    path("plans/", views.PlanVersions.as_view(), name="plan-versions"),
    path("quotes/", views.Quotes.as_view(), name="quotes"),
    path("reports/aged-balances/", views.AgedBalances.as_view(), name="aged-balances"),
    path("reports/overdue/", views.OverdueRentals.as_view(), name="overdue"),
    path("reports/revenue/", views.Revenue.as_view(), name="revenue"),
    path("reports/outstanding/", views.OutstandingCharges.as_view(), name="outstanding"),
    path("reports/active-rentals.csv", views.ActiveRentalsCsv.as_view(), name="active-rentals-csv"),
    path("backup/", views.StoreBackup.as_view(), name="backup"),
    path("exports/", views.ExportList.as_view(), name="export-list"),
    path("exports/<id:pk>/", views.ExportDetail.as_view(), name="export-detail"),
    path("exports/<id:pk>/file", views.ExportFile.as_view(), name="export-file"),
    path("events/", views.EventList.as_view(), name="event-list"),
    path("webhooks/", views.WebhookList.as_view(), name="webhook-list"),
    path("webhooks/<id:pk>/", views.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<id:pk>/pause/", views.WebhookPause.as_view(), name="webhook-pause"),
    path("webhooks/<id:pk>/resume/", views.WebhookResume.as_view(), name="webhook-resume"),
    path("webhooks/<id:pk>/retry/", views.WebhookRetry.as_view(), name="webhook-retry"),
    path("webhooks/<id:pk>/rotate-secret/", views.WebhookRotateSecret.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<id:pk>/secret/", views.WebhookSecret.as_view(), name="webhook-secret"),
    path("webhooks/<id:pk>/deliveries/", views.WebhookDeliveries.as_view(), name="webhook-deliveries"),
    path("health/", views.Health.as_view(), name="health"),
    path("auth/token/", views.OwnToken.as_view(), name="own-token"),
    path("auth/token/rotate/", views.RotateToken.as_view(), name="rotate-token"),
]
