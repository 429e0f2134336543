"""The endpoints. Each one validates its input, makes ONE koko call that does the work, and shapes the answer.

Every write passes the request's ``Idempotency-Key`` header to koko (``idempotency_key(request)``): koko stores
the key with the write's effect, so a retry with the same key and body answers the first outcome and changes
nothing, and the same key with another request is a 409. koko's exceptions become HTTP answers in
``bookstore.errors``.
"""

from __future__ import annotations

from typing import Optional

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import (
    CATEGORY_BY_TYPE,
    AccountOutput,
    AgedBalanceOutput,
    AgedBalancesQuery,
    AtInput,
    BlockInput,
    BlockOutput,
    BookInput,
    CloseInput,
    CustomerInput,
    FeeInput,
    FoundOutput,
    HoldInput,
    HoldOutput,
    LedgerEntryOutput,
    NoticeOutput,
    PaymentInput,
    ReasonedAmountInput,
    RentInput,
    StatementOutput,
    StatementQuery,
    book_data,
    customer_data,
    receipt_data,
    renewal_data,
    rental_data,
)
from .store import get_store

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _valid(serializer_class, request, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _valid_query(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def idempotency_key(request) -> Optional[str]:
    """The request's ``Idempotency-Key`` header, for koko's ``idempotency_key=`` (None without one). Its length and
    characters are koko's to check: a bad key is a 400 naming the header."""
    return request.headers.get(IDEMPOTENCY_HEADER)


class BookList(APIView):
    def get(self, request):
        store = get_store()
        return Response([book_data(store, book) for book in store.books()])

    def post(self, request):
        data = _valid(BookInput, request)
        store = get_store()
        book = store.add_book(
            title=data["title"],
            author=data["author"],
            category=CATEGORY_BY_TYPE[data["book_type"]],
            copies=data.get("copies", 1),
            idempotency_key=idempotency_key(request),
        )
        return Response(book_data(store, book), status=status.HTTP_201_CREATED)


class BookDetail(APIView):
    def get(self, request, pk: int):
        store = get_store()
        return Response(book_data(store, store.book(pk)))

    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, partial: bool):
        data = _valid(BookInput, request, partial=partial)
        store = get_store()
        book = store.update_book(
            pk,
            title=data.get("title"),
            author=data.get("author"),
            category=CATEGORY_BY_TYPE[data["book_type"]] if "book_type" in data else None,
            idempotency_key=idempotency_key(request),
        )
        return Response(book_data(store, book))


class CustomerList(APIView):
    def get(self, request):
        return Response([customer_data(customer) for customer in get_store().customers()])

    def post(self, request):
        data = _valid(CustomerInput, request)
        store = get_store()
        customer = store.register_customer(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data.get("email"),
            idempotency_key=idempotency_key(request),
        )
        if data.get("is_active") is False:
            # A second call (register_customer has no active=); setting active=False again on a retry is
            # harmless, so it takes no key (one key is one request's one effect).
            customer = store.update_customer(customer.id, active=False)
        return Response(customer_data(customer), status=status.HTTP_201_CREATED)


class CustomerDetail(APIView):
    def get(self, request, pk: int):
        return Response(customer_data(get_store().customer(pk)))

    def put(self, request, pk: int):
        return self._update(request, pk, partial=False)

    def patch(self, request, pk: int):
        return self._update(request, pk, partial=True)

    def _update(self, request, pk: int, partial: bool):
        data = _valid(CustomerInput, request, partial=partial)
        customer = get_store().update_customer(
            pk,
            first_name=data.get("first_name"),
            last_name=data.get("last_name"),
            email=data.get("email"),
            active=data.get("is_active"),
            idempotency_key=idempotency_key(request),
        )
        return Response(customer_data(customer))


class CustomerRentals(APIView):
    at_field = "date_rented"

    def get(self, request, pk: int):
        store = get_store()
        rentals = store.customer_rentals(pk)
        titles = {book.id: book.title for book in store.books()} if rentals else {}
        return Response([rental_data(rental, titles.get(rental.book_id, "")) for rental in rentals])

    def post(self, request, pk: int):
        data = _valid(RentInput, request)
        store = get_store()
        # Without date_rented, koko's clock (whole microseconds: the stored start is exactly the date_rented the
        # client reads back). koko knows the time was its own, so a retry under the same Idempotency-Key a moment
        # later is the same request.
        rental = store.rent(
            customer_id=pk, book_id=data["book"], at=data.get("date_rented"), idempotency_key=idempotency_key(request)
        )
        return Response(rental_data(rental, store.book(rental.book_id).title), status=status.HTTP_201_CREATED)


class RentalDetail(APIView):
    def get(self, request, pk: int):
        store = get_store()
        rental = store.rental(pk)
        return Response(rental_data(rental, store.book(rental.book_id).title))


class RentalClose(APIView):
    """PUT: returns the rental ``pk`` at ``date_returned``; with ``damage_fee`` and ``note`` (both or neither) a
    damage fee is posted with the return, and ``balance`` includes it."""

    at_field = "date_returned"

    def put(self, request, pk: int):
        data = _valid(CloseInput, request)
        receipt = get_store().return_rental(
            rental_id=pk,
            at=data["date_returned"],
            damage_fee=data.get("damage_fee"),
            note=data.get("note"),
            idempotency_key=idempotency_key(request),
        )
        return Response(receipt_data(receipt))


class RentalRenew(APIView):
    """POST: renews the open rental ``pk`` at ``at`` (now by default) — its due date moves by the loan period, as
    the plan allows; 403 naming the rule when refused (``renewals.max``, ``holds.waiting``, ``manual``,
    ``limits.max_balance``)."""

    at_field = "at"
    blocked_detail = "Rental cannot be renewed"

    def post(self, request, pk: int):
        data = _valid(AtInput, request)
        store = get_store()
        rental = store.renew(rental_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(renewal_data(rental, store.book(rental.book_id).title))


# --- customer accounts -------------------------------------------------------------------------------------------


class CustomerAccount(APIView):
    def get(self, request, pk: int):
        return Response(AccountOutput(get_store().account(pk)).data)


class LedgerPosting(APIView):
    """POST one ledger entry for the customer ``pk``: 201 with the entry. Subclasses name the koko call."""

    at_field = "at"
    input_class = ReasonedAmountInput

    def post(self, request, pk: int):
        data = _valid(self.input_class, request)
        entry = self.post_entry(get_store(), pk, data, idempotency_key(request))
        return Response(LedgerEntryOutput(entry).data, status=status.HTTP_201_CREATED)

    def post_entry(self, store, customer_id: int, data: dict, key: Optional[str]):
        raise NotImplementedError


class CustomerPayments(LedgerPosting):
    input_class = PaymentInput

    def post_entry(self, store, customer_id, data, key):
        return store.pay(
            customer_id=customer_id,
            amount=data["amount"],
            at=data.get("at"),
            note=data.get("note"),
            currency=data.get("currency"),
            idempotency_key=key,
        )


class CustomerWaivers(LedgerPosting):
    def post_entry(self, store, customer_id, data, key):
        return store.waive(
            customer_id=customer_id,
            amount=data["amount"],
            reason=data["reason"],
            at=data.get("at"),
            idempotency_key=key,
        )


class CustomerRefunds(LedgerPosting):
    def post_entry(self, store, customer_id, data, key):
        return store.refund(
            customer_id=customer_id,
            amount=data["amount"],
            reason=data["reason"],
            at=data.get("at"),
            idempotency_key=key,
        )


class CustomerFees(LedgerPosting):
    input_class = FeeInput
    api_fields = {"rental": "rental_id"}  # koko's core names the fee's rental "rental"

    def post_entry(self, store, customer_id, data, key):
        return store.post_fee(
            customer_id=customer_id,
            amount=data["amount"],
            reason=data["reason"],
            rental_id=data.get("rental_id"),
            at=data.get("at"),
            idempotency_key=key,
        )


class CustomerStatement(APIView):
    def get(self, request, pk: int):
        query = _valid_query(StatementQuery, request)
        return Response(StatementOutput(get_store().statement(pk, query["start"], query["end"])).data)


class AgedBalances(APIView):
    def get(self, request):
        query = _valid_query(AgedBalancesQuery, request)
        rows = get_store().aged_balances(query.get("as_of"))
        return Response(AgedBalanceOutput(rows, many=True).data)


class CustomerBlock(APIView):
    def post(self, request, pk: int):
        data = _valid(BlockInput, request)
        block = get_store().block_customer(
            pk, reason=data["reason"], until=data.get("until"), idempotency_key=idempotency_key(request)
        )
        return Response(BlockOutput(block).data)

    def delete(self, request, pk: int):
        get_store().unblock_customer(pk, idempotency_key=idempotency_key(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- circulation: holds, lost and found copies, notices ----------------------------------------------------------


class HoldList(APIView):
    """POST: queues ``customer_id`` for ``book_id`` at ``at`` (now by default): 201 with the hold, ``"ready"`` with
    a copy set aside when one is on the shelf, else ``"waiting"`` with its ``position``."""

    at_field = "at"
    api_fields = {"book": "book_id", "book_id": "book_id", "customer_id": "customer_id"}
    blocked_detail = "Customer cannot place a hold"
    duplicate_messages = {"book": "This customer already has an active hold on this book."}

    def post(self, request):
        data = _valid(HoldInput, request)
        hold = get_store().place_hold(
            customer_id=data["customer_id"],
            book_id=data["book_id"],
            at=data.get("at"),
            idempotency_key=idempotency_key(request),
        )
        return Response(HoldOutput(hold).data, status=status.HTTP_201_CREATED)


class HoldDetail(APIView):
    def get(self, request, pk: int):
        return Response(HoldOutput(get_store().hold(pk)).data)


class HoldCancel(APIView):
    """POST: cancels a waiting or ready hold at ``at`` (now by default); a copy set aside passes to the next in the
    queue. A hold already fulfilled, cancelled or expired is a 400 naming ``hold``."""

    at_field = "at"

    def post(self, request, pk: int):
        data = _valid(AtInput, request)
        hold = get_store().cancel_hold(pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(HoldOutput(hold).data)


class HoldsExpire(APIView):
    """POST: expires the ready holds not picked up by ``at`` (now by default) and answers them. For schedulers
    (``manage.py send_notices`` does it too); running it again expires nothing more, so it takes no key."""

    at_field = "at"

    def post(self, request):
        data = _valid(AtInput, request)
        return Response(HoldOutput(get_store().expire_holds(data.get("at")), many=True).data)


class BookHolds(APIView):
    """GET: the book's queue — its waiting and ready holds in order, the waiting ones numbered by ``position``."""

    def get(self, request, pk: int):
        return Response(HoldOutput(get_store().holds(pk), many=True).data)


class CustomerHolds(APIView):
    """GET: the customer's holds, every status, oldest first."""

    def get(self, request, pk: int):
        return Response(HoldOutput(get_store().customer_holds(pk), many=True).data)


class RentalLost(APIView):
    """POST: declares the rental's copy lost at ``at`` (now by default): the rental closes (``"Lost"``), charged
    what accrued, and the replacement fees are posted; ``balance`` includes them."""

    at_field = "at"

    def post(self, request, pk: int):
        data = _valid(AtInput, request)
        receipt = get_store().declare_lost(rental_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(receipt_data(receipt))


class CopyFound(APIView):
    """POST: a lost copy is back at ``at`` (now by default): ``copy`` as it now stands (set aside for the first
    waiting hold, or on the shelf) and ``credit``, the replacement fee credited back when the plan says so."""

    at_field = "at"
    api_fields = {"copy": "copy_id"}

    def post(self, request, pk: int):
        data = _valid(AtInput, request)
        found = get_store().mark_found(copy_id=pk, at=data.get("at"), idempotency_key=idempotency_key(request))
        return Response(FoundOutput(found).data)


class CustomerNotices(APIView):
    """GET: the customer's notices not sent yet, as of now (what ``manage.py send_notices`` would send them)."""

    def get(self, request, pk: int):
        store = get_store()
        store.customer(pk)  # an unknown customer is a 404, not an empty list
        notices = [notice for notice in store.notices() if notice.customer_id == pk]
        return Response(NoticeOutput(notices, many=True).data)
