"""Renting, returning, renewing, losing, and what a rental costs if returned at an instant."""

from __future__ import annotations

from typing import Optional

from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import permissions as can
from ..filters import CallersOwn, RentalFilters
from ..records import Keyset
from ..serializers import (
    AtInput,
    AtQuery,
    CloseInput,
    CustomerCloseInput,
    QuoteOutput,
    ReceiptOutput,
    RenewalOutput,
    RentalFilterQuery,
    RentalOutput,
    RentalRow,
    RentInput,
    rental_rows,
)
from ..store import get_store
from . import examples as ex
from .base import CustomerScoped, KokoViewSet, RentalScoped, doc, example, idempotency_key


@extend_schema_view(
    list=doc("The rentals, by status, customer and overdue now (staff; a customer: their own)",
             RentalOutput(many=True), examples=[example("rentals", ex.RENTAL)], tags=["rentals"],
             description=("A customer sees only their own rentals: without ``customer`` the list is theirs, and "
                          "another customer's\nid answers 404 (``permissions.IsOwner``), as does an unknown one.")),
    retrieve=doc("A rental (staff, or its customer)", RentalOutput, examples=[example("a rental", ex.RENTAL)],
                 tags=["rentals"]),
)
class RentalViewSet(KokoViewSet):
    """``/rentals/`` and ``/rentals/<id>/`` (staff, or a customer: their own)."""

    permission_classes = can.OWNER_OR_STAFF
    serializer_class = RentalOutput
    filter_backends = [RentalFilters, CallersOwn]
    finds_records = True  # an unknown customer: 404

    def owner_id(self, request) -> Optional[int]:
        if self.detail:
            return get_store().rental(self.kwargs["pk"]).customer_id
        if "customer" not in request.query_params:
            return None
        try:  # read as the filter reads it (RentalFilterQuery): "²" or "abc" is the filter's 400 on customer
            return RentalFilterQuery().fields["customer"].run_validation(request.query_params["customer"])
        except ValidationError:
            return None

    def records(self, store):
        return Keyset(store.rentals)

    def rows(self, rentals):
        return rental_rows(get_store(), rentals)

    def retrieve(self, request, pk: int):
        store = get_store()
        rental = store.rental(pk)
        return Response(self.get_serializer(RentalRow.of(rental, store.book(rental.book_id).title)).data)


@extend_schema_view(
    get=doc("A customer's rentals (staff, or the customer)", RentalOutput(many=True),
            examples=[example("rentals", ex.RENTAL)], tags=["rentals"]),
    post=doc(
        "Rent a book (customers: at the server's time, without date_rented)",
        {201: RentalOutput},
        request=RentInput,
        write=True,
        examples=[
            example("now", {"book": 1}, request=True),
            example("backdated (staff)", {"book": 1, "date_rented": "2024-06-03T10:00:00Z"}, request=True),
            example("rented", ex.RENTAL, status=201),
        ],
        tags=["rentals"],
    ),
)
class CustomerRentals(CustomerScoped):
    permission_classes = can.OWNER_AT_SERVER_TIME
    input_class = RentInput
    serializer_class = RentalOutput
    at_field = "date_rented"
    time_fields = ("date_rented",)

    def records(self, store):
        return Keyset(store.rentals, {"customer_id": self.kwargs["pk"]})

    def rows(self, rentals):
        return rental_rows(get_store(), rentals)

    def get(self, request, pk: int):
        get_store().customer(pk)  # an unknown customer is a 404, not an empty list
        return self.list(request)

    def post(self, request, pk: int):
        data = self.valid(request)
        store = get_store()
        # Without date_rented, koko's clock (whole microseconds: the stored start is exactly the date_rented the
        # client reads back). koko knows the time was its own, so a retry under the same Idempotency-Key a moment
        # later is the same request.
        rental = store.rent(
            customer_id=pk, book_id=data["book"], at=data.get("date_rented"), idempotency_key=idempotency_key(request)
        )
        row = RentalRow.of(rental, store.book(rental.book_id).title)
        return Response(RentalOutput(row).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    put=doc(
        "Return a rental: staff give date_returned (and maybe a damage fee); its customer returns it now, with {}",
        ReceiptOutput,
        request=CloseInput,
        write=True,
        examples=[
            example("returned", {"date_returned": "2024-06-06T09:00:00Z"}, request=True),
            example("damaged", {"date_returned": "2024-06-06T09:00:00Z", "damage_fee": "5.00", "note": "torn"},
                    request=True),
            example("closed", ex.CLOSED),
        ],
        tags=["rentals"],
    )
)
class RentalClose(RentalScoped):
    """PUT: returns the rental ``pk`` at ``date_returned``; with ``damage_fee`` and ``note`` (both or neither) a
    damage fee is posted with the return, and ``balance`` includes it. A customer returns at the server's time."""

    permission_classes = can.OWNER_AT_SERVER_TIME
    input_class = CloseInput
    customer_input_class = CustomerCloseInput
    at_field = "date_returned"
    time_fields = ("date_returned",)

    def put(self, request, pk: int):
        data = self.valid(request)
        receipt = get_store().return_rental(
            rental_id=pk,
            at=data.get("date_returned"),
            damage_fee=data.get("damage_fee"),
            note=data.get("note"),
            idempotency_key=idempotency_key(request),
        )
        return Response(ReceiptOutput(RentalRow.of_receipt(receipt)).data)


@extend_schema_view(
    post=doc(
        "Renew a rental: its due date moves by the loan period, as the plan allows (customers: now, without at)",
        RenewalOutput,
        request=AtInput,
        write=True,
        examples=[example("now", {}, request=True), example("renewed", ex.RENEWED)],
        tags=["rentals"],
    )
)
class RentalRenew(RentalScoped):
    """POST: renews the open rental ``pk`` at ``at`` (now by default); 403 naming the rule when refused
    (``renewals.max``, ``holds.waiting``, ``manual``, ``limits.max_balance``)."""

    permission_classes = can.OWNER_AT_SERVER_TIME
    input_class = AtInput
    at_field = "at"
    time_fields = ("at",)
    blocked_detail = "Rental cannot be renewed"

    def post(self, request, pk: int):
        data = self.valid(request)
        store = get_store()
        rental = store.renew(rental_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(RenewalOutput(RentalRow.of(rental, store.book(rental.book_id).title)).data)


@extend_schema_view(
    post=doc(
        "Declare a rental's copy lost (staff): it closes, charged what accrued, and the replacement fees are posted",
        ReceiptOutput,
        request=AtInput,
        write=True,
        examples=[example("lost", {**ex.CLOSED, "rental_status": "Lost", "balance": "34.50"})],
        tags=["rentals"],
    )
)
class RentalLost(RentalScoped):
    permission_classes = can.STAFF
    input_class = AtInput
    at_field = "at"

    def post(self, request, pk: int):
        data = self.valid(request)
        receipt = get_store().declare_lost(rental_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(ReceiptOutput(RentalRow.of_receipt(receipt)).data)


@extend_schema_view(
    get=doc(
        "What returning the rental at `at` (default: now) would cost, late fees included; for a closed rental, what "
        "it was charged (staff, or its customer)",
        QuoteOutput,
        query=AtQuery,
        examples=[example("the quote", ex.QUOTE)],
        tags=["quotes"],
    )
)
class RentalQuote(RentalScoped):
    permission_classes = can.OWNER_OR_STAFF
    may_conflict = True  # a quote at an instant koko cannot price (before the rental began): 409
    query_class = AtQuery
    at_field = "at"

    def get(self, request, pk: int):
        query = self.valid_query(request)
        store = get_store()
        charged = store.rental(pk).charge  # koko's stored charge once closed: the receipt, never re-priced
        if charged is not None:
            return Response(QuoteOutput(charged).data)
        return Response(QuoteOutput(store.quote_return(pk, query.get("at"))).data)
