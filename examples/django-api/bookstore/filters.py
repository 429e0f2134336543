"""The list views' query filters and search, as DRF filter backends: each turns query parameters into arguments of
the view's koko call (``Records.where``); koko does the filtering and searching (keyset reads).

A ``QueryFilter`` validates its parameters with its ``query_class`` serializer (a bad value is a 400 naming the
parameter), and drf-spectacular documents that serializer's fields as the operation's query parameters
(``bookstore.schema.QueryFilterExtension``).
"""

from __future__ import annotations

import datetime as dt

from rest_framework.filters import BaseFilterBackend

from .auth import Role, caller
from .serializers import (
    AgedBalancesQuery,
    AtQuery,
    BookSearchQuery,
    CustomerSearchQuery,
    PeriodQuery,
    RentalFilterQuery,
)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class QueryFilter(BaseFilterBackend):
    """Query parameters, validated by ``query_class``, as koko's arguments (``arguments``: by default the
    parameters themselves, named as koko names them)."""

    query_class = None

    def filter_queryset(self, request, records, view):
        query = self.query_class(data=request.query_params)
        query.is_valid(raise_exception=True)
        return records.where(**self.arguments(query.validated_data))

    def arguments(self, query: dict) -> dict:
        return dict(query)


class BookSearch(QueryFilter):
    """Words of title, author or ISBN, a category, and whether a copy is on the shelf (koko's ``search_books``)."""

    query_class = BookSearchQuery

    def arguments(self, query):
        return {**query, "search": query.get("search") or None}


class CustomerSearch(QueryFilter):
    """Words of first name, last name or email (koko's ``search_customers``)."""

    query_class = CustomerSearchQuery

    def arguments(self, query):
        return {"search": query.get("search") or None}


class RentalFilters(QueryFilter):
    """By status, customer, and open past their due date now (koko's ``rentals``)."""

    query_class = RentalFilterQuery

    def arguments(self, query):
        overdue_at = now() if query.get("overdue") else None
        return {"status": query.get("status"), "customer_id": query.get("customer"), "overdue_at": overdue_at}


class CallersOwn(BaseFilterBackend):
    """A customer's list is their own records (``permissions.IsOwner`` refused another customer's id already)."""

    def filter_queryset(self, request, records, view):
        who = caller(request)
        return records.where(customer_id=who.customer_id) if who.role is Role.CUSTOMER else records


class OverdueAt(QueryFilter):
    """The open rentals past their due date at ``at`` (default: now)."""

    query_class = AtQuery

    def arguments(self, query):
        return {"overdue_at": query.get("at") or now()}


class AsOf(QueryFilter):
    """The instant ``as_of`` an aging report is taken (default: koko's now)."""

    query_class = AgedBalancesQuery


class Period(QueryFilter):
    """The period ``[start, end)`` of a report."""

    query_class = PeriodQuery
