"""Input validation and the JSON shapes of the original Koko Book Store API.

Nothing here prices or decides availability: ``rental_status`` of a book comes from ``available_copies`` and
``amount_charged`` is the total of koko's charge, printed as a decimal string.
"""

from __future__ import annotations

import datetime as dt
from typing import Optional

import koko
from rest_framework import serializers

# The original API's book_type codes ↔ koko's categories.
CATEGORY_BY_TYPE = {"R": "regular", "F": "fiction", "N": "novel"}
TYPE_BY_CATEGORY = {category: code for code, category in CATEGORY_BY_TYPE.items()}

MAX_ID = 2**64 - 1


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a timezone offset (``Z`` or ``±hh:mm``); a naive time is rejected, not guessed."""

    default_error_messages = {
        "naive": "Datetime has no timezone: add an offset, e.g. 2024-06-05T10:00:00Z.",
    }

    def enforce_timezone(self, value):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            self.fail("naive")
        return value.astimezone(dt.timezone.utc)


_datetime_out = AwareDateTimeField()


def iso(value: Optional[dt.datetime]) -> Optional[str]:
    return None if value is None else _datetime_out.to_representation(value)


# --- input -------------------------------------------------------------------------------------------------------


class BookInput(serializers.Serializer):
    title = serializers.CharField()
    author = serializers.CharField()
    book_type = serializers.ChoiceField(choices=sorted(CATEGORY_BY_TYPE))
    copies = serializers.IntegerField(required=False, min_value=1)  # on create only; the original had one copy


class CustomerInput(serializers.Serializer):
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    is_active = serializers.BooleanField(required=False)  # absent: True on create, unchanged on update


class RentInput(serializers.Serializer):
    book = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date_rented = AwareDateTimeField(required=False)  # default: now


class CloseInput(serializers.Serializer):
    date_returned = AwareDateTimeField()


# --- output ------------------------------------------------------------------------------------------------------


def book_data(store: koko.BookStore, book: koko.Book) -> dict:
    return {
        "id": book.id,
        "title": book.title,
        "author": book.author,
        "book_type": TYPE_BY_CATEGORY.get(book.category, book.category),
        "rental_status": "Available" if store.available_copies(book.id) > 0 else "Rented Out",
    }


def customer_data(customer: koko.Customer) -> dict:
    return {
        "id": customer.id,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "is_active": customer.active,
    }


def rental_data(rental: koko.Rental, book_title: str, charge: Optional[koko.Quote] = None) -> dict:
    charge = charge if charge is not None else rental.charge
    return {
        "id": rental.id,
        "book": rental.book_id,
        "customer_id": rental.customer_id,
        "book_title": book_title,
        "rental_status": "Active" if rental.status == "active" else "Closed",
        "date_rented": iso(rental.rented_at),
        "date_returned": iso(rental.returned_at),
        "amount_charged": None if charge is None else str(charge.total),
        "currency": None if charge is None else charge.currency,
    }
