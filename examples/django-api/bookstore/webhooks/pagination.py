"""Pages of the webhooks' Django tables (webhooks, deliveries) in the API's shape — ``{"next", "previous",
"results"}``, ``cursor`` from a link as it is and ``limit`` 1 to 1000 — with DRF's cursor pagination over one
ordering column: a bad cursor or limit is a 400 naming it, as on koko's lists."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination

from ..limits import MAX_PAGE
from ..pagination import DEFAULT_LIMIT, PARAMETERS, bad_cursor, page_limit, paginated


class ModelPagination(CursorPagination):
    ordering = "id"
    page_size = DEFAULT_LIMIT
    max_page_size = MAX_PAGE

    def paginate_queryset(self, queryset, request, view=None):
        if not paginated():
            return None
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:  # DRF's answer to a cursor it did not write
            raise bad_cursor() from None

    def get_page_size(self, request):
        return page_limit(request)

    def get_schema_operation_parameters(self, view):
        return PARAMETERS


class NewestFirst(ModelPagination):
    ordering = "-id"
