"""Reports (staff): overdue rentals, revenue, outstanding charges and the active-rentals CSV."""

from __future__ import annotations

import koko
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_view
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from .. import permissions as can
from ..filters import OverdueAt, Period
from ..records import Keyset, Records
from ..serializers import (
    AtQuery,
    OutstandingOutput,
    RentalOutput,
    RevenueLineOutput,
    rental_rows,
)
from ..store import get_store
from . import examples as ex
from .base import KokoView, doc, example

CSV_CHUNK_SIZE = 64 * 1024


@extend_schema_view(
    get=doc("The open rentals past their due date at `at` (default: now), in id order", RentalOutput(many=True),
            examples=[example("one overdue", ex.RENTAL)], tags=["reports"])
)
class OverdueRentals(KokoView):
    permission_classes = can.STAFF
    serializer_class = RentalOutput
    filter_backends = [OverdueAt]
    at_field = "at"

    def records(self, store):
        return Keyset(store.rentals)

    def rows(self, rentals):
        return rental_rows(get_store(), rentals)

    def get(self, request):
        return self.list(request)


@extend_schema_view(
    get=doc("Revenue of the rentals returned in [start, end), by currency and category", RevenueLineOutput(many=True),
            examples=[example("June", ex.REVENUE)], tags=["reports"])
)
class Revenue(KokoView):
    permission_classes = can.STAFF
    serializer_class = RevenueLineOutput
    filter_backends = [Period]
    api_fields = {"from": "start", "to": "end"}

    def records(self, store):
        return Records(store.revenue)

    def get(self, request):
        return self.list(request)


@extend_schema_view(
    get=doc("What every open rental would be charged if all came back at `at` (default: now), by currency",
            OutstandingOutput, query=AtQuery, examples=[example("three open", ex.OUTSTANDING)], tags=["reports"])
)
class OutstandingCharges(KokoView):
    permission_classes = can.STAFF
    query_class = AtQuery
    at_field = "at"

    def get(self, request):
        query = self.valid_query(request)
        return Response(OutstandingOutput(get_store().outstanding_charges(query.get("at"))).data)


class CsvRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; the CSV itself is streamed, not rendered (an error stays JSON)."""

    media_type = "text/csv"
    format = "csv"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data, renderer_context=renderer_context)


@extend_schema_view(
    get=doc(
        "The open rentals as CSV, streamed as koko writes them (rental_id, copy_id, book_id, customer_id, category, "
        "rented_at, due_at, plan_version)",
        {(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, "The CSV, header row first.",
                                            examples=[example("two lines", ex.CSV)])},
        tags=["reports"],
    )
)
class ActiveRentalsCsv(KokoView):
    permission_classes = can.STAFF
    renderer_classes = [JSONRenderer, CsvRenderer]

    def get(self, request):
        chunks = get_store().export_active_rentals_csv_chunks(chunk_size=CSV_CHUNK_SIZE)
        try:
            first = next(chunks)  # a store that fails at once is a 503 answer, not a broken stream
        except StopIteration:
            first = b""
        except koko.KokoError:
            chunks.close()
            raise
        response = StreamingHttpResponse(_prepend(first, chunks), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="active-rentals.csv"'
        return response


def _prepend(first: bytes, chunks: "koko.CsvChunks"):
    """The stream: the chunk already read, then the rest; closing the response (Django does, even when the client
    goes away) stops koko's export."""
    try:
        yield first
        yield from chunks
    finally:
        chunks.close()
