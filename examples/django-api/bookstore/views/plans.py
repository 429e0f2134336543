"""Price plans (the current one, its versions, publishing) and quotes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from .. import permissions as can
from ..records import Records
from ..serializers import (
    CATEGORY_BY_TYPE,
    PlanDocument,
    PlanVersionOutput,
    PublishPlanInput,
    QuoteOutput,
    QuoteQuery,
)
from ..store import get_store
from . import examples as ex
from .base import KokoView, collection, doc, example, idempotency_key


@extend_schema_view(
    get=doc(
        "The price plan in force now, as its JSON document (anyone): what a page needs to price like the store, "
        "e.g. with koko-wasm's PricePlan.fromJson",
        PlanDocument,
        examples=[example("a plan", ex.PLAN)],
        tags=["plans"],
    )
)
class CurrentPlan(KokoView):
    permission_classes = can.ANYONE_READS

    def get(self, request):
        return Response(PlanDocument(get_store().current_plan()).data)


@extend_schema_view(**collection(
    "plans",
    "Every version of the price plan, oldest first (staff)",
    "Publish a plan version that prices the rentals opened from effective_from on (staff)",
    PlanVersionOutput,
    PublishPlanInput,
    ex.PLAN_VERSION,
    {"effective_from": "2025-03-01T00:00:00Z", "plan": ex.PLAN},
))
class PlanVersions(KokoView):
    permission_classes = can.STAFF
    input_class = PublishPlanInput
    serializer_class = PlanVersionOutput
    at_field = "effective_from"
    api_fields = {"currency": "plan"}  # every version keeps the store's currency

    def records(self, store):
        return Records(store.plan_versions)

    def get(self, request):
        return self.list(request)

    def post(self, request):
        data = self.valid(request)
        version = get_store().publish_plan(
            data["plan"], data["effective_from"], idempotency_key=idempotency_key(request)
        )
        return Response(PlanVersionOutput(version).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=doc(
        "Price a book (or a book_type) for `days` days under the current plan, or from `rented_at` to `returned_at` "
        "under the plan in force at `rented_at` (anyone)",
        QuoteOutput,
        query=QuoteQuery,
        examples=[example("a novel for 2 days", ex.QUOTE)],
        tags=["quotes"],
    )
)
class Quotes(KokoView):
    permission_classes = can.ANYONE_READS
    finds_records = True  # an unknown book: 404
    query_class = QuoteQuery
    api_fields = {"category": "book_type", "rented_at": "rented_at", "returned_at": "returned_at", "days": "days"}

    def get(self, request):
        query = self.valid_query(request)
        store = get_store()
        category = store.book(query["book"]).category if "book" in query else CATEGORY_BY_TYPE[query["book_type"]]
        if "days" in query:
            quote = store.current_plan().quote_days(category, query["days"])
        else:
            quote = store.quote(category, query["rented_at"], query["returned_at"])
        return Response(QuoteOutput(quote).data)
