"""The endpoints. Each one validates its input, makes ONE koko call that does the work, and shapes the answer.

koko's exceptions become HTTP answers in ``bookstore.errors``.
"""

from __future__ import annotations

import datetime as dt

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from .serializers import (
    CATEGORY_BY_TYPE,
    BookInput,
    CloseInput,
    CustomerInput,
    RentInput,
    book_data,
    customer_data,
    rental_data,
)
from .store import get_store


def _valid(serializer_class, request, partial: bool = False) -> dict:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


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
        )
        return Response(book_data(store, book))


class CustomerList(APIView):
    def get(self, request):
        return Response([customer_data(customer) for customer in get_store().customers()])

    def post(self, request):
        data = _valid(CustomerInput, request)
        store = get_store()
        customer = store.register_customer(first_name=data["first_name"], last_name=data["last_name"])
        if data.get("is_active") is False:
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
            active=data.get("is_active"),
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
        # The server's clock, to the microsecond, unless the client says when: the stored start is then exactly
        # the date_rented the client reads back.
        at = data.get("date_rented") or dt.datetime.now(dt.timezone.utc)
        rental = store.rent(customer_id=pk, book_id=data["book"], at=at)
        return Response(rental_data(rental, store.book(rental.book_id).title), status=status.HTTP_201_CREATED)


class RentalDetail(APIView):
    def get(self, request, pk: int):
        store = get_store()
        rental = store.rental(pk)
        return Response(rental_data(rental, store.book(rental.book_id).title))


class RentalClose(APIView):
    at_field = "date_returned"

    def put(self, request, pk: int):
        data = _valid(CloseInput, request)
        receipt = get_store().return_rental(rental_id=pk, at=data["date_returned"])
        return Response(rental_data(receipt.rental, receipt.title, charge=receipt.charge))
